"""Initial guesses from earlier solutions: the least-squares combination, and what it saves."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.fem.petsc
import numpy as np
import ufl

from mpi4py import MPI
from petsc4py import PETSc

from fem_chemotaxis.config.settings import SolverSettings, TimeSettings
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.simulation import Simulation
from fem_chemotaxis.solvers.linear import ReusedKrylovSolver, linear_preset_options
from fem_chemotaxis.solvers.previous_solutions import PreviousSolutions


def _matrices(comm):
    """A nonsymmetric convection-diffusion matrix and a mass matrix on a P1 space (and the space,
    which must outlive them)."""
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [16, 16]).mesh
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    wind = ufl.as_vector((4.0, -1.0))
    a = (ufl.inner(ufl.grad(u), ufl.grad(v)) + ufl.dot(wind, ufl.grad(u)) * v + u * v) * ufl.dx
    matrices = []
    for form in (a, u * v * ufl.dx):
        A = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(form))
        A.assemble()
        matrices.append(A)
    return *matrices, V


def _random(A: PETSc.Mat, seed: int) -> PETSc.Vec:
    x = A.createVecRight()
    x.array[:] = np.random.default_rng(seed + 7 * A.comm.rank).standard_normal(x.getLocalSize())
    return x


def _four_kept(A: PETSc.Mat, window: int) -> tuple[PreviousSolutions, list[PETSc.Vec]]:
    """Four random solutions, kept in that order with their images."""
    kept = PreviousSolutions(window=window)
    solutions = [_random(A, seed) for seed in range(4)]
    for x in solutions:
        image = A.createVecLeft()
        A.mult(x, image)
        kept.add(x, image)
    return kept, solutions


def _combination(A: PETSc.Mat, weights, vectors) -> tuple[PETSc.Vec, PETSc.Vec]:
    """(sum w_j x_j, A sum w_j x_j)."""
    x = A.createVecRight()
    x.zeroEntries()
    x.maxpy(weights, vectors)
    b = A.createVecLeft()
    A.mult(x, b)
    return x, b


def test_guess_reproduces_a_right_hand_side_in_the_span(comm):
    """b = A sum w_j x_j over four kept solutions: the guess is sum w_j x_j and its image, combined
    from the kept images, is b (round-off); after the matrix changes (A + 3 M), the images are
    formed again and the same holds for it."""
    A, M, _space = _matrices(comm)
    kept, solutions = _four_kept(A, window=4)
    weights = [0.5, -2.0, 1.0, 3.0]
    for matrix in (A, A.copy()):
        if matrix is not A:
            matrix.axpy(3.0, M)
            kept.matrix_changed()
        exact, b = _combination(matrix, weights, solutions)
        guess, image = A.createVecRight(), A.createVecLeft()
        assert kept.guess(matrix, b, guess, image)
        guess.axpy(-1.0, exact)
        assert guess.norm() < 1e-10 * exact.norm()
        image.axpy(-1.0, b)
        assert image.norm() < 1e-10 * b.norm()


def test_window_drops_the_oldest_solution(comm):
    """Window 3, four solutions kept: a right-hand side made of the first alone is no longer
    reproduced, one made of the last three still is."""
    A, _, _space = _matrices(comm)
    kept, solutions = _four_kept(A, window=3)
    for weights, vectors, reproduced in (([1.0], solutions[:1], False), ([1.0, 1.0, -1.0], solutions[1:], True)):
        exact, b = _combination(A, weights, vectors)
        guess, image = A.createVecRight(), A.createVecLeft()
        kept.guess(A, b, guess, image)
        guess.axpy(-1.0, exact)
        assert (guess.norm() < 1e-10 * exact.norm()) == reproduced


def test_a_window_beyond_the_floating_point_range_gives_no_guess(comm):
    """Solutions of size 1e160 (a diverging run) have images whose products overflow: no guess (x
    and its image unchanged) and the window is emptied, instead of a failed least-squares solve;
    guesses resume from the next kept solution."""
    A, _, _space = _matrices(comm)
    kept, solutions = _four_kept(A, window=4)
    huge = solutions[0].copy()
    huge.scale(1e160)
    image = A.createVecLeft()
    A.mult(huge, image)
    kept.add(huge, image)
    exact, b = _combination(A, [1.0], solutions[1:2])
    guess, guess_image = A.createVecRight(), A.createVecLeft()
    guess.set(7.0)
    guess_image.set(7.0)
    assert not kept.guess(A, b, guess, guess_image)
    assert guess.min()[1] == guess.max()[1] == 7.0 and guess_image.min()[1] == guess_image.max()[1] == 7.0
    assert not kept.guess(A, b, guess, guess_image)  # emptied
    A.mult(solutions[1], image)
    kept.add(solutions[1], image)
    assert kept.guess(A, b, guess, guess_image)
    guess.axpy(-1.0, exact)
    assert guess.norm() < 1e-10 * exact.norm()


def test_solves_from_guesses_meet_the_tolerance_in_the_true_residual(comm):
    """The iterative solver solves for the correction to its guess, with A x0 combined from the kept
    images: every solution, whether the guess met the tolerance (no Krylov iteration) or not, has a
    true residual |b - A x| (formed here) within the tolerance, also a right-hand side made of
    solutions that were themselves corrected (their kept images must include A d)."""
    A, _, space = _matrices(comm)
    u = dolfinx.fem.Function(space, name="u")
    rtol = 1e-6
    solver = ReusedKrylovSolver(A, [u], {**linear_preset_options("iterative", ["u"], 10**6, 2), "ksp_rtol": rtol})
    right_hand_sides = [_random(A, seed) for seed in (10, 11, 12)]
    b_sum = A.createVecLeft()
    b_sum.zeroEntries()
    b_sum.maxpy([1.0, -2.0, 0.5], right_hand_sides)
    iterations = []
    for b in (*right_hand_sides, b_sum):
        x = A.createVecRight()
        x.zeroEntries()
        assert solver.solve(b, x)
        iterations.append(solver.ksp.getIterationNumber())
        residual = A.createVecLeft()
        A.mult(x, residual)
        residual.aypx(-1.0, b)
        assert residual.norm() <= 1.01 * rtol * b.norm()
    assert min(iterations[:3]) > 0  # random right-hand sides: corrections solved
    assert iterations[3] == 0  # in the span of the kept solutions: the guess is the solution


def test_guesses_cut_the_krylov_iterations_of_the_stages(comm):
    """ros34pw2, iterative, 64 x 64, 12 steps: Krylov iterations a step with the guesses against
    zero initial guesses (ksp_initial_guess_nonzero off), and the same end state to the tolerance."""
    model = builtin_model("keller-segel").with_parameters({"d": 0.1, "chi": 5.0})
    mesh = create_builtin(comm, "rectangle", [1.0, 1.0], [64, 64])
    counts, ends = {}, {}
    for guessing in (True, False):
        sim = Simulation(
            model,
            mesh,
            {"u": "1 + 0.5*exp(-20*((x-0.4)^2 + (y-0.6)^2))", "s": "1"},
            TimeSettings(dt=0.02, scheme="ros34pw2"),
            solver=SolverSettings("iterative", petsc={"ksp_initial_guess_nonzero": guessing}),
        )
        sim.advance_to(0.24)
        counts[guessing] = sum(h.krylov_iterations for h in sim.history) / len(sim.history)
        ends[guessing] = sim.u["u"].x.array.copy()
    scale = comm.allreduce(np.abs(ends[False]).max(initial=0.0), op=MPI.MAX)
    print(f"Krylov iterations a step: {counts[True]:.1f} with guesses, {counts[False]:.1f} from zero")
    assert counts[True] < 0.5 * counts[False]
    difference = np.abs(ends[True] - ends[False]).max(initial=0.0)
    assert comm.allreduce(difference, op=MPI.MAX) < 1e-4 * scale
