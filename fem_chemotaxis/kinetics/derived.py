"""Macroscopic coefficients with their units, source and closed-form check, for one cell population.

A :class:`Coefficient` holds a value by quadrature and, where one exists, the closed form it
is checked against; a :class:`Derivation` is the table of them that ``fem-chemotaxis derive``
prints. The builders below compute the coefficients of one population's turning law (the
single-cell SPEC has one; a multi-species SPEC one per population and field):

- :func:`diffusion_coefficients`: D (and psi, the mean cosine of persistent turning);
- :func:`taxis_coefficient`: chi towards one field (per unit k when k depends on the level);
- :func:`transduction_coefficient`: chi0 of excitation/adaptation, chi(S) = chi0 g'(S).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fem_chemotaxis.kinetics import coefficients as cf
from fem_chemotaxis.kinetics.persistence import VonMises
from fem_chemotaxis.kinetics.tables import Units
from fem_chemotaxis.kinetics.turning import TaxisPerturbation, TurningLaw
from fem_chemotaxis.kinetics.velocities import Sphere

__all__ = [
    "MAX_KERNEL_PAIRS",
    "Coefficient",
    "Derivation",
    "diffusion_coefficients",
    "taxis_coefficient",
    "transduction_coefficient",
]

#: Largest number of velocity pairs a kernel's double integral may take.
MAX_KERNEL_PAIRS = 50_000_000


@dataclass(frozen=True)
class Coefficient:
    """One macroscopic coefficient.

    Attributes:
        symbol: Its symbol ("D", "chi", "chi[u1->u3]", ...).
        description: What it is.
        value: The value by quadrature (a number or an n x n tensor).
        units: Its units, in the SPEC's unit names.
        source: The equations it comes from.
        closed_form: The closed-form value, or None where there is none.
        closed_form_text: The closed form as a formula.
    """

    symbol: str
    description: str
    value: float | np.ndarray
    units: str
    source: str
    closed_form: float | np.ndarray | None = None
    closed_form_text: str = ""

    @property
    def relative_difference(self) -> float | None:
        """max |quadrature - closed form| / max |closed form|, or None."""
        if self.closed_form is None:
            return None
        exact = np.asarray(self.closed_form, dtype=float)
        return float(np.abs(np.asarray(self.value) - exact).max() / np.abs(exact).max())

    @property
    def scalar(self) -> float | None:
        """The value as one number if it is a number or a multiple of the identity, else None."""
        return _isotropic(self.value)


@dataclass(frozen=True)
class Derivation:
    """The coefficients derived from a SPEC.

    Attributes:
        spec: The SPEC (a single-cell KineticSpec or a MixtureSpec).
        coefficients: By symbol, in the order they are reported.
        summary: Lines describing the cells, printed above the table.
    """

    spec: Any
    coefficients: dict[str, Coefficient]
    summary: list[str] = field(default_factory=list)

    def __getitem__(self, symbol: str) -> Coefficient:
        return self.coefficients[symbol]

    def report(self) -> str:
        """The summary and a table: coefficient, quadrature, closed form, relative difference, units, source."""
        rows = [("coefficient", "quadrature", "closed form", "rel. diff", "units", "source")]
        for c in self.coefficients.values():
            diff = c.relative_difference
            rows.append(
                (
                    f"{c.symbol}  {c.description}",
                    _format(c.value),
                    "-" if c.closed_form is None else f"{_format(c.closed_form)} = {c.closed_form_text}",
                    "-" if diff is None else f"{diff:.1e}",
                    c.units,
                    c.source,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        return "\n".join([*self.summary, "", *table])


def _isotropic(value: float | np.ndarray) -> float | None:
    """A number, or the multiple of the identity a tensor is (to 1e-12), else None."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return float(array)
    diagonal = np.diag(array)
    scale = np.abs(array).max()
    if np.abs(array - np.diag(diagonal)).max() <= 1e-12 * scale and np.ptp(diagonal) <= 1e-12 * scale:
        return float(diagonal.mean())
    return None


def _format(value: float | np.ndarray) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.10g}"
    scalar = _isotropic(array)
    if scalar is not None:
        return f"{scalar:.10g} I"
    return "[" + ", ".join("[" + ", ".join(f"{x:.6g}" for x in row) + "]" for row in array) + "]"


def squeeze(value: float | np.ndarray, n: int) -> float | np.ndarray:
    """A number or 1 x 1 tensor as a number; larger tensors unchanged."""
    array = np.asarray(value, dtype=float)
    return float(array.reshape(-1)[0]) if n == 1 else array


def _psi_closed(law: TurningLaw) -> tuple[float, str]:
    """The closed-form mean cosine of the law's turning and its formula."""
    if law.angle is None:
        return 0.0, ""
    if isinstance(law.angle, VonMises):
        text = "I1(kappa)/I0(kappa)" if law.dimension == 2 else "coth(kappa) - 1/kappa"
    else:
        text = "exact integrals of the tabulated density"
    return law.angle.mean_cosine_closed(), text


def diffusion_coefficients(law: TurningLaw, units: Units, suffix: str = "") -> list[Coefficient]:
    """D = (1/sigma_d) int v (x) v M dv, and psi when the cells turn with persistence."""
    n, v = law.dimension, law.velocities
    psi, psi_text = _psi_closed(law)
    out = []
    if law.angle is not None:
        out.append(
            Coefficient(
                f"psi{suffix}",
                "mean cosine of the turning angle",
                law.persistence,
                "1",
                "E[cos theta] by quadrature over theta",
                psi,
                psi_text,
            )
        )
    closed: float | np.ndarray | None = None
    text = ""
    if isinstance(v, Sphere):
        if law.turning == "reversal":
            closed, text = cf.telegraph_diffusion(v.speed, law.rate), "s^2/(2 lambda)"
        elif law.angle is not None:
            closed = cf.persistent_diffusion(v.speed, law.rate, n, psi) * np.eye(n)
            text = "s^2/(n lambda (1 - psi)) I"
        else:
            closed, text = cf.uniform_turning_diffusion(v.speed, law.rate, n) * np.eye(n), "s^2/(lambda n) I"
    out.append(
        Coefficient(
            f"D{suffix}",
            "diffusion",
            squeeze(cf.diffusion_tensor(v, law.decorrelation_rate), n),
            f"{units.length}^2/{units.time}",
            "cross (35), (40) (1/sigma_d) int v(x)v M dv; chapter (7.3.14)",
            closed,
            text,
        )
    )
    return out


def taxis_coefficient(
    law: TurningLaw, perturbation: TaxisPerturbation, units: Units, symbol: str = "chi"
) -> Coefficient:
    """chi towards the perturbation's field, alpha = chi grad S (times k(S) when k depends on the level)."""
    n, v = law.dimension, law.velocities
    field_name = perturbation.towards
    closed: np.ndarray | None = None
    text = ""
    if perturbation.mechanism == "kernel":
        q = len(v.quadrature().weights)
        if q * q > MAX_KERNEL_PAIRS:
            raise ValueError(
                f"[cells.velocities] the kernel's double integral would take {q * q:.3g} velocity "
                f"pairs (> {MAX_KERNEL_PAIRS:.0e}): lower 'nodes'"
            )
        value = cf.taxis_sensitivity(law, perturbation)
    else:
        k = perturbation.unit_strength
        value = cf.mechanism_sensitivity(v, k, perturbation.mechanism, law.persistence)
        if isinstance(v, Sphere):
            psi, _ = _psi_closed(law)
            factor, text = (
                (1 + psi, "k (1 + psi) s^2/n I") if perturbation.mechanism == "direction" else (1.0, "k s^2/n I")
            )
            closed = k * factor * v.speed**2 / n * np.eye(n)
    description = f"taxis sensitivity (alpha = chi grad {field_name})"
    if perturbation.level_dependent:
        description = (
            f"taxis sensitivity per unit k: chi({field_name}) = chi k({field_name}), k = {perturbation.strength}"
        )
        text = text.replace("k ", "", 1)
    return Coefficient(
        symbol,
        description,
        squeeze(value, n),
        f"{units.length}^2/({units.time} {units.signal})",
        "cross (36), (39) alpha = (1/sigma_d) int v T^1(M) dv; chapter (7.3.15)-(7.3.16)",
        None if closed is None else squeeze(closed, n),
        text,
    )


def transduction_coefficient(law: TurningLaw, units: Units, symbol: str = "chi0") -> Coefficient:
    """chi0 with chi(S) = chi0 g'(S), of excitation/adaptation (chapter (7.3.18)-(7.3.21))."""
    td = law.transduction
    if td is None:
        raise ValueError("the turning law has no transduction")
    n, v = law.dimension, law.velocities
    value = cf.transduction_sensitivity(v, law.decorrelation_rate, law.rate, td.b, td.tau_a, td.tau_e)
    closed: float | np.ndarray | None = None
    text = ""
    if isinstance(v, Sphere) and law.turning == "reversal":
        closed = cf.chapter_transduction_sensitivity(v.speed, law.rate, td.b, td.tau_a, td.tau_e)
        text = "chapter (7.3.21) b s^2 tau_a/(lambda0 (1+2 lambda0 tau_a)(1+2 lambda0 tau_e))"
    elif isinstance(v, Sphere):
        psi, _ = _psi_closed(law)
        rate = law.rate * (1 - psi)
        closed = td.b / law.rate * cf.excitation_response_closed(rate, td.tau_a, td.tau_e) * v.speed**2 / n * np.eye(n)
        text = "b s^2 tau_a/(n lambda0 (1+sigma_d tau_a)(1+sigma_d tau_e)) I, sigma_d = lambda0 (1 - psi)"
    return Coefficient(
        symbol,
        f"transduction sensitivity (chi({td.signal}) = chi0 g'({td.signal}))",
        squeeze(value, n),
        f"{units.length}^2/{units.time} per unit of g",
        "chapter (7.3.18)-(7.3.21) (b/lambda0) Khat(sigma_d) int v(x)v M dv",
        None if closed is None else squeeze(closed, n),
        text,
    )
