"""From individual cells to the continuum: macroscopic coefficients of velocity-jump processes.

A run-and-tumble (velocity-jump) description of cells -- a velocity set with its equilibrium
M(v), a tumbling rate, and how the chemical biases the turning -- determines the diffusion
and taxis coefficients of the macroscopic model (chapter 7.3; cross-diffusion file,
sections 3-4; fractional file, Lemma). This package computes them by quadrature and, where
one exists, in closed form, and writes the macroscopic model as a run config:

- `velocities`: velocity sets (sphere, discrete, density, heavy-tailed) with quadrature and sampling;
- `persistence`: turning-angle distributions (von Mises/Fisher, tabulated) and their mean cosine;
- `turning`: the turning law (rate, reversal, uniform or persistent turning, taxis kernels towards
  named fields with a level-dependent k(S), transduction);
- `coefficients`: the formulas, by quadrature and in closed form;
- `tables`, `cells`, `spec`, `mixture_spec`: the SPEC.toml readers (single cells, several species);
- `derived`: coefficients with units and checks, per population; `derivation`, `mixture`:
  SPEC -> coefficients (diffusion per species, sensitivity per species pair);
- `emit`: the derived model as a run config for ``fem-chemotaxis run``.

The particle simulator that validates these coefficients is :mod:`fem_chemotaxis.particles`.
"""

from fem_chemotaxis.kinetics.coefficients import (
    chapter_transduction_sensitivity,
    diffusion_tensor,
    excitation_response,
    excitation_response_closed,
    fractional_diffusion,
    fractional_integral,
    fractional_integral_closed,
    fractional_order,
    mechanism_sensitivity,
    persistent_diffusion,
    taxis_sensitivity,
    telegraph_diffusion,
    transduction_sensitivity,
    uniform_turning_diffusion,
)
from fem_chemotaxis.kinetics.derivation import Coefficient, Derivation, derive
from fem_chemotaxis.kinetics.emit import run_config, to_toml, write_run_config
from fem_chemotaxis.kinetics.mixture import derive_mixture
from fem_chemotaxis.kinetics.mixture_spec import MixtureSpec, Population, parse_mixture
from fem_chemotaxis.kinetics.persistence import TabulatedAngle, TurningAngle, VonMises
from fem_chemotaxis.kinetics.spec import KineticSpec, SignalSpec, Units, load_spec, parse_spec
from fem_chemotaxis.kinetics.turning import TaxisPerturbation, Transduction, TurningLaw
from fem_chemotaxis.kinetics.velocities import (
    DiscreteVelocities,
    HeavyTailedEquilibrium,
    Sphere,
    VelocityDensity,
    VelocitySet,
)

__all__ = [
    "Coefficient",
    "Derivation",
    "DiscreteVelocities",
    "HeavyTailedEquilibrium",
    "KineticSpec",
    "MixtureSpec",
    "Population",
    "SignalSpec",
    "Sphere",
    "TabulatedAngle",
    "TaxisPerturbation",
    "Transduction",
    "TurningAngle",
    "TurningLaw",
    "Units",
    "VelocityDensity",
    "VelocitySet",
    "VonMises",
    "chapter_transduction_sensitivity",
    "derive",
    "derive_mixture",
    "diffusion_tensor",
    "excitation_response",
    "excitation_response_closed",
    "fractional_diffusion",
    "fractional_integral",
    "fractional_integral_closed",
    "fractional_order",
    "load_spec",
    "mechanism_sensitivity",
    "parse_mixture",
    "parse_spec",
    "persistent_diffusion",
    "run_config",
    "taxis_sensitivity",
    "telegraph_diffusion",
    "to_toml",
    "transduction_sensitivity",
    "uniform_turning_diffusion",
    "write_run_config",
]
