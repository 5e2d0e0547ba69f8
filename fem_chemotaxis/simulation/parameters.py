"""A model's parameters on a mesh: Constants, or piecewise-constant Functions where subdomains differ.

Parameters enter the forms as ``dolfinx.fem.Constant`` (changing a value never recompiles a
form). A parameter that ``[subdomains.NAME]`` sets differently in a cell group becomes a DG0
Function: the model's value everywhere, the subdomain's value on that group's cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dolfinx.fem

from fem_chemotaxis.mesh.tagged_mesh import TaggedMesh
from fem_chemotaxis.model.model import Model

__all__ = ["parameter_values"]


def parameter_values(model: Model, mesh: TaggedMesh, subdomains: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """A Constant per parameter, or a DG0 Function where subdomains override its value.

    Raises:
        ValueError: for a subdomain the mesh does not have, or a name that is not a parameter.
    """
    scalar = dolfinx.default_scalar_type
    params: dict[str, Any] = {k: dolfinx.fem.Constant(mesh.mesh, scalar(v)) for k, v in model.parameters.items()}
    tdim = mesh.mesh.topology.dim
    for subdomain, values in subdomains.items():
        cells = mesh.cell_tags.find(mesh.tag(subdomain, tdim))  # type: ignore[union-attr]
        for name, value in values.items():
            if name not in params:
                raise ValueError(
                    f"[subdomains.{subdomain}] '{name}' is not a parameter of model '{model.name}'; "
                    f"its parameters: {', '.join(model.parameters)}"
                )
            if isinstance(params[name], dolfinx.fem.Constant):
                field = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh.mesh, ("DG", 0)), name=name)
                field.x.array[:] = model.parameters[name]
                params[name] = field
            dofs = params[name].function_space.dofmap.list[cells].ravel()
            params[name].x.array[dofs] = value
    for field in params.values():
        if isinstance(field, dolfinx.fem.Function):
            field.x.scatter_forward()
    return params
