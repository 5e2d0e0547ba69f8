"""Boundaries moving with a normal speed given by an expression (explicit in the mesh motion).

- A disc whose boundary moves with normal speed ``k |x|`` has radius ``R0 exp(k t)``; the
  explicit (forward Euler) motion gives ``R0 (1 + k dt)^n``: the error is ``A dt + B``, B a
  small fixed bias of the polygonal boundary (|x| is below R along each chord), so the
  observed order of the differences of the errors over two halvings of dt must be 1. The
  boundary stays a circle (radial motion, to round-off), and the mass of a diffusing species
  is conserved to round-off (no flux relative to the boundary).
- A config run: the right side of the unit square moves with speed ``c u`` where u = 1 there
  (Dirichlet), so |Omega(t)| = 1 + c t exactly; the summary records volume and quality.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tomllib

from mpi4py import MPI

from fem_chemotaxis.commands.run import describe
from fem_chemotaxis.config import ConfigDocument
from fem_chemotaxis.config.settings import TimeSettings
from fem_chemotaxis.mesh.gmsh_file import gmsh_model, model_to_tagged_mesh
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.model import Model
from fem_chemotaxis.motion import MeshMotion
from fem_chemotaxis.runner import run
from fem_chemotaxis.simulation import Simulation

R0, K, T_END = 0.5, 1.0, 0.4


def disc(comm: MPI.Comm, radius: float, size: float) -> TaggedMesh:
    """A disc around the origin with the boundary group ``rim`` (gmsh)."""
    with gmsh_model(comm, "disc", {"Mesh.MeshSizeMin": size, "Mesh.MeshSizeMax": size}) as model:
        if model is not None:
            surface = model.occ.addDisk(0.0, 0.0, 0.0, radius, radius)
            model.occ.synchronize()
            model.addPhysicalGroup(2, [surface], tag=1, name="domain")
            curves = [c for _, c in model.getBoundary([(2, surface)], oriented=False)]
            model.addPhysicalGroup(1, curves, tag=1, name="rim")
            model.mesh.generate(2)
        return model_to_tagged_mesh(model, comm, 2, source="disc")


def rim_radii(mesh: TaggedMesh) -> np.ndarray:
    """Distances from the origin of the nodes on the rim, gathered from all ranks."""
    import dolfinx

    facets = mesh.facet_tags.find(mesh.tag("rim", 1))
    mesh.mesh.topology.create_connectivity(0, 2)
    nodes = np.unique(dolfinx.mesh.compute_incident_entities(mesh.mesh.topology, facets, 1, 0))
    x = mesh.mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh.mesh, 0, nodes).ravel()]
    return np.concatenate(mesh.mesh.comm.allgather(np.linalg.norm(x[:, :2], axis=1)))


def grow_disc(comm: MPI.Comm, dt: float) -> tuple[np.ndarray, float, float]:
    """Rim radii at T_END, and the mass of a diffusing species at the start and the end."""
    mesh = disc(comm, R0, 0.08)
    model = Model.from_dict(
        {"name": "diffusion", "parameters": {"D": 0.05, "k": K}, "species": {"u": {"diffusion": "D"}}}
    )
    motion = MeshMotion.from_dict(
        {"kind": "solution-driven", "normal_speed": "k*sqrt(x^2 + y^2)", "boundaries": ["rim"]}, ["u"], ["D", "k"]
    )
    sim = Simulation(model, mesh, {"u": "1 + x"}, TimeSettings(dt=dt), motion=motion)
    mass0 = sim.statistics()["u"]["mass"]
    sim.advance_to(T_END)
    return rim_radii(mesh), mass0, sim.statistics()["u"]["mass"]


def test_disc_radius_first_order_in_dt(comm):
    exact = R0 * math.exp(K * T_END)
    errors = []
    for dt in (0.05, 0.025, 0.0125):
        radii, mass0, mass = grow_disc(comm, dt)
        assert radii.max() - radii.min() < 1e-10 * exact  # still a circle
        assert abs(mass - mass0) < 1e-10 * mass0
        errors.append(radii.mean() - exact)
    order = np.log2((errors[0] - errors[1]) / (errors[1] - errors[2]))
    assert 0.9 < order < 1.1, (errors, order)
    assert abs(errors[-1]) < 0.005 * exact


CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[mesh.motion]
kind = "solution-driven"
normal_speed = "c*u"
boundaries = ["right"]
extension = "elastic"

[model]
[model.parameters]
D = 0.1
c = 0.25
[model.species.u]
diffusion = "D"

[initial]
u = "1 + x*(1 - x)"

[[boundary]]
on = "right"
species = "u"
type = "dirichlet"
value = "1"

[time]
t_end = 1.0
dt = 0.05
scheme = "bdf2"

[output]
interval = 0.25
pictures = false
"""


def test_config_run_moves_the_right_side(comm, shared_tmp_path):
    document = ConfigDocument(tomllib.loads(CONFIG), "moving.toml", str(shared_tmp_path))
    assert "mesh motion: solution-driven: normal speed c*u on right (elastic extension)" in describe(
        document, document.parse()
    )
    summary = run(document, shared_tmp_path / "run", comm=comm)
    assert summary["status"] == "completed"
    records = summary["records"]
    assert [r["time"] for r in records] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    for record in records:
        assert record["mesh"]["volume"] == pytest.approx(1.0 + 0.25 * record["time"], abs=1e-12)
        assert 0.1 < record["mesh"]["min_quality"] <= 1.0
    assert records[-1]["mesh"]["min_quality"] < records[0]["mesh"]["min_quality"]
