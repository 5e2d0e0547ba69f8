"""Individual cells for validating the derived coefficients: run-and-tumble particles.

- `simulator`: :class:`RunAndTumble`, vectorised run-and-tumble particles with the turning
  law of a kinetic SPEC (persistence, taxis responses to named fields with k(S),
  excitation/adaptation), split over MPI ranks and reproducible from one seed for any number
  of ranks; `excitation`: the closed-form internal state along a run;
- `walls`: :class:`Walls`, the box with reflecting walls and round obstacles (vessels);
- `signal`: the chemical fields they sense (linear, an expression, a grid, or a
  finite-element solution sampled onto a grid);
- `density`: their density on a DOLFINx mesh (P1 cloud-in-cell or DG0 histogram), and the
  expectation and statistical error of that estimate for a continuum density.
"""

from fem_chemotaxis.particles.density import (
    DENSITY_KINDS,
    ExpectedDensity,
    expected_density,
    locate_points,
    lumped_mass,
    particle_density,
)
from fem_chemotaxis.particles.signal import (
    ExpressionSignal,
    FunctionSampler,
    GridSignal,
    LinearSignal,
    SignalField,
    sample_function,
)
from fem_chemotaxis.particles.simulator import Estimate, RunAndTumble
from fem_chemotaxis.particles.walls import Walls

__all__ = [
    "DENSITY_KINDS",
    "Estimate",
    "ExpectedDensity",
    "ExpressionSignal",
    "FunctionSampler",
    "GridSignal",
    "LinearSignal",
    "RunAndTumble",
    "SignalField",
    "Walls",
    "expected_density",
    "locate_points",
    "lumped_mass",
    "particle_density",
    "sample_function",
]
