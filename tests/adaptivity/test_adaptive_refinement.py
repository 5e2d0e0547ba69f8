"""Adaptive refinement: mass conserved across re-meshes, tags carried, 1 rank == 2 ranks.

Each run adapts a Keller-Segel aggregation on a coarse base mesh (every few steps, up to two
levels) so that the mesh changes several times, refining and coarsening.
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.adaptivity import Adaptation, RefinementHierarchy
from fem_chemotaxis.config.settings import AdaptSettings, Discretisation, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation

PEAK = {"u": "1 + 2*exp(-40*((x-0.4)^2 + (y-0.6)^2))", "s": "1"}


def adapted_run(comm, time: TimeSettings, t_end: float, boundary_conditions=(), positivity="none"):
    """A KS aggregation adapted every 2 steps on an 8x8 base mesh; (simulation, cell counts seen)."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    base = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    discretisation = Discretisation(positivity=positivity)
    sim = Simulation(model, base, PEAK, time, boundary_conditions=boundary_conditions, discretisation=discretisation)
    adaptation = Adaptation(AdaptSettings(every=2, refine=0.01, coarsen=0.002, max_level=2), base)
    sim = adaptation.start(sim, PEAK)
    cells = [adaptation.current.num_cells]
    initial = sim.statistics()
    for k in range(1, 4):
        sim = adaptation.advance_to(sim, k * t_end / 3)
        cells.append(adaptation.current.num_cells)
    return sim, cells, initial


@pytest.mark.parametrize(
    "scheme, adaptive, positivity",
    [("backward-euler", False, "none"), ("bdf2", True, "none"), ("backward-euler", False, "log-density")],
)
def test_mass_conserved_across_adaptations(comm, scheme, adaptive, positivity):
    time = TimeSettings(dt=0.01, scheme=scheme, adaptive=adaptive, dt_max=0.02)
    sim, cells, initial = adapted_run(comm, time, 0.12, positivity=positivity)
    assert len(set(cells)) >= 3, f"the mesh must change: {cells}"
    drift = abs(sim.statistics()["u"]["mass"] - initial["u"]["mass"]) / initial["u"]["mass"]  # s is produced
    assert drift < 1e-10  # measured 1.7e-15 (backward Euler), 5.0e-15 (bdf2), 1.7e-13 (log-density)
    assert sim.statistics()["u"]["min"] > 0  # scaling keeps the density positive


def test_flux_through_a_carried_boundary_tag(comm):
    """A constant supply g on 'left' (length 1) adds exactly g t to the mass, across re-meshes."""
    supply = BoundaryCondition("u", ("left",), "flux", Expression.parse("0.5", "test"))
    sim, cells, initial = adapted_run(comm, TimeSettings(dt=0.01), 0.09, (supply,))
    assert len(set(cells)) >= 3, f"the mesh must change: {cells}"
    expected = initial["u"]["mass"] + 0.5 * 1.0 * sim.time
    assert (
        abs(sim.statistics()["u"]["mass"] - expected) / expected < 1e-10
    )  # measured 4.1e-15 (1 rank), 9.2e-16 (2 ranks)


def test_tags_carried_through_levels(comm):
    """Boundary lengths and the subdomain area on a mesh refined three times near a corner."""
    base = create_builtin(comm, "rectangle", [2.0, 1.0], [6, 3])
    hierarchy = RefinementHierarchy(base, max_level=3)
    tdim = base.mesh.topology.dim
    centres = dolfinx.mesh.compute_midpoints(base.mesh, tdim, np.arange(hierarchy.num_base_cells, dtype=np.int32))
    adapted = hierarchy.build(np.where(centres[:, 0] + centres[:, 1] < 0.8, 3, 0))
    mesh = adapted.tagged.mesh
    assert adapted.num_cells > 4 * 36, "the corner must be refined"
    lengths = {"left": 1.0, "right": 1.0, "bottom": 2.0, "top": 2.0}
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=adapted.tagged.facet_tags)
    for name, length in lengths.items():
        value = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ds(base.tag(name, tdim - 1))))
        assert abs(comm.allreduce(value, op=MPI.SUM) - length) < 1e-12
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=adapted.tagged.cell_tags)
    area = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * dx(base.tag("domain", tdim))))
    assert abs(comm.allreduce(area, op=MPI.SUM) - 2.0) < 1e-12


@pytest.mark.skipif(MPI.COMM_WORLD.size == 1, reason="compares a run on each rank with one across ranks")
def test_one_rank_equals_two(comm):
    """The adapted run on all ranks equals the same run on one rank (peak, L2 norm, cells)."""
    time = TimeSettings(dt=0.01, scheme="bdf2", adaptive=True, dt_max=0.02)
    results = []
    for communicator in (MPI.COMM_SELF, comm):
        sim, cells, _ = adapted_run(communicator, time, 0.12)
        square = dolfinx.fem.assemble_scalar(dolfinx.fem.form(sim.u["u"] ** 2 * ufl.dx))
        l2 = np.sqrt(communicator.allreduce(square, op=MPI.SUM))
        results.append((sim.statistics()["u"]["max"], l2, cells, len(sim.history)))
    (peak1, l2_1, cells1, steps1), (peak2, l2_2, cells2, steps2) = results
    assert cells1 == cells2 and steps1 == steps2
    assert abs(peak1 - peak2) / peak1 < 1e-9  # measured 6.2e-15
    assert abs(l2_1 - l2_2) / l2_1 < 1e-9  # measured 5.7e-15


def test_refinement_stops_at_max_dofs(comm):
    """With max_dofs the mesh is the deepest that fits: within the bound, where the unbounded one is not."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    base = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    dofs = []
    for limit in (None, 600):
        sim = Simulation(model, base, PEAK, TimeSettings(dt=0.01))
        settings = AdaptSettings(every=2, refine=0.01, coarsen=0.002, max_level=2, max_dofs=limit)
        dofs.append(Adaptation(settings, base).start(sim, PEAK).num_dofs)
    assert dofs[0] > 600 >= dofs[1] > 2 * 81, dofs  # 2 * 81: the base mesh's unknowns
