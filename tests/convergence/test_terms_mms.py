"""Manufactured solutions for each kind of term: observed L2 rates of P1 >= 1.9, P2 >= 2.9.

Every case is a small user model built with ``Model.from_dict`` (the path a TOML model
takes), solved with :class:`Simulation` and a Python source per species. Like
``test_keller_segel_mms.py``:

- each exact field is ``A(x) + t B(x)``, so ``d/dt = B`` exactly and backward Euler has no
  time error: the observed rate is that of the space discretisation;
- each exact field is a constant plus modes ``C(k,l) = cos(k pi x) cos(l pi y) (cos(pi z))``,
  so all normal derivatives vanish on the walls of the unit square/box: the natural
  no-flux boundary conditions hold exactly (also for the cell flux ``u grad m`` of
  haptotaxis, where m is the immobile species). A mode is written as the mean of the
  ``cos(pi (k x +- l y (+- z)))``: the same function, but UFL estimates its polynomial
  degree as 3 instead of 6 (9 in 3-D), which keeps the sources' quadrature cheap (the
  package's forms use the estimated degree);
- the sources are the residuals of the exact fields in the *strong* form, written here in
  UFL independently of the package's weak-form terms (own limiter formulas included);
- L2 errors use a raised quadrature degree and are summed over all ranks; the rate fitted
  over all mesh sizes (np.polyfit) and that of the two finest meshes are asserted.

The forms of a case are the same on every mesh, so FFCx compiles them once (JIT cache).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import dolfinx.fem
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.expressions.ufl_backend import UFL_FUNCTIONS
from fem_chemotaxis.mesh.builtin import create_builtin
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.simulation import Simulation

#: Minimum L2 rate (fitted, and of the finest pair of meshes) per polynomial degree.
MIN_RATE = {1: 1.9, 2: 2.9}
#: Mesh sizes (cells per side) per (degree, dimension).
SIZES = {(1, 2): [8, 16, 32, 64], (2, 2): [8, 16, 32], (1, 3): [6, 8, 12, 16]}
DT, T_END = 0.25, 0.5

# Strong-form right-hand sides. `e` holds the exact fields (UFL), `p` the parameters (floats).
RHS = Callable[[dict, dict], dict]


def div(flux):
    return ufl.div(flux)


def grad(f):
    return ufl.grad(f)


# Limiters Q(g), written with powers rather than sqrt and division: the same functions, but
# UFL's estimate of the polynomial degree of the source (and so its quadrature) is about half.
def mean_curvature(g):
    return g * (1 + ufl.dot(g, g)) ** -0.5


def saturating(g, threshold):
    """The fractional document's eq. (7): y for |y| <= y*, else ((|y|-y*)/sqrt(1+(|y|-y*)^2) + y*) y/|y|,
    with e/sqrt(1 + e^2) written as sin(atan(e)) (estimated degree 4q+8 instead of 8q+10)."""
    norm = ufl.dot(g, g) ** 0.5
    return g * ufl.conditional(
        ufl.le(norm, threshold), 1.0, (ufl.sin(ufl.atan(norm - threshold)) + threshold) * norm**-1
    )


@dataclass(frozen=True)
class Case:
    """A model (TOML-shaped, without degrees), its exact solution and its strong form.

    Attributes:
        model: The ``[model]`` table.
        exact: Per species ``(A, B)``: the exact field is ``A + t*B``; ``C(k,l)`` in the
            strings is the mode ``cos(k pi x) cos(l pi y)`` (times ``cos(pi z)`` in 3-D).
        rhs: Strong-form right-hand side of each equation (no time derivative), from the
            exact fields and the parameters.
        degrees: The polynomial degrees tested in 2-D.
        exact_3d: The exact solution used in 3-D, if not `exact`.
        coarse: Stop P1 at n = 32 (a source whose quadrature degree is twice the others').
    """

    model: dict
    exact: dict[str, tuple[str, str]]
    rhs: RHS
    degrees: tuple[int, ...] = (1, 2)
    exact_3d: dict[str, tuple[str, str]] | None = None
    coarse: bool = False


def _model(species: dict, parameters: dict) -> dict:
    return {"name": "mms", "parameters": parameters, "species": species}


def _limiter_case(limiter: str, threshold: float = 1.0, coarse: bool = False) -> Case:
    """Chemotaxis with a flux limiter on grad s."""
    q = {"mean-curvature": mean_curvature, "saturating": lambda g: saturating(g, threshold)}
    taxis = {"towards": "s", "sensitivity": "chi*u", "limiter": limiter}
    taxis["limiter_threshold"] = threshold
    return Case(
        _model(
            {
                "u": {"diffusion": "d", "taxis": [taxis]},
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s"},
            },
            {"d": 0.5, "chi": 0.8, "ds": 1.2, "alpha": 1.1, "beta": 0.7},
        ),
        {
            "u": ("1 + 0.5*C(1,1)", "0.4*C(2,1)"),
            "s": ("1 + 0.8*C(1,1)", "0.4*C(1,2)"),
        },
        lambda e, p: {
            "u": div(p["d"] * grad(e["u"]) - p["chi"] * e["u"] * q[limiter](grad(e["s"]))),
            "s": div(p["ds"] * grad(e["s"])) + p["alpha"] * e["u"] - p["beta"] * e["s"],
        },
        coarse=coarse,
    )


CASES: dict[str, Case] = {
    "linear-diffusion": Case(
        _model({"u": {"diffusion": "D"}}, {"D": 0.7}),
        {"u": ("1 + 0.5*C(1,2)", "0.3*C(2,1)")},
        lambda e, p: {"u": div(p["D"] * grad(e["u"]))},
    ),
    "nonlinear-diffusion": Case(
        _model({"u": {"diffusion": "d0 + u^2"}}, {"d0": 0.5}),
        {"u": ("1 + 0.6*C(1,2)", "0.4*C(2,1)")},
        lambda e, p: {"u": div((p["d0"] + e["u"] ** 2) * grad(e["u"]))},
    ),
    "chemotaxis": Case(
        _model(
            {
                "u": {"diffusion": "d", "taxis": [{"towards": "s", "sensitivity": "chi*u"}]},
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s"},
            },
            {"d": 0.5, "chi": 0.8, "ds": 1.2, "alpha": 1.1, "beta": 0.7},
        ),
        {
            "u": ("1 + 0.5*C(1,1)", "0.4*C(2,1)"),
            "s": ("1 + 0.4*C(1,2)", "0.2*C(2,2)"),
        },
        lambda e, p: {
            "u": div(p["d"] * grad(e["u"]) - p["chi"] * e["u"] * grad(e["s"])),
            "s": div(p["ds"] * grad(e["s"])) + p["alpha"] * e["u"] - p["beta"] * e["s"],
        },
        # In 3-D mostly the lowest modes: with the 2-D modes times cos(pi z), P1 on the
        # small meshes affordable here (n <= 16) is still pre-asymptotic (measured rates
        # 1.83 for n = 8 -> 12, 1.91 for 12 -> 16).
        exact_3d={
            "u": (
                "1 + 0.3*cos(pi*x) + 0.2*cos(pi*y) - 0.25*cos(pi*z) + 0.1*C(1,1)",
                "0.3*cos(pi*y) + 0.2*cos(pi*z)",
            ),
            "s": (
                "1 - 0.2*cos(pi*x) + 0.3*cos(pi*y) + 0.25*cos(pi*z) + 0.1*C(1,1)",
                "0.2*cos(pi*x) - 0.1*cos(pi*z)",
            ),
        },
    ),
    # m is immobile: no diffusion, an ODE at each point.
    "haptotaxis": Case(
        _model(
            {
                "u": {"diffusion": "d", "taxis": [{"towards": "m", "sensitivity": "xi*u"}]},
                "m": {"reaction": "-delta*u*m"},
            },
            {"d": 0.6, "xi": 0.9, "delta": 0.8},
        ),
        {
            "u": ("1 + 0.5*C(1,1)", "0.4*C(2,1)"),
            "m": ("1 + 0.3*C(2,1)", "-0.2*C(1,1)"),
        },
        lambda e, p: {
            "u": div(p["d"] * grad(e["u"]) - p["xi"] * e["u"] * grad(e["m"])),
            "m": -p["delta"] * e["u"] * e["m"],
        },
    ),
    # |grad s| reaches 3.3, where Q(y) = y/sqrt(1 + |y|^2) is far from the identity.
    "mean-curvature-limiter": _limiter_case("mean-curvature"),
    # The source's saturating limiter, active: threshold 1.5 < max |grad s| = 3.3, |grad s| above
    # it in 60-70% of the domain. Q is C^2 across |grad s| = y* (q' = 1, q'' = 0 on both
    # sides), so the source is smooth enough for the full rates. Its source's estimated degree is
    # 22 (mean curvature: 10): P1 stops at n = 32 (measured rates 1.944, 1.984; 1.996 at n = 64).
    "saturating-limiter": _limiter_case("saturating", 1.5, coarse=True),
    # Logistic growth, mass action u + v -> 2v, Michaelis-Menten decay.
    "reactions": Case(
        _model(
            {
                "u": {"diffusion": "du", "reaction": "r*u*(1 - u/K) - k*u*v"},
                "v": {"diffusion": "dv", "reaction": "k*u*v - b*v/(1 + v)"},
            },
            {"du": 0.5, "dv": 0.8, "r": 1.5, "K": 2.0, "k": 1.2, "b": 0.9},
        ),
        {
            "u": ("1 + 0.5*C(1,1)", "0.4*C(2,1)"),
            "v": ("1 + 0.4*C(1,2)", "-0.3*C(2,2)"),
        },
        lambda e, p: {
            "u": div(p["du"] * grad(e["u"])) + p["r"] * e["u"] * (1 - e["u"] / p["K"]) - p["k"] * e["u"] * e["v"],
            "v": div(p["dv"] * grad(e["v"])) + p["k"] * e["u"] * e["v"] - p["b"] * e["v"] / (1 + e["v"]),
        },
    ),
    # Parabolic-elliptic Keller-Segel: s is quasi-steady (0 = ...), yet changes in time.
    "quasi-steady": Case(
        _model(
            {
                "u": {"diffusion": "d", "taxis": [{"towards": "s", "sensitivity": "chi*u"}]},
                "s": {"diffusion": "ds", "reaction": "alpha*u - beta*s", "time_derivative": False},
            },
            {"d": 0.5, "chi": 0.8, "ds": 1.2, "alpha": 1.1, "beta": 0.7},
        ),
        {
            "u": ("1 + 0.5*C(1,1)", "0.4*C(2,1)"),
            "s": ("1 + 0.4*C(1,2)", "0.3*C(2,2)"),
        },
        lambda e, p: {
            "u": div(p["d"] * grad(e["u"]) - p["chi"] * e["u"] * grad(e["s"])),
            "s": div(p["ds"] * grad(e["s"])) + p["alpha"] * e["u"] - p["beta"] * e["s"],
        },
    ),
}


def _mode(k: str, l: str, dim: int) -> str:
    """cos(k pi x) cos(l pi y) (cos(pi z)) as a mean of cosines of sums of the coordinates."""
    args = [f"{k}*x + {l}*y", f"{k}*x - {l}*y"]
    if dim == 3:
        args = [f"{a} {sign} z" for a in args for sign in "+-"]
    return "(" + " + ".join(f"cos(pi*({a}))" for a in args) + f")/{len(args)}"


def _texts(case: Case, dim: int) -> dict[str, tuple[str, str]]:
    """(A, B) per species with the modes written out."""

    def expand(text: str) -> str:
        return re.sub(r"C\((\d+),(\d+)\)", lambda m: _mode(m[1], m[2], dim), text)

    exact = case.exact_3d if dim == 3 and case.exact_3d is not None else case.exact
    return {name: (expand(a), expand(b)) for name, (a, b) in exact.items()}


def _ufl(text: str, x, t):
    symbols = {"xyz"[i]: x[i] for i in range(x.ufl_shape[0])} | {"t": t}
    return Expression.parse(text, "exact").evaluate(symbols, UFL_FUNCTIONS)


def _exact(texts: dict[str, tuple[str, str]], x, t) -> dict:
    return {name: _ufl(a, x, t) + t * _ufl(b, x, t) for name, (a, b) in texts.items()}


def l2_errors(name: str, degree: int, dim: int, n: int, comm: MPI.Comm) -> dict[str, float]:
    """L2 error of every species at T_END on the unit square/box with n cells per side."""
    case = CASES[name]
    species = {s: {**table, "degree": degree} for s, table in case.model["species"].items()}
    model = Model.from_dict({**case.model, "species": species})
    texts = _texts(case, dim)
    params = dict(model.parameters)

    def source(species):
        sp = next(s for s in model.species if s.name == species)

        def f(x, t):
            rhs = case.rhs(_exact(texts, x, t), params)[species]
            dudt = _ufl(texts[species][1], x, t) if sp.time_derivative else 0.0
            return dudt - rhs

        return f

    kind = {2: "rectangle", 3: "box"}[dim]
    mesh = create_builtin(comm, kind, [1.0] * dim, [n] * dim)
    initial = {s: f"({a}) + t*({b})" for s, (a, b) in texts.items()}
    sim = Simulation(
        model, mesh, initial, TimeSettings(dt=DT, scheme="backward-euler"), sources={s: source(s) for s in texts}
    )
    sim.advance_to(T_END)
    assert sim.history and all(r.rejected == 0 for r in sim.history)

    x = ufl.SpatialCoordinate(mesh.mesh)
    exact = _exact(texts, x, T_END)
    dx = ufl.dx(metadata={"quadrature_degree": 2 * degree + 4})
    errors = {}
    for s, u in sim.u.items():
        form = dolfinx.fem.form((u - exact[s]) ** 2 * dx)
        errors[s] = float(np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)))
    return errors


PARAMS = [
    pytest.param(name, degree, 2, id=f"{name}-P{degree}-2d") for name, case in CASES.items() for degree in case.degrees
] + [pytest.param("chemotaxis", 1, 3, id="chemotaxis-P1-3d")]


@pytest.mark.parametrize(("name", "degree", "dim"), PARAMS)
def test_l2_convergence_rate(name, degree, dim, comm):
    sizes = SIZES[(degree, dim)][: 3 if CASES[name].coarse else None]
    min_rate = MIN_RATE[degree]
    errors = [l2_errors(name, degree, dim, n, comm) for n in sizes]
    failures = []
    for species in errors[0]:
        e = np.array([err[species] for err in errors])
        rate = -np.polyfit(np.log(sizes), np.log(e), 1)[0]
        rates = np.log(e[:-1] / e[1:]) / np.log(np.array(sizes[1:]) / sizes[:-1])
        if comm.rank == 0:
            print(
                f"\n{name} P{degree} {dim}-D {species}: n {sizes}, errors "
                f"{' '.join(f'{v:.3e}' for v in e)}, pairwise rates "
                f"{np.array2string(rates, precision=3)}, fitted rate {rate:.3f}",
                end="",
            )
        if not (rate >= min_rate and rates[-1] >= min_rate):
            failures.append(f"{species}: fitted rate {rate:.3f}, last rate {rates[-1]:.3f}")
    assert not failures, f"rate below {min_rate}: " + "; ".join(failures)
