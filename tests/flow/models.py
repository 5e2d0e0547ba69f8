"""The bioconvection model of the flow tests (as in demos/plume_2d.toml), as a dict and as TOML."""

from __future__ import annotations

from typing import Any

from fem_chemotaxis.model.model import Model

__all__ = ["BIOCONVECTION_TOML", "INITIAL", "bioconvection"]

#: A perturbed layer of cells under the surface, in fresh oxygenated water.
INITIAL = {"n": "0.3 + 3*exp(-((1 - y)/0.1)^2)*(1 + 0.05*cos(3*pi*x))", "c": "1"}

_SWITCH = "0.5*(1 + tanh((c - 0.3)/0.05))"


def bioconvection(coupling: str = "monolithic", dimension: int = 2, kind: str = "stokes") -> Model:
    """Oxygen-taxis with buoyancy-driven Stokes flow (or Navier-Stokes of density 5); free-slip
    surface ``top``, walls elsewhere."""
    force = ["0"] * (dimension - 1) + ["-G*n"]
    top = "top" if dimension == 2 else "back"
    tables: dict[str, Any] = {
        "name": "bioconvection",
        "parameters": {"Dn": 0.003, "chi": 0.015, "Dc": 0.02, "kappa": 0.2, "eta": 1.0, "G": 150.0, "rho": 5.0},
        "species": {
            "n": {"diffusion": "Dn", "taxis": [{"towards": "c", "sensitivity": f"chi*n*{_SWITCH}"}]},
            "c": {"diffusion": "Dc", "reaction": f"-kappa*n*{_SWITCH}"},
        },
        "flow": {
            "kind": kind,
            "viscosity": "eta",
            "body_force": force,
            "coupling": coupling,
            "boundary": [{"on": top, "type": "free-slip"}],
        },
    }
    if kind == "navier-stokes":
        tables["flow"]["density"] = "rho"
    return Model.from_dict(tables)


BIOCONVECTION_TOML = f"""
[mesh]
builtin = "rectangle"
size = [2.0, 1.0]
cells = [24, 12]

[model]
name = "bioconvection"
[model.parameters]
Dn = 0.003
chi = 0.015
Dc = 0.02
kappa = 0.2
eta = 1.0
G = 150.0
[model.species.n]
diffusion = "Dn"
taxis = [{{ towards = "c", sensitivity = "chi*n*{_SWITCH}" }}]
[model.species.c]
diffusion = "Dc"
reaction = "-kappa*n*{_SWITCH}"
[model.flow]
kind = "stokes"
viscosity = "eta"
body_force = ["0", "-G*n"]
[[model.flow.boundary]]
on = "top"
type = "free-slip"

[[boundary]]
on = "top"
species = "c"
type = "dirichlet"
value = "1"

[initial]
n = "{INITIAL['n']} + 0.01*noise(1)"
c = "1"

[time]
t_end = 0.6
dt = 0.05

[output]
interval = 0.2
"""
