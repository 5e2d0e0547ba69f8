"""Repartitioning an adapted mesh: balanced afterwards, the same mesh, tags and runs unchanged.

The refinement sits in one corner of the domain, so on 2 ranks one rank holds most fine cells
until the base mesh is repartitioned by the fine cells of each base cell.
"""

from __future__ import annotations

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.adaptivity import Adaptation
from fem_chemotaxis.adaptivity.rebalance import weighted_bisection
from fem_chemotaxis.config.settings import AdaptSettings, TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation

two_ranks = pytest.mark.skipif(MPI.COMM_WORLD.size != 2, reason="balance over 2 ranks")
CORNER_PEAK = {"u": "1 + 2*exp(-40*((x-0.25)^2 + (y-0.25)^2))", "s": "1"}
THRESHOLD = 1.1
SUPPLY = 0.5


def test_bisection_splits_weight_in_proportion_to_parts():
    """Loads of 3 parts of 1000 random points: each within the largest weight of a third."""
    generator = np.random.default_rng(7)
    points, weights = generator.random((1000, 2)), generator.integers(1, 65, 1000).astype(float)
    owner = weighted_bisection(points, weights, 3)
    loads = np.bincount(owner, weights=weights, minlength=3)
    # measured 20.7 (largest weight 64; 470 with unit weights)
    assert np.abs(loads - weights.sum() / 3).max() <= weights.max()


def corner_mesh(comm: MPI.Comm, rebalance: float | bool):
    """A 12 x 6 base of [0, 2] x [0, 1] refined 3 times near the corner (0, 0); (adaptation, mesh)."""
    base = create_builtin(comm, "rectangle", [2.0, 1.0], [12, 6])
    adaptation = Adaptation(AdaptSettings(max_level=3, rebalance=rebalance), base)
    tdim = base.mesh.topology.dim
    cells = np.arange(adaptation.hierarchy.num_base_cells, dtype=np.int32)
    centres = dolfinx.mesh.compute_midpoints(base.mesh, tdim, cells)
    unbalanced = adaptation.hierarchy.build(np.where(centres[:, 0] + centres[:, 1] < 0.8, 3, 0))
    return adaptation, unbalanced


def sorted_midpoints(mesh: dolfinx.mesh.Mesh) -> np.ndarray:
    """The midpoints of all cells (gathered), in lexicographic order."""
    tdim = mesh.topology.dim
    owned = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    points = np.concatenate(mesh.comm.allgather(dolfinx.mesh.compute_midpoints(mesh, tdim, owned)))
    return points[np.lexsort(points.T[::-1])]


@two_ranks
def test_rebalanced_mesh_is_balanced_and_the_same(comm):
    adaptation, unbalanced = corner_mesh(comm, THRESHOLD)
    balanced = adaptation.balanced(unbalanced)
    print(f"\nimbalance {unbalanced.imbalance:.3f} -> {balanced.imbalance:.3f}")
    assert unbalanced.imbalance > 1.8  # measured 1.905
    assert balanced.imbalance <= THRESHOLD  # measured 1.022; 1.911 with unit weights (mutation)
    assert adaptation.rebalances == 1
    assert balanced.num_cells == unbalanced.num_cells
    before, after = sorted_midpoints(unbalanced.tagged.mesh), sorted_midpoints(balanced.tagged.mesh)
    assert np.abs(before - after).max() < 1e-12  # measured 0


@two_ranks
def test_restart_rebuilds_the_mesh_balanced(comm):
    """From the levels a checkpoint keeps, a fresh base (default partition) gives the same mesh, balanced."""
    adaptation, unbalanced = corner_mesh(comm, THRESHOLD)
    levels = adaptation.balanced(unbalanced).level_function()
    restarted, _ = corner_mesh(comm, THRESHOLD)
    rebuilt = restarted.rebuilt(levels)
    assert restarted.rebalances == 1 and rebuilt.imbalance <= THRESHOLD  # measured 1.022
    before, after = sorted_midpoints(unbalanced.tagged.mesh), sorted_midpoints(rebuilt.tagged.mesh)
    assert before.shape == after.shape and np.abs(before - after).max() < 1e-12  # measured 0


@two_ranks
def test_tags_after_a_rebalance(comm):
    """Each side's length and the domain's area on the rebalanced mesh; tagged facets counted alike."""
    adaptation, unbalanced = corner_mesh(comm, THRESHOLD)
    balanced = adaptation.balanced(unbalanced)
    base, tdim = adaptation.hierarchy.base, 2
    for adapted in (unbalanced, balanced):
        mesh, tags = adapted.tagged.mesh, adapted.tagged
        ds = ufl.Measure("ds", domain=mesh, subdomain_data=tags.facet_tags)
        for name, length in {"left": 1.0, "right": 1.0, "bottom": 2.0, "top": 2.0}.items():
            value = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ds(base.tag(name, tdim - 1))))
            assert abs(comm.allreduce(value, op=MPI.SUM) - length) < 1e-12  # measured 2.2e-16
        dx = ufl.Measure("dx", domain=mesh, subdomain_data=tags.cell_tags)
        area = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * dx(base.tag("domain", tdim))))
        assert abs(comm.allreduce(area, op=MPI.SUM) - 2.0) < 1e-12  # measured 2.7e-15
    counts = []
    for adapted in (unbalanced, balanced):
        facets = adapted.tagged.facet_tags
        owned = facets.indices < adapted.tagged.mesh.topology.index_map(tdim - 1).size_local
        counts.append([comm.allreduce(int((facets.values[owned] == tag).sum()), op=MPI.SUM) for tag in (1, 2, 3, 4)])
    assert counts[0] == counts[1]


def corner_run(comm: MPI.Comm, rebalance: float | bool):
    """A KS aggregation in a corner of an 8x8 base, adapted every 2 steps, with a supply g = 0.5 of u
    through the side 'left'; (simulation, adaptation, initial statistics, imbalance at each output)."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    base = create_builtin(comm, "rectangle", [1.0, 1.0], [8, 8])
    time = TimeSettings(dt=0.01, scheme="bdf2", adaptive=True, dt_max=0.02)
    supply = BoundaryCondition("u", ("left",), "flux", Expression.parse(str(SUPPLY), "test"))
    sim = Simulation(model, base, CORNER_PEAK, time, boundary_conditions=(supply,))
    settings = AdaptSettings(every=2, refine=0.01, coarsen=0.002, max_level=2, rebalance=rebalance)
    adaptation = Adaptation(settings, base)
    sim = adaptation.start(sim, CORNER_PEAK)
    initial = sim.statistics()
    imbalance = [adaptation.current.imbalance]
    for k in range(1, 4):
        sim = adaptation.advance_to(sim, k * 0.04)
        imbalance.append(adaptation.current.imbalance)
    return sim, adaptation, initial, imbalance


def peak_and_norm(sim: Simulation) -> tuple[float, float]:
    square = dolfinx.fem.assemble_scalar(dolfinx.fem.form(sim.u["u"] ** 2 * ufl.dx))
    return sim.statistics()["u"]["max"], float(np.sqrt(sim.comm.allreduce(square, op=MPI.SUM)))


@two_ranks
def test_run_with_rebalancing_equals_runs_without(comm):
    """Rebalanced on 2 ranks == not rebalanced on 2 ranks == 1 rank; u's mass across re-meshes and
    rebalances is its initial mass plus the supply through the tagged side 'left' (length 1)."""
    sim, adaptation, initial, imbalance = corner_run(comm, THRESHOLD)
    print(f"\nimbalance with rebalancing {np.round(imbalance, 3)}, {adaptation.rebalances} rebalances")
    assert adaptation.rebalances >= 2 and max(imbalance) <= THRESHOLD  # measured 1.006-1.039 (1.13-1.47 without)
    expected = initial["u"]["mass"] + SUPPLY * 1.0 * sim.time
    drift = abs(sim.statistics()["u"]["mass"] - expected) / expected
    print(f"mass vs initial + supply: {drift:.1e}")
    assert drift < 1e-12  # measured 2.0e-15
    peak, norm = peak_and_norm(sim)
    for communicator, rebalance in ((comm, False), (MPI.COMM_SELF, THRESHOLD)):
        other, other_adaptation, _, other_imbalance = corner_run(communicator, rebalance)
        print(f"on {communicator.size} rank(s), rebalance = {rebalance}: imbalance {np.round(other_imbalance, 3)}")
        assert other_adaptation.rebalances == 0  # not asked for, or one rank
        other_peak, other_norm = peak_and_norm(other)
        print(
            f"peak and L2 norm of u differ by {abs(other_peak - peak) / peak:.1e}, {abs(other_norm - norm) / norm:.1e}"
        )
        assert other_adaptation.current.num_cells == adaptation.current.num_cells
        assert len(other.history) == len(sim.history)
        assert abs(other_peak - peak) / peak < 1e-9  # measured 7.0e-15 (2 ranks not rebalanced), 1.4e-14 (1 rank)
        assert abs(other_norm - norm) / norm < 1e-9  # measured 1.5e-14, 5.7e-15
