"""Continuing an adapted run from its checkpoint, on any number of MPI ranks.

The checkpoint holds the last mesh of the run and, per cell, the wanted refinement level of
its base cell. The state is read on that mesh (distributed anew), the base mesh is built
from the config, the same mesh of the hierarchy is rebuilt from it with those levels (so
that later re-meshes see the base cells as the uninterrupted run does; on a base repartitioned
first when the mesh would be unbalanced over the ranks, see adaptivity/rebalance.py), and the
state is carried onto it (the two meshes coincide, so the transfer is exact up to round-off).
Earlier VTX files stay as they are; the continued run writes new ``<field>_mesh<k>.bp``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dolfinx.fem

from mpi4py import MPI

from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.adaptivity.hierarchy import LEVELS
from fem_chemotaxis.adaptivity.remesh import move_state
from fem_chemotaxis.config import ConfigDocument, RunConfig
from fem_chemotaxis.io.checkpoint import CheckpointFile
from fem_chemotaxis.io.seed import placeholder_values
from fem_chemotaxis.outputs import Checkpoints, Fields
from fem_chemotaxis.outputs.state import restore, scratch_functions
from fem_chemotaxis.simulation import Simulation

__all__ = ["continue_adapted"]


def continue_adapted(
    old: CheckpointFile, meta: dict[str, Any], document: ConfigDocument, config: RunConfig, comm: MPI.Comm
) -> tuple[Simulation, Adaptation, Fields, Checkpoints]:
    """The simulation of the checkpoint's last state on the rebuilt mesh, its adaptation, and outputs."""
    assert config.adapt is not None
    stepper, last = meta["stepper"], meta["times"][-1]
    stored_mesh = old.read_mesh(comm, meta["mesh"])
    stored = Simulation.from_config(config, mesh=stored_mesh, initial=placeholder_values(config.initial), t_start=last)
    state = scratch_functions(stored, stepper)
    levels = dolfinx.fem.Function(dolfinx.fem.functionspace(stored_mesh.mesh, ("DG", 0)))
    old.read({**state, LEVELS: levels}, last)
    restore(stored, stepper, state)
    adaptation = Adaptation(config.adapt, config.mesh.build(comm))
    adaptation.steps_since = int(stepper["adapt_steps"])
    adaptation.rebalances = int(stepper.get("adapt_rebalances", 0))
    adaptation.rebuilt(levels)
    sim = stored.on_mesh(adaptation.current.tagged, stored.u)
    move_state(stored, sim)
    out = old.path.parent
    fields = Fields()
    fields.meshes = _meshes_written(out, sim)
    checkpoints = Checkpoints(document, adaptation)
    checkpoints.resume(out, old, meta["mesh"], meta["times"])
    checkpoints.mesh_changed(sim)  # a file of this distribution, swapped in at the next write
    return sim, adaptation, fields, checkpoints


def _meshes_written(out: Path, sim: Simulation) -> int:
    """How many meshes already have VTX files in `out` (rank 0's count, broadcast)."""
    count = None
    if sim.comm.rank == 0:
        first = next(iter(sim.u.values())).name
        count = 1 + len(list(out.glob(f"{first}_mesh*.bp")))
    return sim.comm.bcast(count, root=0)
