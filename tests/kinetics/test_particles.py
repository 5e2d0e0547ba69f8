"""Particle validation of the derived coefficients (acceptance tests of issue #8).

Statistical checks use fixed seeds; the union of particles is the same on any number of
ranks, so the serial and the ``mpiexec -n 2`` pass see the same numbers. Each check prints
its estimate with its standard error (SE) and passes within 4 SE:

- mean squared displacement grows like ``2 tr(D) t`` (``2 n d t`` for isotropic D);
- the drift in a linear gradient is ``chi grad S`` (both turning mechanisms, and the
  excitation/adaptation model of chapter (7.3.21));
- in a confined aggregation run the particle density and the finite-element solution of
  the derived model agree in L1 within ``1.3 * E_stat(N) + 0.02``, where ``E_stat(N) ~
  1/sqrt(N)`` is the predicted statistical L1 error of the density estimate.
"""

from __future__ import annotations

import math

import dolfinx
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.run_config import parse_config
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.kinetics import (
    DiscreteVelocities,
    Sphere,
    TaxisPerturbation,
    Transduction,
    TurningLaw,
    VelocityDensity,
    VonMises,
    derive,
    diffusion_tensor,
    mechanism_sensitivity,
    parse_spec,
    run_config,
    transduction_sensitivity,
)
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.mesh import create_builtin
from fem_chemotaxis.particles import (
    ExpressionSignal,
    LinearSignal,
    RunAndTumble,
    expected_density,
    lumped_mass,
    particle_density,
    sample_function,
)
from fem_chemotaxis.simulation import Simulation

#: A deviation of more than this many standard errors fails a statistical check.
SIGMAS = 4.0


def report(name: str, estimate: float, error: float, expected: float) -> float:
    """Print one check; return the deviation in standard errors."""
    deviation = (estimate - expected) / error
    if MPI.COMM_WORLD.rank == 0:
        print(
            f"{name}: {estimate:.5g} +- {error:.2g} (SE), expected {expected:.5g}: "
            f"{100 * (estimate / expected - 1):+.2f}% = {deviation:+.2f} SE"
        )
    return deviation


LAWS = {
    "sphere 1-D": TurningLaw(Sphere(1, 1.0), 2.0),
    "sphere 2-D": TurningLaw(Sphere(2, 1.0), 2.0),
    "sphere 3-D": TurningLaw(Sphere(3, 1.0), 2.0),
    "1-D reversals (7.3.1)": TurningLaw(Sphere(1, 1.0), 2.0, "reversal"),
    "anisotropic lattice": TurningLaw(
        DiscreteVelocities(np.array([[2.0, 0], [-2, 0], [0, 0.5], [0, -0.5]]), np.full(4, 0.25)), 1.0
    ),
    "Maxwellian density 2-D": TurningLaw(
        VelocityDensity(2, Expression.parse("exp(-(vx^2 + 4*vy^2)/2)/pi", "density"), {}, cutoff=8.0), 1.0
    ),
}


@pytest.mark.parametrize("name", LAWS)
def test_mean_squared_displacement(comm, name):
    """<|x(t2)-x0|^2 - |x(t1)-x0|^2>/(t2 - t1) = 2 tr(D) (= 2 n d), per axis 2 D_ii, for t >> 1/sigma."""
    law = LAWS[name]
    sigma, n = law.relaxation_rate, law.dimension
    t1, t2 = 10 / sigma, 40 / sigma
    particles = RunAndTumble(law, 20_000, initial=np.zeros(n), seed=1, comm=comm)
    particles.advance(t1, 1 / sigma)
    first = particles.displacement() ** 2
    particles.advance(t2, 1 / sigma)
    slopes = particles.estimate((particles.displacement() ** 2 - first) / (t2 - t1))
    diffusion = diffusion_tensor(law.velocities, sigma)
    total = particles.estimate((particles.displacement() ** 2 - first).sum(axis=1) / (t2 - t1))
    assert (
        abs(report(f"{name}: MSD slope", float(total.mean), float(total.standard_error), 2 * np.trace(diffusion)))
        <= SIGMAS
    )
    for i in range(n):
        assert abs(report(f"  axis {i}", slopes.mean[i], slopes.standard_error[i], 2 * diffusion[i, i])) <= SIGMAS
    if name.startswith("1-D reversals"):
        # the library's keller-segel-transduction uses the same convention: D = s^2/(2 lambda0)
        model = builtin_model("keller-segel-transduction").with_parameters({"speed": 1.0, "lambda0": law.rate})
        library = model.species[0].diffusion.evaluate(model.parameters, NUMPY_FUNCTIONS)
        assert (
            abs(
                report(
                    "  keller-segel-transduction's D", float(total.mean) / 2, float(total.standard_error) / 2, library
                )
            )
            <= SIGMAS
        )
        if comm.rank == 0:
            print(f"  the chapter's printed (7.3.21) diffusion s^2/lambda0 would be {1.0 / law.rate:.5g}")


def drift(
    law: TurningLaw, gradient: list[float], comm: MPI.Comm, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean velocity (and SE) over [10, 60] in the linear field S = gradient . x."""
    particles = RunAndTumble(
        law, count, initial=np.zeros(law.dimension), signal=LinearSignal(gradient), seed=seed, comm=comm
    )
    particles.advance(10.0, 0.5)
    start = particles.x.copy()
    particles.advance(60.0, 0.5)
    estimate = particles.estimate((particles.x - start) / 50.0)
    return estimate.mean, estimate.standard_error


@pytest.mark.parametrize("mechanism", ["run-length", "direction"])
def test_drift_in_a_linear_gradient(comm, mechanism):
    """Mean velocity = chi grad S with chi = k int v(x)v M dv (cross-diffusion (39))."""
    law = TurningLaw(Sphere(2, 1.0), 1.0, taxis=TaxisPerturbation(mechanism, 1.0))
    gradient = np.array([0.08, -0.04])
    expected = mechanism_sensitivity(law.velocities, 1.0) @ gradient
    mean, error = drift(law, list(gradient), comm, 20_000, seed=2)
    for i in range(2):
        assert abs(report(f"{mechanism}: drift[{i}]", mean[i], error[i], expected[i])) <= SIGMAS


@pytest.mark.parametrize("dimension, turning", [(1, "reversal"), (2, "uniform")])
def test_transduction_drift(comm, dimension, turning):
    """Excitation/adaptation cells drift with chi0 g'(S) grad S; 1-D reversals: the chapter's (7.3.21)."""
    transduction = Transduction(b=1.0, tau_e=0.1, tau_a=1.0, g=Expression.parse("2*s", "g"))
    law = TurningLaw(Sphere(dimension, 1.0), 1.0, turning, transduction=transduction)
    chi0 = transduction_sensitivity(law.velocities, law.relaxation_rate, 1.0, 1.0, 1.0, 0.1)[0, 0]
    gradient = [0.05] + [0.0] * (dimension - 1)
    mean, error = drift(law, gradient, comm, 20_000, seed=3)
    expected = chi0 * 2.0 * gradient[0]  # g'(S) = 2
    assert abs(report(f"transduction {dimension}-D {turning}: drift", mean[0], error[0], expected)) <= SIGMAS


def test_same_particles_on_any_number_of_ranks(comm):
    """The union of particles is the same whether the ranks share them or one rank holds all."""
    law = TurningLaw(Sphere(2, 1.0), 5.0, taxis=TaxisPerturbation("direction", 0.5))
    signal = ExpressionSignal("exp(-((x - 0.5)^2 + (y - 0.5)^2)/0.05)", 2)
    runs = [
        RunAndTumble(law, 3000, box=[1.0, 1.0], signal=signal, seed=5, comm=c, blocks=8) for c in (comm, MPI.COMM_SELF)
    ]
    for run in runs:
        run.advance(1.0, 0.1)
    shared, alone = runs[0].gather(), runs[1].gather()
    if comm.rank == 0:
        assert np.array_equal(shared, alone)
        other = RunAndTumble(law, 3000, box=[1.0, 1.0], signal=signal, seed=6, comm=MPI.COMM_SELF, blocks=8)
        other.advance(1.0, 0.1)
        assert not np.array_equal(other.gather(), alone)


def test_reflecting_walls_keep_the_uniform_state(comm):
    """Particles stay in the box, and a uniform population stays uniform (mean L/2, variance L^2/12)."""
    law = TurningLaw(Sphere(3, 1.0), 1.0)
    lengths = np.array([1.0, 0.5, 2.0])
    particles = RunAndTumble(law, 20_000, box=lengths, seed=7, comm=comm)
    particles.advance(5.0, 0.5)
    assert ((particles.x >= 0) & (particles.x <= lengths)).all()
    mean = particles.estimate(particles.x)
    spread = particles.estimate((particles.x - lengths / 2) ** 2)
    for i in range(3):
        assert abs(report(f"walls: mean x[{i}]", mean.mean[i], mean.standard_error[i], lengths[i] / 2)) <= SIGMAS
        variance = report(f"walls: var x[{i}]", spread.mean[i], spread.standard_error[i], lengths[i] ** 2 / 12)
        assert abs(variance) <= SIGMAS


def test_density_estimates(comm):
    """P1 (cloud-in-cell) and DG0 densities integrate to the mass; P1 keeps a particle's centre; outside is an error."""
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [12, 6]).mesh
    rng = np.random.default_rng(comm.rank)
    points = rng.random((500, 2)) * [2.0, 1.0]
    for kind in ("P1", "DG0"):
        density = particle_density(mesh, points, kind=kind, mass=3.0)
        integral = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(density * ufl.dx)))
        assert integral == pytest.approx(3.0, rel=1e-12)
    one = np.array([[0.37, 0.71]]) if comm.rank == 0 else np.zeros((0, 2))
    density = particle_density(mesh, one, kind="P1")
    owned = density.function_space.dofmap.index_map.size_local
    weights = (density.x.array * lumped_mass(density.function_space))[:owned]
    centre = comm.allreduce(weights @ density.function_space.tabulate_dof_coordinates()[:owned, :2])
    np.testing.assert_allclose(centre, [0.37, 0.71], atol=1e-13)
    with pytest.raises(ValueError, match="outside the mesh"):
        particle_density(mesh, np.array([[2.5, 0.5]]))


def test_signal_from_a_finite_element_solution(comm):
    """A P1 field sampled onto a grid on every rank reproduces a linear function and its gradient."""
    mesh = create_builtin(comm, "rectangle", [2.0, 1.0], [10, 5]).mesh
    field = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", 1)))
    field.interpolate(lambda x: 1 + 0.5 * x[0] - 2 * x[1])
    grid = sample_function(field, [0.0, 0.0], [2.0, 1.0], [21, 11])
    points = np.array([[0.3, 0.77], [2.0, 0.0], [1.234, 0.5]])
    values, gradients = grid.evaluate(points)
    np.testing.assert_allclose(values, 1 + 0.5 * points[:, 0] - 2 * points[:, 1], atol=1e-12)
    np.testing.assert_allclose(gradients, np.tile([0.5, -2.0], (3, 1)), atol=1e-10)


# -- confined aggregation: particles against the finite-element solution of the derived model ---
SIGNAL = "A*exp(-((x - 0.5)^2 + (y - 0.5)^2)/(2*w^2))"
AGGREGATION_SPEC = {
    "cells": {
        "dimension": 2,
        "turning_rate": 25.0,
        "velocities": {"kind": "sphere", "speed": 1.0},
        "taxis": {"mechanism": "direction", "strength": 0.1},
    },
    "signal": {"name": "s"},  # no diffusion, no reaction: a fixed chemical field
    "parameters": {"A": 2.0, "w": 0.2},
    "run": {
        "mesh": {"builtin": "rectangle", "size": [1.0, 1.0], "cells": [48, 48]},
        "initial": {"u": "1", "s": SIGNAL},
        "time": {"t_end": 2.0, "dt": 0.02, "scheme": "bdf2"},
    },
}
#: Deterministic part of the L1 tolerance (diffusion limit at mean free path s/sigma = 0.04, FE error).
FLOOR = 0.02


def test_aggregation_particles_match_the_derived_model(comm):
    """Particle density vs FE solution of the derived model in L1, for N = 4000, 16000, 64000.

    Both are compared as P1 cloud-in-cell densities on a 16 x 16 mesh (the FE solution, on
    48 x 48, through the estimator's expectation ``int rho phi_i / int phi_i``). The
    estimator's statistical L1 error is predicted from the FE density:
    ``E_stat = sum_i m_i sqrt(2/pi) sd_i``, ``sd_i^2 = (int rho phi_i^2 - (int rho phi_i)^2)/(N m_i^2)``.
    """
    derivation = derive(parse_spec(AGGREGATION_SPEC))
    config = parse_config(run_config(derivation))
    fe = Simulation.from_config(config, comm)
    fe.advance_to(config.t_end)
    coarse = create_builtin(comm, "rectangle", [1.0, 1.0], [16, 16]).mesh
    expected = expected_density(fe.u["u"], coarse, mass=1.0)
    peak = comm.allreduce(fe.u["u"].x.array.max(), op=MPI.MAX)

    # how far a 20% error in chi would move the FE solution (what this test can detect)
    wrong = parse_config(
        {
            **run_config(derivation),
            "model": {
                **run_config(derivation)["model"],
                "parameters": {**config.model.parameters, "chi": 1.2 * config.model.parameters["chi"]},
            },
        }
    )
    fe_wrong = Simulation.from_config(wrong, mesh=fe.tagged_mesh)
    fe_wrong.advance_to(config.t_end)
    sensitivity = expected.l1_distance(expected_density(fe_wrong.u["u"], coarse, mass=1.0).function)

    signal = ExpressionSignal(SIGNAL, 2, AGGREGATION_SPEC["parameters"])
    errors, tolerances = [], []
    for count in (4000, 16_000, 64_000):
        particles = RunAndTumble(derivation.spec.law, count, box=[1.0, 1.0], signal=signal, seed=11, comm=comm)
        particles.advance(config.t_end, 0.05)
        error = expected.l1_distance(particles.density(coarse, "P1"))
        statistical = expected.statistical_l1(count)
        errors.append(error)
        tolerances.append(1.3 * statistical + FLOOR)
        if comm.rank == 0:
            print(
                f"N = {count:6d}: L1 = {error:.4f}, predicted statistical {statistical:.4f}, "
                f"tolerance {tolerances[-1]:.4f}, "
                f"excess sqrt(L1^2 - stat^2) = {math.sqrt(max(error**2 - statistical**2, 0)):.4f}"
            )
    if comm.rank == 0:
        print(
            f"FE peak density {peak:.3g} (initial 1); "
            f"L1 between the FE solutions for chi and 1.2 chi: {sensitivity:.3f}"
        )
    assert peak > 5
    assert all(e <= t for e, t in zip(errors, tolerances))
    assert errors[2] < errors[1] < errors[0]
    assert sensitivity > 2 * tolerances[-1]


def test_round_obstacles_keep_the_uniform_state(comm):
    """Specular reflection on disks keeps a uniform population uniform in the box minus the disks.

    Nobody enters a disk, and the mean position is the centroid of the region (closed form:
    box centroid and disk centres weighted by areas), within 4 SE of N = 20 000 particles.
    """
    disks = np.array([[0.35, 0.5, 0.2], [0.8, 0.25, 0.12]])
    law = TurningLaw(Sphere(2, 1.0), 3.0, angle=VonMises(2, 1.0))
    particles = RunAndTumble(law, 20_000, box=[1.2, 1.0], obstacles=disks, seed=8, comm=comm)
    particles.advance(3.0, 0.25)
    for x, y, r in disks:
        assert (np.hypot(particles.x[:, 0] - x, particles.x[:, 1] - y) >= r * (1 - 1e-9)).all()
    areas = np.pi * disks[:, 2] ** 2
    centroid = (1.2 * np.array([0.6, 0.5]) - areas @ disks[:, :2]) / (1.2 - areas.sum())
    mean = particles.estimate(particles.x)
    for i in range(2):
        assert abs(report(f"obstacles: mean x[{i}]", mean.mean[i], mean.standard_error[i], centroid[i])) <= SIGMAS
