"""Where particles may run: a box with specularly reflecting walls, optionally with round obstacles.

The box ``[0, L_1] x ... x [0, L_n]`` (or free space) may contain obstacles: disks in 2-D,
balls in 3-D, such as the vessel cross-sections of the ``tissue-section`` mesh. A particle
that meets a wall or an obstacle is reflected specularly (``v -> v - 2 (v.n) n``) and runs
on for the rest of its time.

Without obstacles the reflections in the box are folded in closed form (``x mod 2L``). With
them the path is traced from hit to hit: the first hit among the box faces and the spheres
``|x + v t - c| = r`` is found for all particles at once, the particles that hit are moved
there and reflected, and the rest of their time is traced again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["Walls"]

#: Reflections traced per call before giving up (a particle trapped between obstacles).
_MAX_REFLECTIONS = 1000


class Walls:
    """The region particles run in: a box (or free space) minus round obstacles.

    Args:
        dimension: n.
        box: Side lengths of the box, or None for free space.
        obstacles: (centre..., radius) of each disk (2-D) or ball (3-D), inside the box.
    """

    def __init__(self, dimension: int, box: Sequence[float] | None = None, obstacles: Sequence[Sequence[float]] = ()):
        self.dimension = dimension
        self.lengths = None if box is None else np.asarray(box, dtype=float)
        if self.lengths is not None and (self.lengths.shape != (dimension,) or not (self.lengths > 0).all()):
            raise ValueError(f"box must be {dimension} positive side lengths, got {box!r}")
        table = np.asarray(obstacles, dtype=float).reshape(-1, dimension + 1)
        if dimension == 1 and len(table):
            raise ValueError("obstacles need 2 or 3 dimensions")
        if len(table) and not (table[:, -1] > 0).all():
            raise ValueError(f"obstacle radii must be positive, got {table[:, -1].tolist()}")
        self.centres, self.radii = table[:, :-1], table[:, -1]

    def outside(self, x: np.ndarray) -> np.ndarray:
        """Which positions (shape (N, n)) lie outside the region (out of the box or inside an obstacle)."""
        out = np.zeros(len(x), dtype=bool)
        if self.lengths is not None:
            out |= ((x < 0) | (x > self.lengths)).any(axis=1)
        for centre, radius in zip(self.centres, self.radii):
            out |= np.linalg.norm(x - centre, axis=1) < radius * (1 - 1e-12)
        return out

    def move(self, x: np.ndarray, v: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions and velocities after running for times tau, reflected at walls and obstacles."""
        if not len(self.radii):
            return self._fold(x + v * tau[:, None], v)
        x, v, rest = x.copy(), v.copy(), np.asarray(tau, dtype=float).copy()
        active = np.arange(len(x))
        for _ in range(_MAX_REFLECTIONS):
            time, normal = self._first_hit(x[active], v[active])
            hit = time < rest[active]
            free = active[~hit]
            x[free] += v[free] * rest[free, None]
            active, time, normal = active[hit], time[hit], normal[hit]
            if not active.size:
                break
            x[active] += v[active] * time[:, None]
            v[active] -= 2 * np.einsum("ij,ij->i", v[active], normal)[:, None] * normal
            rest[active] -= time
        else:
            raise RuntimeError(f"{active.size} particles reflected more than {_MAX_REFLECTIONS} times in one move")
        if self.lengths is not None:
            np.clip(x, 0.0, self.lengths, out=x)
        return x, v

    def _fold(self, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reflections in the box in closed form: unfold the straight path modulo 2 L."""
        if self.lengths is None:
            return x, v
        period = 2 * self.lengths
        folded = np.mod(x, period)
        flip = folded > self.lengths
        return np.where(flip, period - folded, folded), np.where(flip, -v, v)

    def _first_hit(self, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Time to the first wall or obstacle on each straight path, and the unit normal there."""
        count, n = x.shape
        time = np.full(count, np.inf)
        normal = np.zeros((count, n))
        if self.lengths is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                to_face = np.where(v > 0, (self.lengths - x) / v, np.where(v < 0, -x / v, np.inf))
            to_face = np.maximum(to_face, 0.0)
            axis = np.argmin(to_face, axis=1)
            time = to_face[np.arange(count), axis]
            normal[np.arange(count), axis] = 1.0
        speed2 = np.einsum("ij,ij->i", v, v)
        for centre, radius in zip(self.centres, self.radii):
            offset = x - centre
            b = np.einsum("ij,ij->i", offset, v)
            c = np.einsum("ij,ij->i", offset, offset) - radius**2
            disc = b * b - speed2 * c
            approaching = (b < 0) & (disc > 0) & (c > -1e-12 * radius**2)
            with np.errstate(invalid="ignore", divide="ignore"):
                t = np.where(approaching, np.maximum(c, 0.0) / (-b + np.sqrt(np.maximum(disc, 0.0))), np.inf)
            closer = t < time
            time = np.where(closer, t, time)
            at = offset[closer] + v[closer] * t[closer, None]
            normal[closer] = at / np.linalg.norm(at, axis=1, keepdims=True)
        return time, normal
