"""A Jacobian integrated with its residual's quadrature rule (terms/quadrature.py) is the
derivative of the discrete residual: a central difference of the assembled residual equals the
assembled Jacobian's product to the difference's own error. The model has the oxygen switch
0.5 (1 + tanh((c - c*)/delta)) of the bioconvection demo in its taxis and its reaction, whose
residual UFL integrates at degree 4 and 5 and whose Jacobian it would integrate at 14 and 15."""

from __future__ import annotations

from collections.abc import Callable

import dolfinx.fem.petsc
import numpy as np
import pytest
import ufl

from petsc4py import PETSc

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.model import Model
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.terms.quadrature import jacobian_block, pin_quadrature_degrees

SWITCH = "0.5*(1 + tanh((c - c_star)/delta))"
MODEL = {
    "species": {
        "n": {"diffusion": "Dn", "taxis": [{"towards": "c", "sensitivity": f"chi*n*{SWITCH}"}]},
        "c": {"diffusion": "Dc", "reaction": f"-kappa*n*{SWITCH}"},
    },
    "parameters": {"Dn": 0.01, "chi": 0.5, "Dc": 0.1, "kappa": 2.0, "c_star": 0.3, "delta": 0.05},
}
#: The central difference's step; the difference's error (eps^2 |G'''| and round-off / eps) is
#: 7e-10 here.
EPS = 1e-5


def _simulation(comm, scheme: str) -> Simulation:
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [10, 10])
    # c from 0.1 to 0.5 crosses the switch (width 0.05 around 0.3) inside every few cells
    return Simulation(
        Model.from_dict(MODEL), mesh, {"n": "1 + 0.5*x*y", "c": "0.1 + 0.4*x"}, TimeSettings(dt=0.01, scheme=scheme)
    )


def _mismatch(
    residual: Callable[[PETSc.Vec, PETSc.Vec], None], jacobian: Callable[[PETSc.Vec], PETSc.Mat], x: PETSc.Vec, comm
) -> float:
    """|J(x) d - (G(x + eps d) - G(x - eps d)) / (2 eps)| / |J(x) d| for a random direction d."""
    d = x.duplicate()
    d.setArray(np.random.default_rng(comm.rank + 7).uniform(-1.0, 1.0, d.getLocalSize()))
    plus, minus, up, down = x.duplicate(), x.duplicate(), x.duplicate(), x.duplicate()
    plus.waxpy(EPS, d, x)
    minus.waxpy(-EPS, d, x)
    residual(plus, up)
    residual(minus, down)
    up.axpy(-1.0, down)
    up.scale(1.0 / (2 * EPS))
    product = x.duplicate()
    jacobian(x).mult(d, product)
    up.axpy(-1.0, product)
    return up.norm() / product.norm()


def test_newton_jacobian_is_the_derivative_of_the_discrete_residual(comm):
    """Backward Euler's split Newton solver (the changing part assembled, the kept part added):
    measured 6.6e-10, the difference's own error (the old rule, degrees 14 and 15 in the Jacobian:
    3.8e-6)."""
    sim = _simulation(comm, "backward-euler")
    solver = sim.solver._solver
    split, snes = solver.split, solver.problem.solver
    split.kept.new_step()
    x = solver.problem.b.duplicate()
    dolfinx.fem.petsc.assign(solver.problem.u, x)  # the state the residual is linearised at
    J = solver.problem.A.duplicate()

    def jacobian(at: PETSc.Vec) -> PETSc.Mat:
        split.jacobian(snes, at, J, None)
        return J

    mismatch = _mismatch(lambda at, out: split.residual(snes, at, out), jacobian, x, comm)
    print(f"backward Euler: |J d - central difference| / |J d| = {mismatch:.1e}")
    assert mismatch < 1e-8


@pytest.mark.parametrize("scheme", ["ros3p", "ros34pw2"])
def test_rosenbrock_jacobian_is_the_derivative_of_the_discrete_residual(comm, scheme):
    """The Rosenbrock stage system's Jacobian against its residual G (the right-hand side of a
    first stage is -G): measured 7.6e-10 (the old rule: 4.4e-6)."""
    system = _simulation(comm, scheme).solver._solver.system
    x = system.new_vector()
    system.state(x)

    def residual(at: PETSc.Vec, out: PETSc.Vec) -> None:
        system.set_state(at)
        system.rhs(0.0, None, 0.0, out)
        out.scale(-1.0)

    def jacobian(at: PETSc.Vec) -> PETSc.Mat:
        system.set_state(at)
        system._assemble_jacobian()
        return system.jacobian

    mismatch = _mismatch(residual, jacobian, x, comm)
    print(f"{scheme}: |J d - central difference| / |J d| = {mismatch:.1e}")
    assert mismatch < 1e-8


def test_pinned_residual_is_assembled_as_before(comm):
    """Pinning writes the degree FFCx chose into the metadata: the residual's values do not change
    (to round-off), and its Jacobian takes the residual's degree instead of UFL's estimate."""
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [6, 6]).mesh
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    c, v = dolfinx.fem.Function(V), ufl.TestFunction(V)
    c.interpolate(lambda x: 0.1 + 0.4 * x[0])
    switch = 0.5 * (1 + ufl.tanh((c - 0.3) / 0.05))
    residual = ufl.inner(switch * ufl.grad(c), ufl.grad(v)) * ufl.dx + c * v * ufl.dx
    pinned = pin_quadrature_degrees(residual)
    before, after = (dolfinx.fem.assemble_vector(dolfinx.fem.form(F)).array for F in (residual, pinned))
    assert np.allclose(after, before, rtol=0.0, atol=1e-15 * np.abs(before).max())
    assert {i.metadata()["quadrature_degree"] for i in pinned.integrals()} == {3}
    jacobian = ufl.algorithms.expand_derivatives(ufl.derivative(pinned, c, ufl.TrialFunction(V)))
    assert {i.metadata()["quadrature_degree"] for i in jacobian.integrals()} == {3}


def test_polynomial_blocks_take_their_own_exact_rule(comm):
    """Keller-Segel's cell residual (mass, taxis) is pinned at the mass term's degree 2; its block
    towards the signal is a polynomial of degree 1 and drops the pin (one point a triangle, not
    three) with the same values to round-off, while a tanh block keeps the residual's degree."""
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [6, 6]).mesh
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    u, s, v = dolfinx.fem.Function(V), dolfinx.fem.Function(V), ufl.TestFunction(V)
    u.interpolate(lambda x: 1 + x[0] * x[1])
    s.interpolate(lambda x: x[0] ** 2 + x[1])
    pinned = pin_quadrature_degrees(u * v * ufl.dx + 2.0 * u * ufl.inner(ufl.grad(s), ufl.grad(v)) * ufl.dx)
    towards_signal = jacobian_block(pinned, s, ufl.TrialFunction(V))
    assert all("quadrature_degree" not in i.metadata() for i in towards_signal.integrals())
    at_residual_rule = ufl.algorithms.expand_derivatives(ufl.derivative(pinned, s, ufl.TrialFunction(V)))
    own, residual_rule = (
        dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(a)) for a in (towards_signal, at_residual_rule)
    )
    for A in (own, residual_rule):
        A.assemble()
    residual_rule.axpy(-1.0, own)
    assert residual_rule.norm() < 1e-14 * own.norm()
    switch = pin_quadrature_degrees(u * v * ufl.dx + ufl.tanh(s) * ufl.inner(ufl.grad(s), ufl.grad(v)) * ufl.dx)
    switch_block = jacobian_block(switch, s, ufl.TrialFunction(V))
    assert {i.metadata()["quadrature_degree"] for i in switch_block.integrals()} == {3}
