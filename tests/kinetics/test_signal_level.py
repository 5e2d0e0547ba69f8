"""The signal level in the turning kernel, k(S) (chapter (7.3.15)-(7.3.16); issue 20, item 3).

A strength ``k(s) = k0/(1 + s/K)^2`` (an expression of the level s) gives chi(s) = k(s) chi,
with chi the sensitivity per unit k (``s^2/n`` on the sphere, both mechanisms). Checks:

- the emitted model's sensitivity is ``k(s) s^2/n u`` at every level (closed form, 1e-12);
- particles in a 1-D box with ``S = 2 x^2`` (gradient 0 to 4 and level 0 to 2 both vary):
  their stationary density is ``exp(int chi(S)/d dS)`` of the derived model, here
  ``exp(lambda k0 K S/(K + S))``. In 1-D this is exact for the velocity-jump process too
  (zero flux forces u+ = u-, and then u'/u = lambda k(S) S' for both mechanisms), so the
  tolerance is purely statistical: the time-averaged mean position of N = 4000 particles
  within 4 standard errors (SE ~ 1/sqrt(N)). A level-blind k = k0 would be off by > 50 SE.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate

from mpi4py import MPI

from fem_chemotaxis.config.run_config import parse_config
from fem_chemotaxis.expressions import NUMPY_FUNCTIONS
from fem_chemotaxis.kinetics import derive, parse_spec, run_config
from fem_chemotaxis.particles import ExpressionSignal, RunAndTumble

SIGMAS = 4.0
RATE, K0, K = 10.0, 0.4, 0.5
SIGNAL = "2*x^2"


def spec(mechanism: str, dimension: int = 1) -> dict:
    return {
        "cells": {
            "dimension": dimension,
            "turning_rate": RATE,
            "velocities": {"kind": "sphere", "speed": 1.0},
            "taxis": {"mechanism": mechanism, "strength": "k0/(1 + s/K)^2"},
        },
        "signal": {"name": "s"},
        "parameters": {"k0": K0, "K": K},
    }


@pytest.mark.parametrize("mechanism", ["run-length", "direction"])
@pytest.mark.parametrize("dimension", [1, 2, 3])
def test_level_dependent_sensitivity_is_emitted(mechanism, dimension):
    """chi per unit k = s^2/n (quadrature vs closed form) and the model's sensitivity is k(s) s^2/n u."""
    derivation = derive(parse_spec(spec(mechanism, dimension)))
    chi = derivation["chi"]
    print(f"{mechanism} {dimension}-D: {chi.description}, chi = {chi.scalar}")
    assert chi.relative_difference <= 1e-8
    config = parse_config(run_config(derivation))
    sensitivity = config.model.species[0].taxis[0].sensitivity
    for level in (0.0, 0.3, 2.0):
        value = sensitivity.evaluate({**config.model.parameters, "u": 1.5, "s": level}, NUMPY_FUNCTIONS)
        assert value == pytest.approx(K0 / (1 + level / K) ** 2 / dimension * 1.5, rel=1e-12)


def stationary_mean(potential) -> float:
    """E[x] for the density proportional to exp(potential(S(x))) on [0, 1]."""
    weight = lambda x: math.exp(potential(2 * x * x))  # noqa: E731
    mass = scipy.integrate.quad(weight, 0.0, 1.0, epsabs=0, epsrel=1e-12)[0]
    return scipy.integrate.quad(lambda x: x * weight(x), 0.0, 1.0, epsabs=0, epsrel=1e-12)[0] / mass


@pytest.mark.parametrize("mechanism", ["run-length", "direction"])
def test_particles_reach_the_stationary_density_of_chi_of_s(comm, mechanism):
    """Particles in S = 2 x^2 with k(S): mean position = that of exp(int chi(S)/d dS) within 4 SE."""
    derivation = derive(parse_spec(spec(mechanism)))
    d, chi = derivation["D"].value, derivation["chi"].value  # chi(S) = chi k(S): chi/d = lambda k(S)
    exact = stationary_mean(lambda level: chi / d * K0 * K * level / (K + level))
    blind = stationary_mean(lambda level: chi / d * K0 * level)  # k = k0 at every level

    particles = RunAndTumble(
        derivation.spec.law, 4000, box=[1.0], signal=ExpressionSignal(SIGNAL, 1), seed=31, comm=comm
    )
    particles.advance(6.0, 0.2)  # the slowest mode decays like exp(-pi^2 d t) = 3e-3 by t = 6
    total, samples = np.zeros(len(particles.x)), 0
    while particles.time < 14.0 - 1e-9:
        particles.advance(particles.time + 0.2, 0.2)
        total += particles.x[:, 0]
        samples += 1
    mean = particles.estimate(total / samples)  # per-particle time averages: independent particles
    deviation = (float(mean.mean) - exact) / float(mean.standard_error)
    if MPI.COMM_WORLD.rank == 0:
        print(
            f"{mechanism}: mean position {float(mean.mean):.5f} +- {float(mean.standard_error):.1e}, "
            f"stationary density of chi(S) {exact:.5f} ({deviation:+.2f} SE); "
            f"with k = k0 at every level {blind:.5f} ({(float(mean.mean) - blind) / float(mean.standard_error):+.0f} SE)"
        )
    assert abs(deviation) <= SIGMAS
    assert abs(blind - exact) > 50 * float(mean.standard_error)
