"""Newton's split residual (kept K u + c plus the changing forms) equals DOLFINx's full assembly."""

from __future__ import annotations

import dolfinx.fem.petsc
import numpy as np

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.model.boundary import BoundaryCondition
from fem_chemotaxis.simulation import Simulation


def test_split_residual_equals_the_full_assembly(comm):
    """Keller-Segel with a constant source, a time-dependent Dirichlet value and dt changed once:
    the residual at a random state from the split callback against dolfinx's assemble_residual
    of the whole forms (with lifting and Dirichlet rows)."""
    model = Model.from_dict(
        {
            "species": {
                "u": {"diffusion": "d", "taxis": [{"towards": "s", "sensitivity": "chi"}], "reaction": "0.3*x - k*u"},
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s + sin(t)"},
            },
            "parameters": {"d": 0.1, "chi": 2.0, "k": 0.4, "ds": 1.0, "alpha": 1.0, "beta": 0.5},
        }
    )
    bcs = [BoundaryCondition.from_dict({"on": "left", "species": "u", "type": "dirichlet", "value": "1 + t"}, "test")]
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [12, 12])
    for scheme in ("backward-euler", "bdf2", "crank-nicolson"):
        sim = Simulation(
            model, mesh, {"u": "1 + 0.2*x*y", "s": "1"}, TimeSettings(dt=0.05, scheme=scheme), boundary_conditions=bcs
        )
        sim.step(0.05)
        sim.step(0.03)  # a new dt: the kept part (with mass/dt) is assembled again
        solver = sim.solver._solver
        assert solver.split_residual.active
        problem = solver.problem
        x = problem.b.duplicate()
        x.setArray(np.random.default_rng(comm.rank).uniform(0.5, 1.5, x.getLocalSize()))
        split, full = problem.b.duplicate(), problem.b.duplicate()
        solver.split_residual._assemble(problem.solver, x, split)
        context = {
            "u": problem.u,
            "residual": problem.F,
            "jacobian": problem.J,
            "bcs": solver.split_residual._context["bcs"],
        }
        context["_blocks"] = problem.b.getAttr("_blocks")
        dolfinx.fem.petsc.assemble_residual(problem.solver, x, full, **context)
        difference = split.copy()
        difference.axpy(-1.0, full)
        relative = difference.norm() / full.norm()
        print(f"{scheme}: |split - full| / |full| = {relative:.2e}")
        assert relative < 1e-13, scheme  # measured: see the printout (round-off)
        assert full.norm() > 1.0  # a residual far from zero at a random state
