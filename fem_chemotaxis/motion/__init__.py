"""Moving and growing domains (ALE): kinds of motion, interior extension, mesh quality.

See :mod:`fem_chemotaxis.terms.mesh_velocity` for the weak form on a moving mesh and
:mod:`fem_chemotaxis.time` for its time discretisation.
"""

from fem_chemotaxis.motion.extension import MeshExtension
from fem_chemotaxis.motion.mesh_motion import EXTENSIONS, MOTION_KINDS, MeshMotion
from fem_chemotaxis.motion.moving_mesh import POSITION, MovingMesh, place_geometry
from fem_chemotaxis.motion.normal_velocity import BoundaryNormalVelocity
from fem_chemotaxis.motion.quality import MeshQuality, cell_orientation, mesh_quality

__all__ = [
    "EXTENSIONS",
    "MOTION_KINDS",
    "POSITION",
    "BoundaryNormalVelocity",
    "MeshExtension",
    "MeshMotion",
    "MeshQuality",
    "MovingMesh",
    "cell_orientation",
    "mesh_quality",
    "place_geometry",
]
