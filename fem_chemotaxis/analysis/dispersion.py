"""Linear stability of homogeneous steady states: the dispersion relation of any model.

Around a homogeneous steady state ``u*`` (all reactions vanish, evaluated at
``x = y = z = t = 0``), a perturbation ``U exp(lambda t) phi(x)``, with ``phi`` a Neumann
eigenfunction of the domain (``-Lap phi = mu2 phi``, e.g. ``cos(k pi x / L)``), solves::

    lambda B U = (J - mu2 M) U

- ``J = df/du (u*)``, the Jacobian of the reactions (complex-step derivatives, exact to
  rounding for analytic expressions);
- ``M`` the mobility matrix: ``M_ii = D_i(u*)`` (``n . D_i n`` for a diffusion tensor and
  a wave vector along ``n``), ``M_ij = -S_ij(u*) q'(0)`` for taxis of species
  ``i`` towards ``j`` through a limiter Q with Jacobian ``q'(0) I`` at 0
  (:func:`~fem_chemotaxis.model.limiters.slope_at_zero`; 1 for every limiter offered);
  ``grad u* = 0`` removes the derivatives of ``D`` and ``S``;
- ``B = diag(1 if species i has a time derivative else 0)``: quasi-steady species make the
  problem a generalised one, whose infinite eigenvalues are dropped.

A species with fractional diffusion ``-D (-Lap)^(a/2) u`` (spectral, same eigenfunctions)
contributes ``D mu2^(a/2)`` instead of ``D mu2`` to its diagonal.

Chapter 7.2 is the two-species Keller-Segel case. Pure NumPy/SciPy, no DOLFINx.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg

from fem_chemotaxis.expressions import NUMPY_FUNCTIONS, Expression
from fem_chemotaxis.model.limiters import slope_at_zero
from fem_chemotaxis.model.model import COORDINATES, TIME, Model

__all__ = ["growth_modes", "growth_rates", "homogeneous_steady_state", "linearisation", "reaction_values"]

#: Complex-step step size: derivatives are Im f(u + i h) / h, with no cancellation.
_COMPLEX_STEP = 1e-30

#: A generalised eigenvalue alpha/beta is infinite when |beta| <= this * |alpha|.
_INFINITE = 1e-12

#: The expression functions, extended analytically to complex arguments (for the complex
#: step): piecewise functions branch on the real part.
_COMPLEX_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **NUMPY_FUNCTIONS,
    "abs": lambda a: a * np.sign(np.real(a)),
    "min": lambda a, b: np.where(np.real(a) <= np.real(b), a, b),
    "max": lambda a, b: np.where(np.real(a) >= np.real(b), a, b),
    "heaviside": lambda a: np.heaviside(np.real(a), 0.0),
}


def _symbols(model: Model, state: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters, the origin and t = 0, and the species values of `state`."""
    return {**model.parameters, **dict.fromkeys(COORDINATES, 0.0), TIME: 0.0, **state}


def _check_local(model: Model) -> None:
    """Reject what a homogeneous, mode-by-mode analysis cannot treat: flows, non-local terms, noise."""
    if model.flow is not None:
        raise ValueError(
            f"model '{model.name}' has a flow: advection couples the Laplacian modes, which the "
            "homogeneous linear analysis does not support"
        )
    for sp in model.species:
        for expr in sp.expressions():
            if expr.calls("integral") or expr.calls("noise"):
                raise ValueError(
                    f"model '{model.name}', species '{sp.name}': {expr.text!r} uses integral() or "
                    "noise(), which the homogeneous linear analysis does not support"
                )


def _real(expr: Expression, symbols: Mapping[str, Any], model: Model, what: str) -> float:
    """The value of `expr` as a real number; ValueError if it is complex or not finite."""
    with np.errstate(all="ignore"):
        value = complex(np.asarray(expr.evaluate(symbols, NUMPY_FUNCTIONS)).item())
    if value.imag != 0.0 or not np.isfinite(value.real):
        state = ", ".join(f"{n} = {symbols[n]:.6g}" for n in model.species_names)
        raise ValueError(f"{what} {expr.text!r} is not a finite real number at {state}: {value}")
    return value.real


def reaction_values(model: Model, state: Mapping[str, float]) -> np.ndarray:
    """The reaction terms f_i(state), in species order (0 for a species without reactions)."""
    symbols = _symbols(model, state)
    return np.array(
        [
            0.0 if sp.reaction is None else _real(sp.reaction, symbols, model, f"reaction of {sp.name}")
            for sp in model.species
        ]
    )


def _jacobian(model: Model, state: Mapping[str, float]) -> np.ndarray:
    """df_i/du_j at `state` by complex-step differentiation."""
    names = model.species_names
    jac = np.zeros((len(names), len(names)))
    for j, name in enumerate(names):
        symbols = _symbols(model, {**state, name: complex(state[name], _COMPLEX_STEP)})
        for i, sp in enumerate(model.species):
            if sp.reaction is not None:
                value = complex(np.asarray(sp.reaction.evaluate(symbols, _COMPLEX_FUNCTIONS)).item())
                jac[i, j] = value.imag / _COMPLEX_STEP
    return jac


def homogeneous_steady_state(
    model: Model,
    guess: Mapping[str, float],
    *,
    tol: float = 1e-12,
    max_iterations: int = 50,
) -> dict[str, float]:
    """A uniform state where every reaction vanishes, by Newton's method from `guess`.

    Species without a reaction term keep their guessed value: their mean is conserved, so it
    is a free parameter of the state (``u_bar`` of Keller-Segel). The Newton step is a
    least-squares one, so a Jacobian made singular by other conservation laws is accepted.

    Args:
        model: The model.
        guess: A starting value for every species.
        tol: Convergence threshold on max |f_i|, relative to max(1, max |u_i|).
        max_iterations: Newton iterations allowed.

    Returns:
        The steady state, species name -> value.

    Raises:
        ValueError: if a species has no guess, or Newton does not converge.
    """
    _check_local(model)
    names = model.species_names
    missing = [n for n in names if n not in guess]
    if missing:
        raise ValueError(f"homogeneous_steady_state: no guess for species {', '.join(missing)}")
    free = [i for i, sp in enumerate(model.species) if sp.reaction is not None]
    u = np.array([float(guess[n]) for n in names])
    residual = np.inf
    for _ in range(max_iterations + 1):
        state = dict(zip(names, u.tolist()))
        f = reaction_values(model, state)
        residual = float(np.max(np.abs(f))) if f.size else 0.0
        if residual <= tol * max(1.0, float(np.max(np.abs(u)))):
            return state
        jac = _jacobian(model, state)[np.ix_(free, free)]
        step = np.linalg.lstsq(jac, -f[free], rcond=None)[0]
        u[free] += step
        if not np.all(np.isfinite(u)):
            break
    raise ValueError(
        f"homogeneous_steady_state: Newton did not converge for model '{model.name}' from guess "
        f"{dict(guess)} (max |f| = {residual:.3g} after {max_iterations} iterations); "
        "try another guess, or the model may have no homogeneous steady state there"
    )


def linearisation(
    model: Model, state: Mapping[str, float], direction: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrices (J, M, B) of the linearised system at a homogeneous state.

    Args:
        model: The model.
        state: A homogeneous steady state (species name -> value).
        direction: Direction of the wave vector; needed only if a diffusion is a tensor
            (anisotropic), whose mode coefficient is then ``n . D n`` with ``n`` normalised.

    Returns:
        J, the reaction Jacobian; M, the mobility matrix (``M_ii = D_i``, ``M_ij = -S_ij q'(0)``;
        for a fractional species ``M_ii`` multiplies ``mu2^(a/2)``, not ``mu2``); B, the
        diagonal time-derivative matrix. Rows and columns follow the species order.
    """
    _check_local(model)
    names = model.species_names
    index = {n: k for k, n in enumerate(names)}
    symbols = _symbols(model, state)
    n = len(names)
    mobility = np.zeros((n, n))
    for i, sp in enumerate(model.species):
        if isinstance(sp.diffusion, Expression):
            mobility[i, i] += _real(sp.diffusion, symbols, model, f"diffusion of {sp.name}")
        elif sp.diffusion is not None:
            if direction is None:
                raise ValueError(
                    f"species '{sp.name}' has a diffusion tensor: give the direction of the mode's wave vector"
                )
            tensor = np.array(
                [[_real(e, symbols, model, f"diffusion of {sp.name}") for e in row] for row in sp.diffusion]
            )
            unit = np.zeros(len(tensor))
            unit[: len(direction)] = np.asarray(direction, dtype=float)[: len(tensor)]
            unit /= np.linalg.norm(unit)
            mobility[i, i] += unit @ tensor @ unit
        for tx in sp.taxis:
            sensitivity = _real(tx.sensitivity, symbols, model, f"taxis sensitivity of {sp.name}")
            mobility[i, index[tx.towards]] -= sensitivity * slope_at_zero(tx.limiter)
    b = np.diag([1.0 if sp.time_derivative else 0.0 for sp in model.species])
    return _jacobian(model, state), mobility, b


def growth_rates(
    model: Model, state: Mapping[str, float], mu2: float, direction: Sequence[float] | None = None
) -> np.ndarray:
    """Growth rates lambda of the Laplacian mode with eigenvalue `mu2` at a homogeneous state.

    The finite eigenvalues of ``lambda B U = (J - mu2 M) U`` (``mu2^(a/2)`` on the diagonal of
    a fractional species), sorted by decreasing real part (the first one decides stability).
    `direction` as in :func:`linearisation`.
    """
    values, _ = growth_modes(model, state, mu2, direction)
    return values


def growth_modes(
    model: Model, state: Mapping[str, float], mu2: float, direction: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`growth_rates`, with the eigenvectors (columns, species order) as well."""
    jac, mobility, b = linearisation(model, state, direction)
    symbol = mu2 * mobility
    for i, sp in enumerate(model.species):
        if sp.fractional_order is not None:
            symbol[i, i] = mobility[i, i] * mu2 ** (sp.fractional_order / 2)
    (alpha, beta), vectors = scipy.linalg.eig(jac - symbol, b, homogeneous_eigvals=True)
    finite = np.abs(beta) > _INFINITE * np.abs(alpha)
    values, vectors = alpha[finite] / beta[finite], vectors[:, finite]
    order = np.argsort(-values.real, kind="stable")
    return values[order], vectors[:, order]
