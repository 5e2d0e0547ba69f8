"""Linear stability of a homogeneous steady state on a given set of Laplacian modes.

A perturbation ``U exp(lambda t) phi_k(x)`` of a homogeneous steady state ``u*``, with
``phi_k`` a no-flux Laplacian eigenfunction of the domain (``-Lap phi_k = mu_k phi_k``),
grows at the finite eigenvalues of ``lambda B U = (J - mu_k M(u*)) U`` (see
:mod:`fem_chemotaxis.analysis.dispersion`). Given the ``mu_k`` of an actual mesh (from
:func:`fem_chemotaxis.analysis.laplace_eigen.neumann_modes`) or of a closed form, this
module evaluates that relation mode by mode (:func:`stability_report`), and finds the
value of a parameter at which the first mode turns unstable (:func:`critical_value`).

Every result has a ``to_dict()`` that is JSON-serialisable; complex numbers are written as
``{"real": ..., "imag": ...}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fem_chemotaxis.analysis.dispersion import growth_modes, homogeneous_steady_state
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.model.model import Model

__all__ = ["ModeStability", "Onset", "StabilityReport", "critical_value", "stability_report"]

#: A growth rate counts as positive (unstable) above this fraction of the mode's largest
#: |lambda| (or of 1): rounding makes exactly neutral rates (a conserved mass) about 1e-16.
NEUTRAL_TOLERANCE = 1e-12


def _complex(z: complex) -> dict[str, float]:
    return {"real": float(z.real), "imag": float(z.imag)}


@dataclass(frozen=True)
class ModeStability:
    """The growth rates of one Laplacian mode.

    Attributes:
        index: Number of the mode (1 for the first non-constant one; 0 for the constant mode).
        mu: Its Laplacian eigenvalue ``mu_k``.
        rates: The finite eigenvalues of ``lambda B U = (J - mu_k M) U``, by decreasing real part.
        vectors: Their eigenvectors (columns, species order).
    """

    index: int
    mu: float
    rates: np.ndarray
    vectors: np.ndarray

    @property
    def growth_rate(self) -> float:
        """The largest real part of the rates (-inf if the mode has no finite rate)."""
        return float(self.rates[0].real) if self.rates.size else -math.inf

    @property
    def unstable(self) -> bool:
        """Whether a perturbation of this mode grows."""
        scale = max(1.0, float(np.max(np.abs(self.rates)))) if self.rates.size else 1.0
        return self.growth_rate > NEUTRAL_TOLERANCE * scale

    @property
    def leading_vector(self) -> np.ndarray:
        """The eigenvector of the fastest rate, scaled so that its largest entry is 1.

        Real when that rate is real; empty if the mode has no finite rate.
        """
        if not self.rates.size:
            return np.zeros(0)
        vector = self.vectors[:, 0]
        vector = vector / vector[np.argmax(np.abs(vector))]
        return vector.real if self.rates[0].imag == 0 else vector

    def to_dict(self, species: Sequence[str]) -> dict[str, Any]:
        """The mode as JSON-ready data (`species` names the vector entries)."""
        return {
            "index": self.index,
            "mu": self.mu,
            "growth_rate": self.growth_rate if self.rates.size else None,
            "unstable": self.unstable,
            "rates": [_complex(z) for z in self.rates],
            "leading_vector": {n: _complex(complex(v)) for n, v in zip(species, self.leading_vector)},
        }


@dataclass(frozen=True)
class StabilityReport:
    """A homogeneous steady state and the growth rates of the given Laplacian modes.

    Attributes:
        model: Name of the model.
        parameters: The model's parameter values.
        species: Species names, in the order of the rate eigenvectors.
        steady_state: The homogeneous steady state, species -> value.
        homogeneous: The constant mode (``mu = 0``): spatially uniform perturbations.
        modes: The non-constant modes, in the order of the eigenvalues given.
    """

    model: str
    parameters: Mapping[str, float]
    species: tuple[str, ...]
    steady_state: Mapping[str, float]
    homogeneous: ModeStability
    modes: tuple[ModeStability, ...]

    @property
    def unstable_modes(self) -> list[ModeStability]:
        """The non-constant modes that grow."""
        return [m for m in self.modes if m.unstable]

    @property
    def fastest_mode(self) -> ModeStability | None:
        """The non-constant mode with the largest growth rate (the least stable one if none
        grows); None without modes."""
        return max(self.modes, key=lambda m: m.growth_rate, default=None)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        fastest = self.fastest_mode
        return {
            "model": self.model,
            "parameters": dict(self.parameters),
            "steady_state": dict(self.steady_state),
            "homogeneous": self.homogeneous.to_dict(self.species),
            "unstable_modes": [m.index for m in self.unstable_modes],
            "fastest_mode": None if fastest is None else fastest.index,
            "modes": [m.to_dict(self.species) for m in self.modes],
        }

    def table(self) -> str:
        """A readable summary: the steady state, one line per mode, and the verdict."""
        state = ", ".join(f"{n} = {v:.6g}" for n, v in self.steady_state.items())
        params = ", ".join(f"{n} = {v:g}" for n, v in self.parameters.items())
        uniform = ", ".join(f"{z.real:.4g}" + (f"{z.imag:+.4g}i" if z.imag else "") for z in self.homogeneous.rates)
        lines = [
            f"model '{self.model}' ({params})",
            f"homogeneous steady state: {state}",
            f"uniform perturbations (mu = 0): rates {uniform or '(none)'}"
            + (" -> UNSTABLE without diffusion" if self.homogeneous.unstable else ""),
            "",
            f"{'k':>4} {'mu_k':>12} {'growth rate':>13} {'Im':>10}  ",
        ]
        for m in self.modes:
            leading = m.rates[0] if m.rates.size else complex(-math.inf)
            lines.append(
                f"{m.index:>4d} {m.mu:>12.6g} {leading.real:>13.6g} {leading.imag:>10.3g}  "
                + ("unstable" if m.unstable else "")
            )
        unstable, fastest = self.unstable_modes, self.fastest_mode
        lines.append("")
        if unstable:
            lines.append(
                f"unstable modes: {', '.join(str(m.index) for m in unstable)} ({len(unstable)} of {len(self.modes)})"
            )
            assert fastest is not None
            lines.append(
                f"fastest-growing mode: k = {fastest.index}, mu_k = {fastest.mu:.6g}, growth rate "
                f"{fastest.growth_rate:.6g} (e-folding time {1 / fastest.growth_rate:.4g})"
            )
        elif fastest is not None:
            lines.append(
                f"no unstable mode among the {len(self.modes)}; least stable: "
                f"k = {fastest.index}, mu_k = {fastest.mu:.6g}, growth rate {fastest.growth_rate:.6g}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Onset:
    """Where a parameter makes the steady state unstable, and in which mode.

    Attributes:
        parameter: The parameter varied.
        value: Its critical value: the largest growth rate over the modes is 0 there.
        bracket: The interval searched.
        mode: Number of the mode that is unstable just past the critical value.
        mu: Its Laplacian eigenvalue.
        unstable_above: Whether the modes are unstable above the critical value (else below).
    """

    parameter: str
    value: float
    bracket: tuple[float, float]
    mode: int
    mu: float
    unstable_above: bool

    def to_dict(self) -> dict[str, Any]:
        """The onset as JSON-ready data."""
        return {
            "parameter": self.parameter,
            "value": self.value,
            "bracket": list(self.bracket),
            "mode": self.mode,
            "mu": self.mu,
            "unstable_above": self.unstable_above,
        }


def _check_model(model: Model) -> None:
    """Reject terms that Laplacian eigenfunctions do not diagonalise."""
    if model.flow is not None:
        raise ValueError(
            f"model '{model.name}' has a flow: advection couples the Laplacian modes, "
            "which the mode-by-mode stability analysis does not support"
        )
    for sp in model.species:
        if sp.diffusion is not None and not isinstance(sp.diffusion, Expression):
            raise ValueError(
                f"species '{sp.name}' of model '{model.name}' has a diffusion tensor: Laplacian modes "
                "do not diagonalise anisotropic diffusion, so the mode-by-mode stability analysis "
                "needs scalar diffusion"
            )
        if sp.fractional_order is not None:
            raise ValueError(
                f"species '{sp.name}' of model '{model.name}' has fractional diffusion "
                f"(fractional_order = {sp.fractional_order:g}), which the stability analysis does not "
                "support"
            )


def _eigenvalues(eigenvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    values = np.asarray(eigenvalues, dtype=float).ravel()
    bad = values[~(np.isfinite(values) & (values >= 0))]
    if bad.size:
        raise ValueError(f"Laplacian eigenvalues must be finite and non-negative, got {float(bad[0])!r}")
    return values


def _mode(model: Model, state: Mapping[str, float], index: int, mu: float) -> ModeStability:
    rates, vectors = growth_modes(model, state, mu)
    return ModeStability(index, float(mu), rates, vectors)


def stability_report(
    model: Model,
    state: Mapping[str, float],
    eigenvalues: Sequence[float] | np.ndarray,
    indices: Sequence[int] | None = None,
) -> StabilityReport:
    """The growth rates of every given Laplacian mode about a homogeneous steady state.

    Args:
        model: The model (scalar, non-fractional diffusion).
        state: A homogeneous steady state (see
            :func:`~fem_chemotaxis.analysis.dispersion.homogeneous_steady_state`).
        eigenvalues: The non-constant modes' Laplacian eigenvalues ``mu_k``.
        indices: Their mode numbers (default 1, 2, ...).

    Raises:
        ValueError: for an eigenvalue that is negative or not finite, indices that do not
            match the eigenvalues, or a model the analysis does not cover.
    """
    _check_model(model)
    values = _eigenvalues(eigenvalues)
    numbers = list(range(1, values.size + 1)) if indices is None else [int(i) for i in indices]
    if len(numbers) != values.size:
        raise ValueError(f"{len(numbers)} mode indices given for {values.size} eigenvalues")
    return StabilityReport(
        model=model.name,
        parameters=dict(model.parameters),
        species=tuple(model.species_names),
        steady_state=dict(state),
        homogeneous=_mode(model, state, 0, 0.0),
        modes=tuple(_mode(model, state, k, mu) for k, mu in zip(numbers, values)),
    )


def critical_value(
    model: Model,
    parameter: str,
    bracket: tuple[float, float],
    eigenvalues: Sequence[float] | np.ndarray,
    guess: Mapping[str, float],
    *,
    rtol: float = 1e-12,
) -> Onset:
    """The value of `parameter` at which the steady state turns unstable, by bisection.

    At each value the homogeneous steady state is found again by Newton from `guess`
    (species without reactions keep their guessed value, e.g. ``u_bar``), and the largest
    growth rate over the given modes is evaluated; the bisection keeps the sub-interval on
    whose ends it has opposite signs.

    Args:
        model: The model.
        parameter: Name of the parameter to vary.
        bracket: (low, high): the growth rate must have opposite signs at the two ends.
        eigenvalues: The non-constant modes' Laplacian eigenvalues ``mu_k``.
        guess: Newton's starting point for the steady state.
        rtol: Stop when the interval is shorter than `rtol` times its largest end.

    Raises:
        ValueError: for an unknown parameter, a bracket that is not two increasing finite
            numbers, or one over which the stability does not change.
    """
    _check_model(model)
    values = _eigenvalues(eigenvalues)
    if values.size == 0:
        raise ValueError("critical_value needs at least one Laplacian eigenvalue")
    if parameter not in model.parameters:
        raise ValueError(
            f"'{parameter}' is not a parameter of model '{model.name}'; its parameters: {', '.join(model.parameters)}"
        )
    low, high = (float(b) for b in bracket)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"the bracket of '{parameter}' must be two finite numbers low < high, got {tuple(bracket)!r}")

    def report(value: float) -> StabilityReport:
        varied = model.with_parameters({parameter: value})
        return stability_report(varied, homogeneous_steady_state(varied, guess), values)

    def unstable(value: float) -> bool:
        return bool(report(value).unstable_modes)

    low_unstable, high_unstable = unstable(low), unstable(high)
    if low_unstable == high_unstable:
        rates = [report(v).fastest_mode.growth_rate for v in (low, high)]  # type: ignore[union-attr]
        raise ValueError(
            f"the bracket [{low:g}, {high:g}] of '{parameter}' does not contain an onset: the largest "
            f"growth rate is {rates[0]:.4g} at {parameter} = {low:g} and {rates[1]:.4g} at "
            f"{parameter} = {high:g} ({'unstable' if low_unstable else 'stable'} at both ends)"
        )
    while high - low > rtol * max(abs(low), abs(high)):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if unstable(middle) == high_unstable:
            high = middle
        else:
            low = middle
    onset = report(high if high_unstable else low).fastest_mode
    assert onset is not None
    searched = (float(bracket[0]), float(bracket[1]))
    return Onset(parameter, 0.5 * (low + high), searched, onset.index, onset.mu, high_unstable)
