"""Parametric tissue geometries, meshed with gmsh (OCC kernel) on rank 0: one module each.

`GENERATORS` maps each name to its class (one registry); `generate` meshes one by name (as a
configuration file asks) and `write_msh` saves its mesh as a .msh file instead.

Generators (physical groups: cells; facets):
    tissue-section: a rectangular 2-D tissue section with circular vessel cross-sections
        as holes (tissue; outer, vessel_1, vessel_2, ...), see :class:`TissueSection`.
    tumour-stroma: a tumour (an ellipse, optionally lobed, or an ellipsoid in 3-D) embedded
        in a stroma rectangle or box (tumour, stroma; interface, outer), see :class:`TumourStroma`.
    vessel-block: a 3-D tissue block pierced by a Y-shaped cylindrical vessel
        (tissue; vessel_wall, outer), see :class:`VesselBlock`.
    microfluidic-chamber: a 2-D chamber with circular and rectangular obstacles and an
        inlet and outlet on its short sides (chamber; inlet, outlet, walls, obstacles), see
        :class:`MicrofluidicChamber`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mpi4py import MPI

from fem_chemotaxis.mesh.generators.generator import Generator
from fem_chemotaxis.mesh.generators.microfluidic_chamber import MicrofluidicChamber
from fem_chemotaxis.mesh.generators.tissue_section import TissueSection
from fem_chemotaxis.mesh.generators.tumour_stroma import TumourStroma
from fem_chemotaxis.mesh.generators.vessel_block import VesselBlock
from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh

__all__ = [
    "GENERATORS",
    "Generator",
    "MicrofluidicChamber",
    "TissueSection",
    "TumourStroma",
    "VesselBlock",
    "generate",
    "generator",
    "write_msh",
]

#: Generator name -> its class (the parameters are the class's fields).
GENERATORS: dict[str, type[Generator]] = {
    g.NAME: g for g in (TissueSection, TumourStroma, VesselBlock, MicrofluidicChamber)
}


def generator(name: str, **parameters: Any) -> Generator:
    """The generator called `name` with these parameters (checked on every rank).

    Raises:
        ValueError: for an unknown generator or parameter (the message lists the available
            ones) or an invalid value.
    """
    if name not in GENERATORS:
        raise ValueError(f"unknown mesh generator {name!r}; available: {', '.join(GENERATORS)}")
    return GENERATORS[name].from_parameters(parameters)


def generate(name: str, comm: MPI.Comm, **parameters: Any) -> TaggedMesh:
    """The mesh of generator `name` with the given parameters, distributed over `comm`."""
    return generator(name, **parameters).mesh(comm)


def write_msh(name: str, path: str | Path, **parameters: Any) -> Path:
    """Mesh generator `name` on rank 0 of COMM_WORLD and save it as a .msh (v4.1) file (collective)."""
    return generator(name, **parameters).write(path)
