"""Parameter estimation: fit a model's parameters to observed densities, with adjoint gradients.

- misfit.py: observations of densities at times and their weighted L2 misfit;
- step_linearisation.py: the derivatives of one step's residual (transposed Jacobian,
  coupling to the previous state, parameter derivatives) as compiled forms;
- reduced_misfit.py: the misfit as a function of parameters, and its exact gradient by the
  adjoint of the discrete time steps (with a store-every-K recompute scheme for long runs).
"""

from fem_chemotaxis.fitting.misfit import FieldObservation, Misfit
from fem_chemotaxis.fitting.reduced_misfit import ReducedMisfit

__all__ = ["FieldObservation", "Misfit", "ReducedMisfit"]
