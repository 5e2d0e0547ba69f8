"""Multi-species derivation (issue 20, item 2): the cross-diffusion file's models from their kernels.

Each SPEC below writes the document's kinetic description: velocity sets on spheres of
radius R in d = 2 dimensions, relaxation kernels (37) with the rates it chooses, and its
first-order kernels (41) and (51)-(57) as kernel expressions (their ``grad f_j`` read as
``grad u_j``, as (41) writes ``grad (f_3/M_3)``); the reactions psi_i (34) are given. The derived
model must be the document's (48), (55), (58): the package's hand-written built-in models
oncolytic-virus, cancer-invasion and forager-scrounger (with the diffusions the kinetic rates
imply). Compared through the linearisation at a non-trivial state (reaction Jacobian J and
mobility matrix M of every species pair, i.e. every D_i and chi_ij): equal to 1e-12
(measured <= 4e-15). D_i = (1/sigma_i) int v (x) v M_i dv = R^2/(d sigma_i) is (40), chi = xi I
is (42).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fem_chemotaxis.analysis import linearisation
from fem_chemotaxis.config import load_config, parse_config
from fem_chemotaxis.kinetics import MixtureSpec, derive, load_spec, parse_spec, run_config, write_run_config
from fem_chemotaxis.library import builtin_model
from fem_chemotaxis.model.model import Model

DEMOS = Path(__file__).resolve().parents[2] / "demos"
DIMENSION = 2
#: (51)-(57): -(1/|V|) k w.grad u_j (the previous velocity w = v*); (41): with sigma d/(|V| R^2 M(w)).
RELAXATION_KERNEL = "-({k}/measure)*(wx*Sx + wy*Sy)"
ONCOLYTIC_KERNEL = "-{k}*sigma*dimension/(measure^2*speed^2*Mw)*(wx*Sx + wy*Sy)"


def cells(speed: float, rate: float, reaction: str | None = None, taxis: list | None = None) -> dict:
    table: dict = {"turning_rate": rate, "velocities": {"kind": "sphere", "speed": speed}}
    if reaction is not None:
        table["reaction"] = reaction
    if taxis:
        table["taxis"] = taxis
    return table


def kernel(towards: str, text: str, k: str) -> dict:
    return {"towards": towards, "mechanism": "kernel", "kernel": text.format(k=k)}


def derived_model(spec: dict) -> tuple[Model, dict]:
    derivation = derive(parse_spec(spec, source="mixture.toml"))
    print(derivation.report())
    return parse_config(run_config(derivation)).model, derivation.coefficients


def assert_same_linearisation(derived: Model, builtin: Model, state: dict) -> None:
    assert derived.species_names == builtin.species_names
    for a, b, name in zip(linearisation(derived, state), linearisation(builtin, state), ("J", "M", "B")):
        print(f"{name}: max |derived - built-in| = {np.abs(a - b).max():.1e}")
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_cancer_invasion_55():
    """(55) from (49)-(54): sigma_1 = R^2/d gives D1 = 1, sigma_2 = sigma R^2/d gives D2 = 1/sigma; u3 immobile."""
    R, sigma = 1.6, 0.3
    p = {"chi": 0.7, "xi": 1.3, "mu": 4.0, "r": 0.8, "sigma": sigma, "eta": 0.5}
    spec = {
        "dimension": DIMENSION,
        "species": {
            "u1": cells(
                R,
                R**2 / DIMENSION,
                "mu*u1*(r - u1 - u3)",
                [kernel("u2", RELAXATION_KERNEL, "chi"), kernel("u3", RELAXATION_KERNEL, "xi")],
            ),
            "u2": cells(R, sigma * R**2 / DIMENSION, "-(u2 - u1)/sigma"),
            "u3": {"description": "ECM (immobile)", "reaction": "-u2*u3 + eta*u3*(1 - u1 - u3)"},
        },
        "parameters": p,
    }
    model, coefficients = derived_model(spec)
    assert coefficients["D[u1]"].scalar == pytest.approx(1.0, rel=1e-12)
    assert coefficients["D[u2]"].scalar == pytest.approx(1 / sigma, rel=1e-12)
    assert coefficients["chi[u1->u2]"].scalar == pytest.approx(p["chi"], rel=1e-12)
    assert coefficients["chi[u1->u3]"].scalar == pytest.approx(p["xi"], rel=1e-12)
    builtin = builtin_model("cancer-invasion").with_parameters({**p, "ell": 1.0})
    assert_same_linearisation(model, builtin, {"u1": 0.3, "u2": 0.45, "u3": 0.6})


def test_forager_scrounger_58():
    """(58) from (56)-(57): foragers follow food, scroungers follow foragers; food diffuses with R3^2/(d sigma3)."""
    R, R3, sigma3 = 0.9, 0.2, 2.0
    p = {"xi1": 2.0, "xi2": 1.0, "lam": 0.1, "mu": 0.1, "r": 0.1}
    spec = {
        "dimension": DIMENSION,
        "species": {
            "u1": cells(R, R**2 / DIMENSION, taxis=[kernel("u3", RELAXATION_KERNEL, "xi1")]),
            "u2": cells(R, R**2 / DIMENSION, taxis=[kernel("u1", RELAXATION_KERNEL, "xi2")]),
            "u3": cells(R3, sigma3, "-lam*(u1 + u2)*u3 - mu*u3 + r"),
        },
        "parameters": p,
    }
    model, coefficients = derived_model(spec)
    food = R3**2 / (DIMENSION * sigma3)
    assert coefficients["D[u3]"].scalar == pytest.approx(food, rel=1e-12)
    builtin = builtin_model("forager-scrounger").with_parameters({**p, "D": food})
    assert_same_linearisation(model, builtin, {"u1": 1.2, "u2": 0.7, "u3": 0.4})


def test_oncolytic_virus_48():
    """(48) from (41)-(47): the kernel (41) gives chi_l = xi_l I (42) for every sigma_l and R."""
    builtin = builtin_model("oncolytic-virus")
    p = dict(builtin.parameters)
    radii, rates = {"u1": 0.3, "u2": 0.5, "u4": 1.1}, {"u1": 7.0, "u2": 3.0, "u4": 4.5}
    taxis = {name: [kernel("u3", ONCOLYTIC_KERNEL, f"xi{name[1]}")] for name in radii}
    reactions = {name: str(sp.reaction) for name, sp in zip(builtin.species_names, builtin.species)}
    species = {name: cells(radii[name], rates[name], reactions[name], taxis[name]) for name in radii}
    species["u3"] = {"reaction": reactions["u3"]}
    spec = {
        "dimension": DIMENSION,
        "species": {n: species[n] for n in ("u1", "u2", "u3", "u4")},
        "parameters": {k: v for k, v in p.items() if not k.startswith("D")},
    }
    model, coefficients = derived_model(spec)
    diffusions = {f"D{name[1]}": radii[name] ** 2 / (DIMENSION * rates[name]) for name in radii}
    for name in radii:
        assert coefficients[f"chi[{name}->u3]"].scalar == pytest.approx(p[f"xi{name[1]}"], rel=1e-12)
        assert coefficients[f"chi[{name}->u3]"].closed_form is None  # a kernel: no closed form here, (42) below
    assert_same_linearisation(model, builtin.with_parameters(diffusions), {"u1": 0.8, "u2": 0.3, "u3": 0.5, "u4": 0.2})


MIXTURE = {
    "dimension": 2,
    "species": {
        "a": {
            "turning_rate": 5.0,
            "velocities": {"kind": "sphere", "speed": 1.0},
            "turning_angle": {"kind": "von-mises", "kappa": 1.0},
            "taxis": [
                {"towards": "c", "mechanism": "run-length", "strength": "k0/(1 + c)"},
                {"towards": "m", "mechanism": "direction", "strength": 0.2},
            ],
        },
        "c": {"diffusion": "0.1", "reaction": "a - c"},
        "m": {"reaction": "-a*m"},
    },
    "parameters": {"k0": 0.5},
}

# (key path, new value, words the error must contain)
INVALID = [
    (("species", "a", "taxis", 0, "towards"), "q", ["[species.a.taxis[0]] towards", "'q'"]),
    (("species", "a", "taxis", 1, "towards"), "c", ["towards = \"c\" twice"]),
    (("species", "a", "taxis", 0, "towards"), "a", ["another species"]),
    (("species", "c", "turning_rate"), 1.0, ["[species.c]", "'turning_rate'", "velocities"]),
    (("species", "a", "diffusion"), "1", ["[species.a]", "derived from the velocities"]),
    (("species", "a", "velocities", "kind"), "heavy-tailed", ["only available for single cells"]),
    (("species", "a", "taxis", 0, "strength"), "k0/(1 + q)", ["[species.a.taxis[0]] strength", "'q'"]),
    (("species", "m", "reaction"), "-a*m*zz", ["[species.m] reaction", "'zz'"]),
    (("dimension",), 4, ["dimension must be 1, 2 or 3"]),
    (("parameters", "c"), 1.0, ["[parameters] 'c'", "species name"]),
]


def test_mixture_spec_errors_name_the_key():
    import copy

    for path, value, words in INVALID:
        data = copy.deepcopy(MIXTURE)
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(ValueError) as err:
            parse_spec(data)
        for word in words:
            assert word in str(err.value), f"{path}: {word!r} not in {err.value}"


def test_mixture_emission_per_pair():
    """D per species, chi per pair with k(S), given and immobile fields: a config `run` accepts."""
    derivation = derive(parse_spec(MIXTURE))
    config = parse_config(run_config(derivation))
    a = config.model.species[0]
    assert [t.towards for t in a.taxis] == ["c", "m"]
    psi = derivation["psi[a]"].value
    parameters = config.model.parameters
    assert parameters["d_a"] == pytest.approx(1 / (2 * 5.0 * (1 - psi)), rel=1e-12)
    assert parameters["chi_a_c"] == pytest.approx(0.5, rel=1e-12)  # per unit k(c): s^2/n
    assert parameters["chi_a_m"] == pytest.approx(0.2 * (1 + psi) / 2, rel=1e-12)
    from fem_chemotaxis.expressions import NUMPY_FUNCTIONS

    value = a.taxis[0].sensitivity.evaluate({**parameters, "a": 2.0, "c": 3.0}, NUMPY_FUNCTIONS)
    assert value == pytest.approx(0.5 * 0.5 / (1 + 3.0) * 2.0, rel=1e-12)
    assert config.model.species[2].diffusion is None and not config.model.species[2].mobile


def test_demo_mixture_spec_writes_a_run_config(tmp_path):
    """demos/derive_mixture.toml: load, derive, write; the written config validates."""
    spec = load_spec(DEMOS / "derive_mixture.toml")
    assert isinstance(spec, MixtureSpec)
    derivation = derive(spec)
    print(derivation.report())
    path = write_run_config(derivation, tmp_path / "mixture.toml")
    config = load_config(path)
    assert set(config.model.species_names) == set(spec.names)
    assert all(c.relative_difference is None or c.relative_difference <= 1e-8 for c in derivation.coefficients.values())
