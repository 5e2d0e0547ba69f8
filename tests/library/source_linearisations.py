"""Every built-in model linearised by hand from its source's equations, independently of the package.

For a homogeneous steady state ``u*`` and a Neumann mode with Laplacian eigenvalue ``mu2``
(``-Lap phi = mu2 phi``), the perturbation ``U exp(lambda t) phi`` of a system
``B du/dt = div(sum_j M_ij grad u_j) + f(u)`` solves ``lambda B U = (J - mu2 M) U``:

- ``J = df/du (u*)``, differentiated by hand below from each source's reaction terms;
- ``M`` the mobility at ``u*``: ``M_ii = D_i(u*)``, ``M_ij = -chi_ij(u*)`` for taxis of i up
  ``grad u_j`` (``grad u* = 0`` removes the derivatives of D and chi; every flux limiter has
  ``Q'(0) = 1``); a species with fractional diffusion ``-D (-Lap)^(a/2)`` has ``D mu2^(a/2)``
  in place of ``D mu2`` (spectral operator, same eigenfunctions);
- ``B = diag(1, or 0 for a quasi-steady species)``.

The equations are those of the source documents (/work/shared/seeds/, /work/shared/MODELS.md;
equation numbers there), the parameter values the defaults each library module documents,
and each steady state is written in closed form. Nothing here calls the package: these are
the references the package's linearisation and the simulated growth are checked against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SOURCES", "SourceModel", "leading_mode"]

Matrices = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class SourceModel:
    """A built-in model as its source writes it.

    Attributes:
        equation: Where the equations come from.
        parameters: The documented default values, with the case's overrides applied.
        state: The homogeneous steady state in closed form, from the parameters.
        matrices: (J, M, B) at the state, from the parameters and the state.
        fractional: Species index -> order a of ``(-Lap)^(a/2)``.
        length: Length L of the test rectangle L x L/20 (modes cos(k pi x / L)).
        overrides: The parameters changed from the defaults (to put the state where the
            transport couples; see the growth-rate test's docstring).
    """

    equation: str
    parameters: dict[str, float]
    state: Callable[[dict[str, float]], dict[str, float]]
    matrices: Callable[[dict[str, float], dict[str, float]], Matrices]
    fractional: dict[int, float] = field(default_factory=dict)
    length: float = 2.0
    overrides: dict[str, float] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        """The parameter values used: defaults with the overrides."""
        return {**self.parameters, **self.overrides}


def leading_mode(source: SourceModel, mu2: float) -> tuple[complex, np.ndarray]:
    """The fastest rate of ``lambda B U = (J - mu2 M) U`` and its eigenvector (all species).

    Quasi-steady species (B_ii = 0) are eliminated by a Schur complement.
    """
    p = source.values
    state = source.state(p)
    jac, mobility, b = source.matrices(p, state)
    symbol = mu2 * mobility
    for i, order in source.fractional.items():
        symbol[i, i] = mobility[i, i] * mu2 ** (order / 2)
    a = jac - symbol
    dynamic = np.flatnonzero(np.diag(b) != 0)
    steady = np.flatnonzero(np.diag(b) == 0)
    reduced = a[np.ix_(dynamic, dynamic)]
    if steady.size:
        reduced = reduced - a[np.ix_(dynamic, steady)] @ np.linalg.solve(
            a[np.ix_(steady, steady)], a[np.ix_(steady, dynamic)]
        )
    rates, vectors = np.linalg.eig(reduced)
    first = int(np.argmax(rates.real))
    vector = np.zeros(len(a), dtype=complex)
    vector[dynamic] = vectors[:, first]
    if steady.size:
        vector[steady] = -np.linalg.solve(a[np.ix_(steady, steady)], a[np.ix_(steady, dynamic)] @ vectors[:, first])
    return rates[first], vector


def _keller_segel(
    quasi_steady: bool = False,
    sensitivity: Callable[[dict, dict], float] | None = None,
    diffusion: Callable[[dict], float] | None = None,
) -> Callable[[dict, dict], Matrices]:
    """u_t = div(d grad u - chi(u, s) u grad s), (s_t =) ds Lap s + alpha u - beta s (chapter (7.2.1)-(7.2.2))."""

    def matrices(p: dict, s: dict) -> Matrices:
        chi = sensitivity(p, s) if sensitivity else p["chi"] * s["u"]
        d = diffusion(p) if diffusion else p["d"]
        jac = np.array([[0.0, 0.0], [p["alpha"], -p["beta"]]])
        mobility = np.array([[d, -chi], [0.0, p["ds"]]])
        return jac, mobility, np.diag([1.0, 0.0 if quasi_steady else 1.0])

    return matrices


def _uniform_cells(p: dict) -> dict[str, float]:
    return {"u": 1.0, "s": p["alpha"] / p["beta"]}


def _transduction_chi(p: dict, s: dict) -> float:
    """chapter (7.3.21): b s^2 tau_a g'(S)/(lambda0 (1 + 2 lambda0 tau_a)(1 + 2 lambda0 tau_e)), g = S/(K + S)."""
    g_prime = p["K"] / (p["K"] + s["s"]) ** 2
    return (
        p["b"]
        * p["speed"] ** 2
        * p["tau_a"]
        * g_prime
        / (p["lambda0"] * (1 + 2 * p["lambda0"] * p["tau_a"]) * (1 + 2 * p["lambda0"] * p["tau_e"]))
    ) * s["u"]


def _may_nowak(p: dict, s: dict) -> Matrices:
    """Cross-diffusion file (2): u1 healthy cells up grad u2, u2 infected, u3 virus."""
    u1, u3 = s["u1"], s["u3"]
    jac = np.array(
        [
            [-p["d1"] - p["beta"] * u3, 0.0, -p["beta"] * u1],
            [p["beta"] * u3, -p["d2"], p["beta"] * u1],
            [0.0, p["k"], -p["d3"]],
        ]
    )
    mobility = np.array([[p["D1"], -p["chi"] * u1, 0.0], [0.0, p["D2"], 0.0], [0.0, 0.0, p["D3"]]])
    return jac, mobility, np.eye(3)


def _may_nowak_state(p: dict) -> dict[str, float]:
    u1 = p["d2"] * p["d3"] / (p["beta"] * p["k"])
    u2 = (p["r0"] - p["d1"] * u1) / p["d2"]
    return {"u1": u1, "u2": u2, "u3": p["k"] * u2 / p["d3"]}


def _cancer_invasion(p: dict, s: dict) -> Matrices:
    """Cross-diffusion file (55), lengths in units of ell: fluxes times ell^2.

    u1_t = ell^2 div(grad u1 - chi u1 grad u2 - xi u1 grad u3) + mu u1 (r - u1 - u3),
    u2_t = (ell^2/sigma) Lap u2 + (u1 - u2)/sigma,  u3_t = -u2 u3 + eta u3 (1 - u1 - u3).
    """
    u1, u2, u3, ell2 = s["u1"], s["u2"], s["u3"], p["ell"] ** 2
    jac = np.array(
        [
            [p["mu"] * (p["r"] - 2 * u1 - u3), 0.0, -p["mu"] * u1],
            [1 / p["sigma"], -1 / p["sigma"], 0.0],
            [-p["eta"] * u3, -u3, -u2 + p["eta"] * (1 - u1 - 2 * u3)],
        ]
    )
    mobility = np.array(
        [
            [ell2, -p["chi"] * ell2 * u1, -p["xi"] * ell2 * u1],
            [0.0, ell2 / p["sigma"], 0.0],
            [0.0, 0.0, 0.0],
        ]
    )
    return jac, mobility, np.eye(3)


def _cancer_invasion_state(p: dict) -> dict[str, float]:
    """The mixed state for r < 1: u1 = u2 = eta (1 - r), u3 = 1 - u1 - u1/eta."""
    u1 = p["eta"] * (1 - p["r"])
    return {"u1": u1, "u2": u1, "u3": 1 - u1 - u1 / p["eta"]}


def _oncolytic_virus(p: dict, s: dict) -> Matrices:
    """Cross-diffusion file (4)/(48) with the Beddington-DeAngelis infection I = rho u1 u4/(k_u1 + theta u1)."""
    u1, u2, u3, u4 = s["u1"], s["u2"], s["u3"], s["u4"]
    denominator = p["k_u1"] + p["theta"] * u1
    di_du1 = p["rho"] * u4 * p["k_u1"] / denominator**2
    di_du4 = p["rho"] * u1 / denominator
    growth = p["mu1"] * (1 - u1 ** p["r"]) - p["mu1"] * p["r"] * u1 ** p["r"]
    jac = np.array(
        [
            [growth - di_du1, 0.0, 0.0, -di_du4],
            [di_du1, -p["delta2"], 0.0, di_du4],
            [
                -p["alpha1"] * u3,
                -p["alpha2"] * u3,
                -(p["alpha1"] * u1 + p["alpha2"] * u2) + p["mu3"] * (1 - 2 * u3),
                0.0,
            ],
            [-di_du1, p["beta"], 0.0, -p["delta4"] - di_du4],
        ]
    )
    mobility = np.array(
        [
            [p["D1"], 0.0, -p["xi1"] * u1, 0.0],
            [0.0, p["D2"], -p["xi2"] * u2, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, -p["xi4"] * u4, p["D4"]],
        ]
    )
    return jac, mobility, np.eye(4)


def _forager_scrounger(p: dict, s: dict) -> Matrices:
    """Cross-diffusion file (6)/(58) with f = g = 0 and r(u3) = r: foragers up grad u3, scroungers up grad u1."""
    u1, u2, u3 = s["u1"], s["u2"], s["u3"]
    jac = np.zeros((3, 3))
    jac[2] = [-p["lam"] * u3, -p["lam"] * u3, -p["lam"] * (u1 + u2) - p["mu"]]
    mobility = np.array([[1.0, 0.0, -p["xi1"] * u1], [-p["xi2"] * u2, 1.0, 0.0], [0.0, 0.0, p["D"]]])
    return jac, mobility, np.eye(3)


def _log_sensitivity(p: dict, s: dict) -> Matrices:
    """Cross-diffusion file (62): D(u1, u2) = d (1 + a u1/u2), sensitivity u1/u2, H = h, K = k."""
    u1, u2 = s["u1"], s["u2"]
    jac = np.array([[-u2, -u1], [u2, -1 + u1]])
    mobility = np.array([[p["d"] * (1 + p["a"] * u1 / u2), -u1 / u2], [0.0, p["eta"]]])
    return jac, mobility, np.eye(2)


def _fractional(
    growth_derivative: Callable[[dict, dict], float] = lambda p, s: 0.0,
) -> Callable[[dict, dict], Matrices]:
    """Fractional file (5)-(7) with d Gamma/d rho = `growth_derivative`.

    rho_t = -d (-Lap)^(a/2) rho - div(chi rho Q(grad S)) + Gamma,  S_t = ds Lap S + beta rho - mu S.
    """

    def matrices(p: dict, s: dict) -> Matrices:
        jac = np.array([[growth_derivative(p, s), 0.0], [p["beta"], -p["mu"]]])
        mobility = np.array([[p["d"], -p["chi"] * s["rho"]], [0.0, p["ds"]]])
        return jac, mobility, np.eye(2)

    return matrices


def _nonlocal_state(p: dict) -> dict[str, float]:
    """rho (a0 + a1 rho - a2 |Omega| rho) = 0 with rho > 0, and S = beta rho/mu."""
    rho = p["a0"] / (p["a2"] * AREA - p["a1"])
    return {"rho": rho, "S": p["beta"] * rho / p["mu"]}


KELLER_SEGEL = {"d": 0.25, "chi": 1.0, "ds": 1.0, "alpha": 1.0, "beta": 1.0}
FRACTIONAL = {"d": 0.25, "chi": 1.0, "ds": 1.0, "beta": 1.0, "mu": 1.0}
#: |Omega| of the 2 x 0.1 test rectangle: the non-local competition a2 int(rho) = a2 |Omega| rho.
AREA = 2.0 * 0.1

SOURCES: dict[str, SourceModel] = {
    "keller-segel": SourceModel("chapter (7.2.1)-(7.2.2)", KELLER_SEGEL, _uniform_cells, _keller_segel()),
    "keller-segel-elliptic": SourceModel(
        "chapter 7.2 remarks, quasi-steady s", KELLER_SEGEL, _uniform_cells, _keller_segel(quasi_steady=True)
    ),
    "keller-segel-transduction": SourceModel(
        "chapter (7.3.21) with g = S/(K + S); lambda0 the reversal rate of (7.3.1), so D = s^2/(2 lambda0)"
        " (telegraph limit (7.3.4)); signal (7.2.2)",
        {
            "speed": 0.5,
            "lambda0": 1.0,
            "b": 180.0,
            "tau_e": 0.1,
            "tau_a": 1.0,
            "K": 0.2,
            "ds": 0.1,
            "alpha": 1.0,
            "beta": 1.0,
        },
        _uniform_cells,
        _keller_segel(sensitivity=_transduction_chi, diffusion=lambda p: p["speed"] ** 2 / (2 * p["lambda0"])),
    ),
    "keller-segel-volume-filling": SourceModel(
        "volume filling chi u (1 - u/gamma) (Painter-Hillen 2002, MODELS.md; not in the source documents)",
        {"d": 0.1, "chi": 5.0, "gamma": 1.0, "ds": 0.1, "alpha": 1.0, "beta": 1.0},
        lambda p: {"u": 0.5, "s": 0.5 * p["alpha"] / p["beta"]},
        _keller_segel(sensitivity=lambda p, s: p["chi"] * s["u"] * (1 - s["u"] / p["gamma"])),
    ),
    "may-nowak-chemotaxis": SourceModel(
        "cross-diffusion file (2)",
        {
            "D1": 0.05,
            "D2": 0.1,
            "D3": 0.05,
            "chi": 0.2,
            "d1": 1.0,
            "d2": 1.0,
            "d3": 1.0,
            "beta": 1.0,
            "k": 1.0,
            "r0": 3.0,
            "r_amp": 0.0,
            "x_r": 1.0,
            "y_r": 0.5,
            "w_r": 0.1,
        },
        _may_nowak_state,
        _may_nowak,
    ),
    "cancer-invasion": SourceModel(
        "cross-diffusion file (55)",
        {"chi": 0.5, "xi": 1.0, "mu": 10.0, "r": 1.0, "sigma": 0.1, "eta": 0.5, "ell": 0.05},
        _cancer_invasion_state,
        _cancer_invasion,
        length=0.2,
        overrides={"r": 0.8},
    ),
    "oncolytic-virus": SourceModel(
        "cross-diffusion file (4), (48)",
        {
            "D1": 0.002,
            "D2": 0.002,
            "D4": 0.02,
            "xi1": 0.01,
            "xi2": 0.01,
            "xi4": 0.005,
            "mu1": 1.0,
            "r": 1.0,
            "rho": 5.0,
            "k_u1": 1.0,
            "theta": 1.0,
            "delta2": 1.0,
            "beta": 5.0,
            "delta4": 1.0,
            "alpha1": 0.5,
            "alpha2": 0.5,
            "mu3": 1.0,
        },
        lambda p: {"u1": 1.0, "u2": 0.0, "u3": 1 - p["alpha1"] / p["mu3"], "u4": 0.0},
        _oncolytic_virus,
        length=0.5,
    ),
    "forager-scrounger": SourceModel(
        "cross-diffusion file (6), (58)",
        {"xi1": 2.0, "xi2": 1.0, "D": 0.01, "lam": 0.1, "mu": 0.1, "r": 0.1},
        lambda p: {"u1": 1.0, "u2": 1.0, "u3": p["r"] / (2 * p["lam"] + p["mu"])},
        _forager_scrounger,
    ),
    "nonlinear-diffusion-log-sensitivity": SourceModel(
        "cross-diffusion file (62)",
        {"d": 0.05, "a": 4.0, "eta": 0.05, "h": 1.0, "k": 1.0},
        lambda p: {"u1": p["h"] / (p["h"] + p["k"]), "u2": p["h"] + p["k"]},
        _log_sensitivity,
    ),
    "fractional-keller-segel": SourceModel(
        "fractional file (6)",
        FRACTIONAL,
        lambda p: {"rho": 1.0, "S": p["beta"] / p["mu"]},
        _fractional(),
        fractional={0: 1.5},
        overrides={"chi": 2.0},
    ),
    "fractional-keller-segel-logistic": SourceModel(
        "fractional file (6), Gamma = r rho (1 - rho)",
        {**FRACTIONAL, "r": 1.0},
        lambda p: {"rho": 1.0, "S": p["beta"] / p["mu"]},
        _fractional(lambda p, s: p["r"] * (1 - 2 * s["rho"])),
        fractional={0: 1.5},
        overrides={"chi": 3.0},
    ),
    "fractional-keller-segel-flux-limited": SourceModel(
        "fractional file (7), Q'(0) = 1",
        FRACTIONAL,
        lambda p: {"rho": 1.0, "S": p["beta"] / p["mu"]},
        _fractional(),
        fractional={0: 1.5},
        overrides={"chi": 2.0},
    ),
    # A mode with zero mean leaves int(rho) = |Omega| rho* unchanged: d Gamma/d rho = a0 + 2 a1 rho* - a2 |Omega| rho*.
    "fractional-keller-segel-nonlocal": SourceModel(
        "fractional file (6), Gamma = rho (a0 + a1 rho - a2 int rho)",
        {**FRACTIONAL, "a0": 1.0, "a1": 0.0, "a2": 0.5},
        _nonlocal_state,
        _fractional(lambda p, s: p["a0"] + 2 * p["a1"] * s["rho"] - p["a2"] * AREA * s["rho"]),
        fractional={0: 1.5},
        overrides={"chi": 2.0, "a2": 5.0},
    ),
}
