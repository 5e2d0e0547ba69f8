"""Re-meshing a running simulation: marks pulled back to the base mesh, the state moved over.

:class:`Adaptation` decides the wanted level of every base cell from the indicator on the
current mesh (a cell at depth d wants d + 1 at or above ``refine``, d - 1 below ``coarsen``,
else d; a base cell takes the deepest wish of its descendants), builds that mesh of the
hierarchy, and gives a :class:`~fem_chemotaxis.simulation.Simulation` of the same problem on
it whose time levels (the accepted state u_n, the level before it u_{n-1}, and the step
controller's history) are carried over by mass-conserving transfer, with the step sizes and
the step records kept. A mesh too unbalanced over the ranks (``rebalance``) is built again on
the repartitioned base (:mod:`.rebalance`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import dolfinx.fem
import numpy as np
import ufl

from mpi4py import MPI

from fem_chemotaxis.adaptivity.conservative_transfer import transfer_conserving_mass
from fem_chemotaxis.adaptivity.hierarchy import AdaptedMesh, RefinementHierarchy
from fem_chemotaxis.adaptivity.indicator import gradient_jump_indicator
from fem_chemotaxis.adaptivity.rebalance import WeightedPartition, gathered, redistributed
from fem_chemotaxis.config.settings import AdaptSettings
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.mesh.transfer import reusing_interpolation_data
from fem_chemotaxis.simulation import Simulation, StepRecord
from fem_chemotaxis.simulation.species_fields import InitialValue, SpeciesFields

__all__ = ["Adaptation"]


class Adaptation:
    """Adaptive refinement of a simulation's mesh from its base mesh.

    Args:
        settings: [mesh.adapt].
        base: The original mesh (the simulation's first mesh).
    """

    def __init__(self, settings: AdaptSettings, base: TaggedMesh):
        self.settings = settings
        self.hierarchy = RefinementHierarchy(base, settings.max_level)
        self.current = self.hierarchy.coarsest()
        self.steps_since = 0
        self.rebalances = 0

    def wanted_levels(self, sim: Simulation) -> np.ndarray:
        """The level each owned base cell wants, from the indicator of the simulation's state."""
        mesh, settings, current = sim.mesh, self.settings, self.current
        owned = mesh.topology.index_map(mesh.topology.dim).size_local
        indicator = gradient_jump_indicator(list(sim.u.values()), mesh)
        depth = current.depth[:owned]
        grow = indicator >= settings.refine
        if settings.min_cell_size is not None:
            grow &= mesh.h(mesh.topology.dim, np.arange(owned, dtype=np.int32)) >= 2 * settings.min_cell_size
        wish = depth + grow.astype(np.int32) - (indicator < settings.coarsen).astype(np.int32)
        levels = np.zeros(self.hierarchy.num_base_cells, dtype=np.int32)
        np.maximum.at(levels, current.base_cell[:owned], wish)
        return np.clip(levels, 0, settings.max_level)

    def mesh_for(self, levels: np.ndarray, sim: Simulation) -> AdaptedMesh:
        """The mesh of the hierarchy for `levels`, shallower if it would exceed ``max_dofs``."""
        cap = self.settings.max_level
        while True:
            adapted = self.hierarchy.build(np.minimum(levels, cap))
            limit = self.settings.max_dofs
            if limit is None or cap == 0 or _num_dofs(sim, adapted.tagged.mesh) <= limit:
                return self.balanced(adapted)
            cap -= 1

    def rebuilt(self, levels: dolfinx.fem.Function) -> AdaptedMesh:
        """The mesh of the hierarchy for the levels of an :meth:`AdaptedMesh.level_function` on any mesh
        and distribution (a restart's), balanced (collective)."""
        self.current = self.balanced(self.hierarchy.build(self.hierarchy.levels_of(levels)))
        return self.current

    def balanced(self, adapted: AdaptedMesh) -> AdaptedMesh:
        """`adapted`, or when its imbalance exceeds ``rebalance`` the same mesh built on the base
        repartitioned by the fine cells each base cell holds (if that partition is better; collective)."""
        threshold, comm = self.settings.rebalance, adapted.tagged.mesh.comm
        if threshold is False or comm.size == 1:
            return adapted
        imbalance = adapted.imbalance
        if imbalance <= threshold:
            return adapted
        base = self.hierarchy.base
        owned = adapted.tagged.mesh.topology.index_map(base.mesh.topology.dim).size_local
        partition = WeightedPartition(base.mesh, np.bincount(adapted.base_cell[:owned], minlength=adapted.levels.size))
        if partition.imbalance >= imbalance:
            return adapted
        moved, origin = redistributed(base, partition.owner)
        self.hierarchy = RefinementHierarchy(moved, self.settings.max_level)
        self.rebalances += 1
        return self.hierarchy.build(gathered(adapted.levels, comm)[origin])

    def remesh(self, sim: Simulation) -> Simulation:
        """The simulation on the mesh its state asks for, state carried over (collective)."""
        adapted = self.mesh_for(self.wanted_levels(sim), sim)
        self.current, self.steps_since = adapted, 0
        with reusing_interpolation_data():  # every field moves between the same two meshes
            new = sim.on_mesh(adapted.tagged, sim.u)
            move_state(sim, new)
        return new

    def start(self, sim: Simulation, initial: Mapping[str, InitialValue]) -> Simulation:
        """The simulation on the mesh its initial values ask for (up to ``max_level`` rounds, refining only).

        Each round sets the initial values anew on the finer mesh (no transfer), so a sharp
        initial peak is resolved by the refinement, not interpolated from the coarse mesh.
        """
        for _ in range(self.settings.max_level):
            levels = np.maximum(self.wanted_levels(sim), self.current.levels)
            if sim.comm.allreduce(int((levels != self.current.levels).sum()), op=MPI.SUM) == 0:
                break
            self.current = self.mesh_for(levels, sim)
            sim = sim.on_mesh(self.current.tagged, initial)
        return sim

    def advance_to(
        self,
        sim: Simulation,
        t_target: float,
        on_step: Callable[[StepRecord], None] | None = None,
        on_remesh: Callable[[Simulation], None] | None = None,
    ) -> Simulation:
        """Advance to t_target, re-meshing every ``every`` accepted steps; the simulation at t_target.

        `on_remesh` is told of each new simulation as soon as it exists (a run's outputs follow it).
        """

        def counted(record: StepRecord) -> None:  # counted first: on_step may stop the run
            self.steps_since += 1
            if on_step is not None:
                on_step(record)

        while t_target - sim.time > 1e-12 * max(1.0, abs(t_target)):
            sim.advance_to(t_target, counted, max_steps=max(self.settings.every - self.steps_since, 0))
            if self.steps_since >= self.settings.every:
                sim = self.remesh(sim)
                if on_remesh is not None:
                    on_remesh(sim)
        return sim


def move_state(old: Simulation, new: Simulation) -> None:
    """Carry every time level and the step state of `old` onto `new` (same problem, another mesh)."""
    source, target = old.fields, new.fields
    volume = new.comm.allreduce(
        dolfinx.fem.assemble_scalar(dolfinx.fem.form(dolfinx.fem.Constant(new.mesh, 1.0) * ufl.dx)), op=MPI.SUM
    )
    for name in old.model.species_names:
        for level in ("unknowns", "older"):
            _carry(source, target, name, getattr(source, level)[name], getattr(target, level)[name], volume)
        if name in target.log_species:
            target.u[name].x.array[:] = np.exp(target.unknowns[name].x.array)
    new.continue_from(old.time, old.dt, old.dt_previous, target.older)
    new.history = old.history
    if old.controller is not None and new.controller is not None:
        history = [(t, _carried_values(source, target, values, volume)) for t, values in old.controller.history]
        new.controller.history.clear()
        new.controller.history.extend(history)
        if old.controller.pi:
            new.controller.restore_pi_state(old.controller.pi_state)
    if new.flow is not None:
        new.solve_flow()


def _carry(
    source: SpeciesFields,
    target: SpeciesFields,
    name: str,
    old: dolfinx.fem.Function,
    new: dolfinx.fem.Function,
    volume: float,
) -> None:
    """One species' unknown at one level, with its mass kept."""
    mass = source.mass_of(name, old)
    transfer_conserving_mass(
        old, new, mass, lambda f: target.mass_of(name, f), volume, log_variable=name in target.log_species
    )


def _carried_values(source: SpeciesFields, target: SpeciesFields, values: np.ndarray, volume: float) -> np.ndarray:
    """The owned values of all unknowns (as the step controller keeps them) carried to the new mesh."""
    carried, start = [], 0
    for name, space in source.spaces.items():
        owned = space.dofmap.index_map.size_local
        old = dolfinx.fem.Function(space)
        old.x.array[:owned] = values[start : start + owned]
        old.x.scatter_forward()
        start += owned
        new = dolfinx.fem.Function(target.spaces[name])
        _carry(source, target, name, old, new, volume)
        carried.append(new.x.array[: new.function_space.dofmap.index_map.size_local].copy())
    return np.concatenate(carried)


def _num_dofs(sim: Simulation, mesh: dolfinx.mesh.Mesh) -> int:
    """Global number of species unknowns `sim` would have on `mesh`."""
    total = 0
    for species in sim.model.species:
        space = dolfinx.fem.functionspace(mesh, ("Lagrange", species.degree))
        total += space.dofmap.index_map.size_global
    return total
