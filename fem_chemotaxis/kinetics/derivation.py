"""From a kinetic SPEC to the macroscopic coefficients, each with its units, source and check.

:func:`derive` computes every coefficient the SPEC implies by quadrature over the velocity
set and, where a closed form exists, evaluates it too; :meth:`Derivation.report` prints
them side by side with their relative difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fem_chemotaxis.kinetics import coefficients as cf
from fem_chemotaxis.kinetics.spec import KineticSpec
from fem_chemotaxis.kinetics.velocities import HeavyTailedEquilibrium, Sphere

__all__ = ["Coefficient", "Derivation", "derive"]

#: Largest number of velocity pairs a kernel's double integral may take.
MAX_KERNEL_PAIRS = 50_000_000


@dataclass(frozen=True)
class Coefficient:
    """One macroscopic coefficient.

    Attributes:
        symbol: Its symbol ("D", "chi", ...).
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
        spec: The SPEC.
        coefficients: By symbol, in the order they are reported.
        summary: Lines describing the cells, printed above the table.
    """

    spec: KineticSpec
    coefficients: dict[str, Coefficient]
    summary: list[str] = field(default_factory=list)

    def __getitem__(self, symbol: str) -> Coefficient:
        return self.coefficients[symbol]

    def report(self) -> str:
        """The summary and a table: coefficient, quadrature, closed form, relative difference, units, source."""
        rows = [("coefficient", "quadrature", "closed form", "rel. diff", "units", "source")]
        for c in self.coefficients.values():
            diff = c.relative_difference
            rows.append((
                f"{c.symbol}  {c.description}", _format(c.value),
                "-" if c.closed_form is None else f"{_format(c.closed_form)} = {c.closed_form_text}",
                "-" if diff is None else f"{diff:.1e}", c.units, c.source,
            ))
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


def derive(spec: KineticSpec) -> Derivation:
    """All macroscopic coefficients implied by `spec`, by quadrature and in closed form."""
    u = spec.units
    n = spec.dimension
    if spec.heavy_tail is not None:
        return _derive_fractional(spec, spec.heavy_tail)
    law = spec.law
    if law is None:
        raise ValueError("the SPEC has neither a turning law nor a heavy-tailed equilibrium")
    sigma = law.relaxation_rate
    v = law.velocities
    turning = ("reversals at rate lambda (chapter (7.3.1)), sigma = 2 lambda" if law.turning == "reversal"
               else "new velocity from M, sigma = lambda")
    summary = [
        f"Run-and-tumble cells '{spec.species}' in {n}-D: {v.describe()}",
        f"tumbling rate lambda = {law.rate:g} 1/{u.time}; {turning}",
    ]
    coeffs: dict[str, Coefficient] = {}

    closed: float | np.ndarray | None = None
    text = ""
    if isinstance(v, Sphere):
        if law.turning == "reversal":
            closed, text = cf.telegraph_diffusion(v.speed, law.rate), "s^2/(2 lambda)"
        else:
            closed, text = cf.uniform_turning_diffusion(v.speed, law.rate, n) * np.eye(n), "s^2/(lambda n) I"
    coeffs["D"] = Coefficient(
        "D", "diffusion", cf.diffusion_tensor(v, sigma) if n > 1 else float(cf.diffusion_tensor(v, sigma)[0, 0]),
        f"{u.length}^2/{u.time}", "cross (40) (1/sigma) int v(x)v M dv; chapter (7.3.14)", closed, text,
    )

    signal = spec.signal.name if spec.signal is not None else "S"
    if law.taxis is not None:
        summary.append(f"taxis towards '{signal}': {law.taxis.describe()}")
        closed, text = None, ""
        if law.taxis.mechanism == "kernel":
            q = len(v.quadrature().weights)
            if q * q > MAX_KERNEL_PAIRS:
                raise ValueError(f"[cells.velocities] the kernel's double integral would take {q * q:.3g} velocity "
                                 f"pairs (> {MAX_KERNEL_PAIRS:.0e}): lower 'nodes'")
            value = cf.taxis_sensitivity(v, sigma, law.taxis)
        else:
            value = cf.mechanism_sensitivity(v, law.taxis.strength)
            if isinstance(v, Sphere):
                closed, text = law.taxis.strength * v.speed**2 / n * np.eye(n), "k s^2/n I"
        coeffs["chi"] = Coefficient(
            "chi", f"taxis sensitivity (alpha = chi grad {signal})", _squeeze(value, n),
            f"{u.length}^2/({u.time} {u.signal})", "cross (39) alpha = (1/sigma) int v T^1(M) dv; chapter (7.3.16)",
            None if closed is None else _squeeze(closed, n), text,
        )

    td = law.transduction
    if td is not None:
        summary.append(f"signal transduction: {td.describe()}; g'({signal}) = {td.g_prime}")
        value = cf.transduction_sensitivity(v, sigma, law.rate, td.b, td.tau_a, td.tau_e)
        closed, text = None, ""
        if isinstance(v, Sphere) and law.turning == "reversal":
            closed = cf.chapter_transduction_sensitivity(v.speed, law.rate, td.b, td.tau_a, td.tau_e)
            text = "chapter (7.3.21) b s^2 tau_a/(lambda0 (1+2 lambda0 tau_a)(1+2 lambda0 tau_e))"
        elif isinstance(v, Sphere):
            closed = (td.b / law.rate * cf.excitation_response_closed(sigma, td.tau_a, td.tau_e)
                      * v.speed**2 / n * np.eye(n))
            text = "b s^2 tau_a/(n lambda0 (1+lambda0 tau_a)(1+lambda0 tau_e)) I"
        coeffs["chi0"] = Coefficient(
            "chi0", f"transduction sensitivity (chi({signal}) = chi0 g'({signal}))", _squeeze(value, n),
            f"{u.length}^2/{u.time} per unit of g",
            "chapter (7.3.18)-(7.3.21) (b/lambda0) Khat(sigma) int v(x)v M dv",
            None if closed is None else _squeeze(closed, n), text,
        )
    return Derivation(spec, coeffs, summary)


def _derive_fractional(spec: KineticSpec, eq: HeavyTailedEquilibrium) -> Derivation:
    u, sigma, gamma = spec.units, spec.rate, eq.gamma
    order = cf.fractional_order(gamma)
    k0, _ = eq.tail_constant()
    k0_closed = eq.default_constant() if eq.profile is None else None
    integral = cf.fractional_integral(eq.dimension, gamma)
    integral_closed = cf.fractional_integral_closed(eq.dimension, gamma)
    d_rho = cf.fractional_diffusion(eq, sigma)
    d_rho_closed = (k0_closed if k0_closed is not None else k0) * sigma**-gamma * integral_closed
    coeffs = {
        "alpha": Coefficient("alpha", "fractional order (-Lap)^(alpha/2)", order, "1",
                             "fractional file (5): gamma + 1"),
        "K0": Coefficient(
            "K0", "tail constant F ~ K0 |v|^-(N+gamma+1)", k0, f"({u.length}/{u.time})^{order:g}",
            "fractional file (2)", k0_closed, "Gamma(p)/(pi^(N/2) Gamma((gamma+1)/2))" if k0_closed is not None else "",
        ),
        "I": Coefficient(
            "I", "Lemma integral int y1^2/(1+y1^2) |y|^-(N+gamma+1) dy", integral, "1", "fractional file, Lemma",
            integral_closed, "pi/(2cos(pi gamma/2)) 2pi^((N-1)/2) Gamma(1+gamma/2)/Gamma((N+1+gamma)/2)",
        ),
        "D_rho": Coefficient(
            "D_rho", "fractional diffusion K0 sigma^-gamma I", d_rho, f"{u.length}^{order:g}/{u.time}",
            "fractional file, Lemma", d_rho_closed, "closed forms of K0 and I" if k0_closed is not None else "closed I",
        ),
    }
    summary = [
        f"Cells '{spec.species}' in {eq.dimension}-D relaxing at rate sigma = {sigma:g} 1/{u.time} to {eq.describe()}",
        f"mass of F = {eq.mass():.12g}; limit rho_t = -D_rho (-Lap)^({order:g}/2) rho",
    ]
    return Derivation(spec, coeffs, summary)


def _squeeze(value: float | np.ndarray, n: int) -> float | np.ndarray:
    """A number or 1 x 1 tensor as a number; larger tensors unchanged."""
    array = np.asarray(value, dtype=float)
    return float(array.reshape(-1)[0]) if n == 1 else array
