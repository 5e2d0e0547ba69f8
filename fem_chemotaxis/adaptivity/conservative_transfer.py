"""Carrying a species onto another mesh with its mass conserved to round-off.

The field is interpolated onto the new mesh (:func:`~fem_chemotaxis.mesh.transfer.transfer`,
non-matching interpolation), and then corrected so that its mass, integrated on the new mesh
with the rule of the time derivative, is the old mass: a non-negative density is scaled by
the mass ratio (which keeps it non-negative), a density in log variables w = log u is
shifted by the log of that ratio (the same scaling of u), and any other field is shifted by
the constant (old mass - new mass) / |Omega|. Each correction is exact in exact arithmetic,
since the mass is linear in u (and exp(w + c) = e^c exp(w)).
"""

from __future__ import annotations

from collections.abc import Callable

import dolfinx.fem
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.mesh.transfer import transfer

__all__ = ["transfer_conserving_mass"]


def transfer_conserving_mass(
    source: dolfinx.fem.Function,
    target: dolfinx.fem.Function,
    mass: float,
    mass_of: Callable[[dolfinx.fem.Function], float],
    volume: float,
    log_variable: bool = False,
) -> None:
    """Set `target` to the interpolant of `source`, corrected to have the mass `mass` (collective).

    Args:
        source: The field on the old mesh.
        target: The function to fill on the new mesh.
        mass: The mass `target` must have (that of `source` on the old mesh).
        mass_of: The mass of a function in the target's space (the species' density of it).
        volume: The measure of the domain |Omega|.
        log_variable: Whether the field is w = log u (the mass is that of exp(w)).
    """
    transfer(source, target)
    interpolated = mass_of(target)
    comm = target.function_space.mesh.comm
    smallest = comm.allreduce(float(target.x.array.min(initial=np.inf)), op=MPI.MIN)
    if log_variable and interpolated > 0 and mass > 0:
        target.x.array[:] += np.log(mass / interpolated)
    elif not log_variable and smallest >= 0 and interpolated > 0 and mass >= 0:
        target.x.array[:] *= mass / interpolated
    else:
        target.x.array[:] += (mass - interpolated) / volume
    target.x.scatter_forward()
