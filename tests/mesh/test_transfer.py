"""Fields interpolated onto another mesh (mesh/transfer.py): exact for fields the new space
holds, second order in the old mesh size for smooth ones, clear error outside the old mesh.
Runs serially and under ``mpiexec -n 2``."""

from __future__ import annotations

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.mesh.transfer import OUTSIDE_FRACTION, transfer


def quadratic(x: np.ndarray) -> np.ndarray:
    return 1 + x[0] - 0.5 * x[1] + 0.3 * x[0] * x[1] + 0.2 * x[0] ** 2 - 0.1 * x[1] ** 2


def smooth(mod):  # written once for NumPy (mod=np) and UFL (mod=ufl)
    return lambda x: 1 + mod.cos(np.pi * x[0]) * mod.sin(2 * x[1])


def rectangle(comm: MPI.Comm, corners, cells, cell_type=dolfinx.mesh.CellType.triangle, diagonal=None):
    kwargs = {} if diagonal is None else {"diagonal": diagonal}
    return dolfinx.mesh.create_rectangle(comm, [np.array(c, dtype=float) for c in corners], cells, cell_type, **kwargs)


def field(mesh: dolfinx.mesh.Mesh, degree: int, values) -> dolfinx.fem.Function:
    f = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", degree)))
    f.interpolate(values)
    return f


def largest_nodal_error(f: dolfinx.fem.Function, exact) -> float:
    """Largest difference from `exact` at the owned dofs of `f`, over all ranks."""
    n = f.function_space.dofmap.index_map.size_local
    x = f.function_space.tabulate_dof_coordinates()[:n].T
    local = np.abs(f.x.array[:n] - exact(x)).max(initial=0.0)
    return f.function_space.mesh.comm.allreduce(local, op=MPI.MAX)


@pytest.mark.parametrize(
    "new_mesh",
    [
        lambda comm: (rectangle(comm, [[0, 0], [2, 1]], [11, 13], dolfinx.mesh.CellType.quadrilateral), 2),
        lambda comm: (rectangle(comm, [[0, 0], [2, 1]], [9, 10], diagonal=dolfinx.mesh.DiagonalType.crossed), 1),
        lambda comm: (rectangle(comm, [[0.3, 0.1], [1.7, 0.9]], [5, 4]), 3),
    ],
    ids=["quadrilaterals-Q2", "crossed-triangles-P1", "inner-rectangle-P3"],
)
def test_transfer_reproduces_the_old_field_at_the_new_points(comm, new_mesh):
    """A P2 field on one triangulation, moved to non-matching meshes and elements, equals the
    old field at every new interpolation point: here the old field is a quadratic, so its value
    at a point is known in closed form."""
    old = field(rectangle(comm, [[0, 0], [2, 1]], [7, 5]), 2, quadratic)
    mesh, degree = new_mesh(comm)
    new = dolfinx.fem.Function(dolfinx.fem.functionspace(mesh, ("Lagrange", degree)))
    transfer(old, new)
    error = largest_nodal_error(new, quadratic)
    assert error < 1e-12, error


def test_transfer_error_is_second_order_in_the_old_mesh_size(comm):
    """P1 fields of a smooth function on coarse meshes, moved to a fine non-nested mesh: the L2
    error against the function decreases like h_old^2."""
    fine = rectangle(comm, [[0, 0], [1, 1]], [101, 97], diagonal=dolfinx.mesh.DiagonalType.crossed)
    new = dolfinx.fem.Function(dolfinx.fem.functionspace(fine, ("Lagrange", 1)))
    x = ufl.SpatialCoordinate(fine)
    error_form = dolfinx.fem.form((new - smooth(ufl)(x)) ** 2 * ufl.dx(degree=6))
    sizes, errors = [4, 8, 16, 32], []
    for n in sizes:
        transfer(field(rectangle(comm, [[0, 0], [1, 1]], [n, n]), 1, smooth(np)), new)
        errors.append(np.sqrt(comm.allreduce(dolfinx.fem.assemble_scalar(error_form), op=MPI.SUM)))
    rate = -np.polyfit(np.log(sizes), np.log(errors), 1)[0]
    print(f"\ntransfer L2 errors {[f'{e:.2e}' for e in errors]}, rate {rate:.3f}")
    assert rate >= 1.8


def test_points_just_outside_take_the_nearest_cell_and_further_out_are_an_error(comm):
    """Within OUTSIDE_FRACTION of the smallest old cell the old polynomial is extended (exact
    for a linear field); a mesh reaching further out is refused, naming the key and a point."""

    def linear(x):
        return 2 + x[0] - 3 * x[1]

    old = field(rectangle(comm, [[0, 0], [1, 1]], [8, 8]), 1, linear)
    h_min = np.sqrt(2) / 8
    margin = 0.5 * OUTSIDE_FRACTION * h_min
    slightly_larger = rectangle(comm, [[-margin, -margin], [1 + margin, 1 + margin]], [5, 7])
    new = dolfinx.fem.Function(dolfinx.fem.functionspace(slightly_larger, ("Lagrange", 1)))
    transfer(old, new)
    assert largest_nodal_error(new, linear) < 1e-12

    larger = rectangle(comm, [[0, 0], [1.5, 1]], [6, 4])
    new = dolfinx.fem.Function(dolfinx.fem.functionspace(larger, ("Lagrange", 1)))
    with pytest.raises(ValueError, match=r"\[initial\] u: 16 cell\(s\) of the new mesh reach outside"):
        transfer(old, new, "[initial] u")


def test_fields_moved_between_the_same_meshes_locate_the_points_once(comm, monkeypatch):
    """Within reusing_interpolation_data, two fields of different old elements moved onto the same
    new space locate its points in the old mesh once (DOLFINx's data depend on the old mesh only),
    and each equals its transfer without the block; a new pair of meshes is located anew."""
    import fem_chemotaxis.mesh.transfer as module

    calls = []
    locate = dolfinx.fem.create_interpolation_data
    monkeypatch.setattr(dolfinx.fem, "create_interpolation_data", lambda *a, **k: calls.append(1) or locate(*a, **k))
    old_mesh = rectangle(comm, [[0, 0], [2, 1]], [7, 5])
    sources = [field(old_mesh, 2, quadratic), field(old_mesh, 1, smooth(np))]
    space = dolfinx.fem.functionspace(rectangle(comm, [[0, 0], [2, 1]], [9, 10]), ("Lagrange", 1))
    alone = []
    for source in sources:
        alone.append(dolfinx.fem.Function(space))
        transfer(source, alone[-1])
    assert len(calls) == 2
    with module.reusing_interpolation_data():
        for source, expected in zip(sources, alone):
            moved = dolfinx.fem.Function(space)
            transfer(source, moved)
            assert np.array_equal(moved.x.array, expected.x.array)
        assert len(calls) == 3
        other = dolfinx.fem.functionspace(rectangle(comm, [[0, 0], [2, 1]], [4, 3]), ("Lagrange", 1))
        transfer(sources[0], dolfinx.fem.Function(other))
        assert len(calls) == 4
    transfer(sources[0], dolfinx.fem.Function(space))  # outside the block: located again
    assert len(calls) == 5 and module._kept is None
