"""Newton's split residual and Jacobian (one kept part K u + c, the step's terms c_n, the changing
forms assembled) equal DOLFINx's full assembly."""

from __future__ import annotations

import dolfinx.fem.petsc
import numpy as np

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.solvers.nonlinear import NonlinearSolver


def _split_against_full(solver: NonlinearSolver, comm) -> tuple[float | None, float]:
    """|split - full| / |full| of the residual (None: not split) and the Jacobian at a random state;
    full: dolfinx's assemble_residual (lifting, Dirichlet rows) and assemble_matrix (1 on the diagonal)."""
    problem, bcs = solver.problem, solver.split.bcs
    x = problem.b.duplicate()
    x.setArray(np.random.default_rng(comm.rank).uniform(0.5, 1.5, x.getLocalSize()))
    residual = None
    solver.split.kept.new_step()  # the old levels moved on when the last step was accepted
    if solver.split.kept.residual_split:
        split, full = problem.b.duplicate(), problem.b.duplicate()
        solver.split.residual(problem.solver, x, split)
        context = {"u": problem.u, "residual": problem.F, "jacobian": problem.J, "bcs": bcs}
        context["_blocks"] = problem.b.getAttr("_blocks")
        dolfinx.fem.petsc.assemble_residual(problem.solver, x, full, **context)
        assert full.norm() > 1.0  # a residual far from zero at a random state
        split.axpy(-1.0, full)
        residual = split.norm() / full.norm()
    J = problem.A.duplicate()
    solver.split.jacobian(problem.solver, x, J, None)
    full_J = dolfinx.fem.petsc.assemble_matrix(problem.J, bcs=bcs, diag=1.0, kind="mpi")
    full_J.assemble()
    J.axpy(-1.0, full_J)
    return residual, J.norm() / full_J.norm()


def test_split_residual_and_jacobian_equal_the_full_assembly(comm):
    """Keller-Segel with a constant source, a time-dependent Dirichlet value and a reaction term
    (u + 1)^2 whose derivative has a constant summand (kept for the Jacobian only); dt changed
    once, then omega alone (0 -> 0.6 -> 1): the kept part is assembled three times and both
    callbacks equal the full assembly at a random state (also without the Dirichlet condition).
    The old levels and the source sin(t) are the step's terms: without Dirichlet conditions the
    signal's row has no changing form left; with them it keeps its step terms."""
    model = Model.from_dict(
        {
            "species": {
                "u": {
                    "diffusion": "d",
                    "taxis": [{"towards": "s", "sensitivity": "chi"}],
                    "reaction": "0.3*x - k*u - 0.1*(u + 1)^2",
                },
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s + sin(t)"},
            },
            "parameters": {"d": 0.1, "chi": 2.0, "k": 0.4, "ds": 1.0, "alpha": 1.0, "beta": 0.5},
        }
    )
    dirichlet = [
        BoundaryCondition.from_dict({"on": "left", "species": "u", "type": "dirichlet", "value": "1 + t"}, "test")
    ]
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [12, 12])
    for scheme, bcs in [(s, dirichlet) for s in ("backward-euler", "bdf2", "crank-nicolson")] + [("bdf2", [])]:
        # without Dirichlet conditions the split residual skips DOLFINx's (zero) lifting
        sim = Simulation(
            model, mesh, {"u": "1 + 0.2*x*y", "s": "1"}, TimeSettings(dt=0.05, scheme=scheme), boundary_conditions=bcs
        )
        sim.step(0.05)
        sim.step(0.03)  # a new dt and omega (0 -> 0.6): the kept part (with mass/dt) is assembled again
        sim.step(0.03)  # the same dt, a new omega (0.6 -> 1; BDF2's mass coefficient changes): again
        solver = sim.solver._solver
        residual, jacobian = _split_against_full(solver, comm)
        print(f"{scheme}: residual {residual:.2e}, Jacobian {jacobian:.2e} (|split - full| / |full|)")
        assert residual < 1e-13, scheme  # measured: 1.0e-15 serial (round-off)
        assert jacobian < 1e-13, scheme  # measured: 1.8e-17 .. 2.4e-17 serial
        assert solver.split.kept.jacobian_only is not None
        assert solver.split.kept.assemblies == 3  # once per (dt, omega), shared by residual and Jacobian
        assert solver.split.kept.step_vector is not None
        assert (solver.split.kept.changing_residuals[1] is None) == (not bcs)


def test_split_jacobian_without_split_residual(comm):
    """Elliptic Keller-Segel: the signal's equation has no changing part, so its residual is
    assembled whole and only the Jacobian is split; it equals the full assembly with a Dirichlet
    condition on the signal."""
    bcs = [BoundaryCondition.from_dict({"on": "left", "species": "s", "type": "dirichlet", "value": "2"}, "test")]
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [12, 12])
    sim = Simulation(
        builtin_model("keller-segel-elliptic"),
        mesh,
        {"u": "1 + 0.2*x*y", "s": "1"},
        TimeSettings(dt=0.05, scheme="backward-euler"),
        boundary_conditions=bcs,
    )
    sim.step(0.05)
    solver = sim.solver._solver
    assert not solver.split.kept.residual_split
    _, jacobian = _split_against_full(solver, comm)
    print(f"Jacobian {jacobian:.2e} (|split - full| / |full|)")
    assert jacobian < 1e-13  # measured: 3.3e-17 serial
