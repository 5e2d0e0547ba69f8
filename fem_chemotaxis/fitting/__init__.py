"""Parameter estimation: fit a model's parameters to observed densities, with adjoint gradients.

- fit.py: :func:`fit` (a FIT.toml, as ``fem-chemotaxis fit``) and :func:`fit_simulation`
  (a simulation built in Python);
- fit_config.py: the FIT.toml format, validated; observation_sources.py: earlier runs'
  checkpoints and grayscale pictures as observations;
- images.py: grayscale pictures read onto a mesh, and fields sampled into pictures;
- parameters.py: bounds and scaling of the estimated parameters;
- misfit.py: observations of densities at times and their weighted L2 misfit; point_samples.py:
  observations at points;
- step_linearisation.py: the derivatives of one step's residual (transposed Jacobian,
  coupling to the previous state, parameter derivatives) as compiled forms;
  linearised_solver.py: their linear solves, with the forward run's preset;
- reduced_misfit.py: the misfit as a function of parameters, and its exact gradient by the
  adjoint of the discrete time steps (with a store-every-K recompute scheme for long runs);
- optimiser.py: L-BFGS-B with bounds; standard_errors.py: Gauss-Newton standard errors;
- results.py: the results directory.
"""

from fem_chemotaxis.fitting.fit import fit, fit_simulation
from fem_chemotaxis.fitting.fit_config import FitConfig, load_fit_config
from fem_chemotaxis.fitting.images import bounding_box, read_gray, sample_field
from fem_chemotaxis.fitting.misfit import FieldObservation, Misfit
from fem_chemotaxis.fitting.observation_sources import ImageSeries, PointTable, RunFields
from fem_chemotaxis.fitting.optimiser import Evaluation, OptimiserSettings
from fem_chemotaxis.fitting.parameters import FittedParameter
from fem_chemotaxis.fitting.point_samples import PointObservation
from fem_chemotaxis.fitting.reduced_misfit import ReducedMisfit
from fem_chemotaxis.fitting.results import FitResult

__all__ = [
    "Evaluation",
    "FieldObservation",
    "FitConfig",
    "FitResult",
    "FittedParameter",
    "ImageSeries",
    "Misfit",
    "OptimiserSettings",
    "PointObservation",
    "PointTable",
    "ReducedMisfit",
    "RunFields",
    "bounding_box",
    "fit",
    "fit_simulation",
    "load_fit_config",
    "read_gray",
    "sample_field",
]
