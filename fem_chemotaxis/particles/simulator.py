"""Run-and-tumble particles: the individual-cell model behind the derived coefficients.

Each particle runs in a straight line with its velocity, tumbles at the rate of its
:class:`~fem_chemotaxis.kinetics.turning.TurningLaw` and draws a new velocity (from M, or
turned from the old one by a turning angle: persistence); walls of the box
``[0, L_1] x ... x [0, L_n]`` and round obstacles in it reflect it specularly
(:class:`~fem_chemotaxis.particles.walls.Walls`), or there are none: free space. The taxis
responses of the law bias the tumbling rate ("run-length") or the new direction
("direction") by the gradients of their named fields, with a strength k(S) that may depend
on the field's level.

Tumbles are exact events, not a fixed probability per step: each particle carries an
exponential clock (the integrated tumbling rate still to run before its next tumble). Over a
sub-step the rate is integrated with the trapezoidal rule (it is constant without a chemical
bias of the rate, so then the process is exact; the "direction" mechanism is exact too), the
tumble time solved for, the particle moved there, turned, and continued. ``dt`` only bounds
how long the rate may be treated as linear in time. The internal excitation/adaptation
variables (chapter (7.3.18)-(7.3.19)) are integrated exactly along each straight piece for a
signal ``g(S)`` linear in time between its ends.

Parallel and reproducible: the particles form ``blocks`` contiguous blocks of global ids,
each with its own random stream derived from the one seed (``SeedSequence(seed,
spawn_key=(block,))``), and every random draw of a particle comes from its block's stream
in an order that only depends on that block. Blocks are split among the ranks, so the
union of particles and their trajectories are the same for any number of ranks (up to
``blocks``). Ensemble statistics are reduced over all ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dolfinx
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.kinetics.turning import TurningLaw
from fem_chemotaxis.particles.density import particle_density
from fem_chemotaxis.particles.excitation import ExcitationPiece
from fem_chemotaxis.particles.signal import SignalField
from fem_chemotaxis.particles.walls import Walls

__all__ = ["Estimate", "RunAndTumble"]

#: Initial positions: "uniform" in the box, one point (shape (n,)), or a function
#: ``(rng, count) -> positions (count, n)`` called once per block.
Initial = str | Sequence[float] | np.ndarray | Callable[[np.random.Generator, int], np.ndarray]
Sampler = Callable[[np.random.Generator, int], np.ndarray]
#: The fields particles sense: one for every response, or one per field name.
Signals = SignalField | Mapping[str, SignalField] | None
#: What the particles sensed at some positions: field name -> (S, grad S).
Sensed = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Estimate:
    """An ensemble mean over all particles of all ranks, with its standard error.

    Attributes:
        mean: The mean (a number or one per component).
        standard_error: Sample standard deviation / sqrt(count).
        count: Number of particles.
    """

    mean: np.ndarray
    standard_error: np.ndarray
    count: int


class RunAndTumble:
    """An ensemble of run-and-tumble particles, split over the ranks of `comm`.

    Args:
        law: The turning law (velocities, rate, persistence, taxis responses or transduction).
        count: Number of particles over all ranks.
        box: Side lengths of the box ``[0, L_i]`` with reflecting walls, or None for free space.
        obstacles: Reflecting disks (2-D) or balls (3-D) in the box, each (centre..., radius).
        initial: "uniform" (in the box, outside the obstacles), a point, or a function
            ``(rng, count) -> positions``.
        signal: The fields the law responds to: one SignalField for all, or a mapping from
            the field names of the taxis responses (and of the transduction) to fields.
        seed: The one seed all random streams derive from.
        comm: The communicator the particles are split over.
        blocks: Number of blocks of particles with their own random streams.
    """

    def __init__(
        self,
        law: TurningLaw,
        count: int,
        *,
        box: Sequence[float] | None = None,
        obstacles: Sequence[Sequence[float]] = (),
        initial: Initial = "uniform",
        signal: Signals = None,
        seed: int = 0,
        comm: MPI.Comm = MPI.COMM_WORLD,
        blocks: int = 32,
    ):
        n = law.dimension
        if any(p.mechanism == "kernel" for p in law.taxis):
            raise ValueError(
                "[cells.taxis] particles need mechanism = \"run-length\" or \"direction\"; "
                "a kernel expression is only used by the coefficient derivation"
            )
        if count < 1 or blocks < 1:
            raise ValueError(f"count and blocks must be positive, got {count} and {blocks}")
        self.law = law
        self.fields = sorted(
            {p.towards for p in law.taxis} | ({law.transduction.signal} if law.transduction is not None else set())
        )
        self.comm = comm
        self.dimension = n
        self.count = int(count)
        self.signal = signal
        self.walls = Walls(n, box, obstacles)
        self.lengths = self.walls.lengths
        if isinstance(initial, str) and (initial != "uniform" or self.lengths is None):
            raise ValueError(f"initial = {initial!r}: use \"uniform\" (needs a box), a point or a function")
        self.time = 0.0

        # Blocks of global ids, a contiguous range of blocks per rank, one stream per block.
        blocks = min(blocks, self.count)
        edges = np.linspace(0, self.count, blocks + 1).astype(np.int64)
        mine = range(comm.rank * blocks // comm.size, (comm.rank + 1) * blocks // comm.size)
        self._rngs = [np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b,)))) for b in mine]
        sizes = [int(edges[b + 1] - edges[b]) for b in mine]
        self._bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.ids = np.concatenate([np.arange(edges[b], edges[b + 1]) for b in mine] or [np.zeros(0, np.int64)])

        parts = [self._initial_block(rng, m, initial) for rng, m in zip(self._rngs, sizes)]
        self.x = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, n))
        self.v = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, n))
        self.clock = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
        if comm.allreduce(bool(self.walls.outside(self.x).any()), op=MPI.LOR):
            raise ValueError("initial positions must lie in the box and outside the obstacles")
        self.x0 = self.x.copy()
        # Internal state (y1, y2), adapted to the signal at the start: y1 = 0, y2 = g(S).
        self.y = np.zeros((len(self.x), 2))
        if law.transduction is not None and len(self.x):
            self.y[:, 1] = law.transduction.receptor(self._sense(self.x)[law.transduction.signal][0])

    @property
    def signal(self) -> dict[str, SignalField]:
        """The sensed fields by name (assign one SignalField for all, or a mapping)."""
        return self._signals

    @signal.setter
    def signal(self, signal: Signals) -> None:
        if signal is None:
            signals: dict[str, SignalField] = {}
        elif isinstance(signal, SignalField):
            signals = dict.fromkeys(self.fields, signal)
        else:
            signals = dict(signal)
        missing = [name for name in self.fields if name not in signals]
        if missing:
            raise ValueError(
                f"the turning law responds to {', '.join(missing)}: give a signal field for "
                f"{'it' if len(missing) == 1 else 'each'}"
            )
        for name, field in signals.items():
            if field.dimension != self.dimension:
                raise ValueError(f"the signal '{name}' is {field.dimension}-D but the cells move in {self.dimension}-D")
        self._signals = signals

    def _initial_block(self, rng: np.random.Generator, m: int, initial: Initial) -> tuple[np.ndarray, ...]:
        """Positions, velocities and clocks of one block, drawn from its stream in this order."""
        n = self.dimension
        if isinstance(initial, str):
            lengths = np.asarray(self.lengths)
            x = rng.random((m, n)) * lengths
            redraw = np.flatnonzero(self.walls.outside(x))
            while redraw.size:
                x[redraw] = rng.random((redraw.size, n)) * lengths
                redraw = redraw[self.walls.outside(x[redraw])]
        elif callable(initial):
            x = np.asarray(initial(rng, m), dtype=float).reshape(m, n)
        else:
            x = np.broadcast_to(np.asarray(initial, dtype=float), (m, n)).copy()
        return x, self.law.velocities.sample(rng, m), rng.standard_exponential(m)

    # -- random draws, block by block ---------------------------------------------------
    def _draw(
        self, index: np.ndarray, sampler: Callable[..., np.ndarray], data: np.ndarray | None = None
    ) -> np.ndarray:
        """One draw per particle of `index` (sorted local indices), each from its block's stream.

        ``sampler(rng, count)``, or ``sampler(rng, rows)`` with the rows of `data` (aligned
        with `index`) that belong to the block.
        """
        cuts = np.searchsorted(index, self._bounds[1:-1])
        parts = np.split(np.arange(len(index)), cuts)
        draws = [
            sampler(rng, len(part) if data is None else data[part]) for rng, part in zip(self._rngs, parts) if len(part)
        ]
        return np.concatenate(draws)

    # -- the physics ---------------------------------------------------------------------
    def _sense(self, x: np.ndarray) -> Sensed:
        """Level and gradient of every field the law responds to, at positions x."""
        values: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        sensed: Sensed = {}
        for name in self.fields:
            field = self._signals[name]
            if id(field) not in values:
                values[id(field)] = field.evaluate(x)
            sensed[name] = values[id(field)]
        return sensed

    @property
    def _rate_varies(self) -> bool:
        """Whether the tumbling rate without transduction changes along a run (run-length responses)."""
        return any(p.mechanism == "run-length" for p in self.law.taxis)

    def _bias(self, v: np.ndarray, sensed: Sensed, mechanism: str) -> np.ndarray:
        """``sum k(S) v.grad S`` over the responses of one mechanism."""
        bias = np.zeros(len(v))
        for p in self.law.taxis:
            if p.mechanism == mechanism:
                level, gradient = sensed[p.towards]
                bias += p.strength_at(level) * np.einsum("ij,ij->i", v, gradient)
        return bias

    def _rate(self, v: np.ndarray, sensed: Sensed) -> np.ndarray:
        """Tumbling rate (of the relaxation kernel) of particles with velocities v, without transduction."""
        sigma = self.law.relaxation_rate
        if self._rate_varies:
            return sigma * np.maximum(1 - self._bias(v, sensed, "run-length"), 0.0)
        return np.full(len(v), sigma)

    def _candidates(self, index: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Unbiased new velocities: from M, or the previous ones turned by the turning angle."""
        if self.law.angle is not None:
            return self._draw(index, self.law.angle.turn, previous)
        return self._draw(index, self.law.velocities.sample)

    def _new_velocities(self, index: np.ndarray, previous: np.ndarray, sensed: Sensed) -> np.ndarray:
        """Velocities after a tumble, with density proportional to ``T0(v, w)(1 + sum k v.grad S)`` (rejection)."""
        v = self._candidates(index, previous)
        direction = [p for p in self.law.taxis if p.mechanism == "direction"]
        if not direction:
            return v
        bound = np.ones(len(index))
        for p in direction:
            level, gradient = sensed[p.towards]
            bound += np.abs(p.strength_at(level)) * self.law.velocities.max_speed * np.linalg.norm(gradient, axis=1)
        todo = np.arange(len(index))
        while todo.size:
            u = self._draw(index[todo], lambda rng, m: rng.random(m))
            part = {name: (level[todo], gradient[todo]) for name, (level, gradient) in sensed.items()}
            weight = np.maximum(1 + self._bias(v[todo], part, "direction"), 0.0)
            todo = todo[u * bound[todo] >= weight]
            if todo.size:
                v[todo] = self._candidates(index[todo], previous[todo])
        return v

    def _step(self, h: float) -> None:
        """Advance every particle by h, tumbling at its exact event times."""
        remaining = np.full(len(self.x), h)
        active = np.arange(len(self.x))
        transduction = self.law.transduction
        while active.size:
            x, v, y, rest = self.x[active], self.v[active], self.y[active], remaining[active]
            x_b, v_b = self.walls.move(x, v, rest)
            if transduction is not None:
                name = transduction.signal
                g_a = transduction.receptor(self._sense(x)[name][0])
                piece = ExcitationPiece(self.law, y, g_a, transduction.receptor(self._sense(x_b)[name][0]), rest)
                hazard, y_b = piece.hazard(rest), piece.state(rest)
            else:
                rate_a = rate_b = self._rate(v, self._sense(x) if self._rate_varies else {})
                if self._rate_varies:
                    rate_b = self._rate(v_b, self._sense(x_b))
                hazard, y_b = 0.5 * (rate_a + rate_b) * rest, y
            turn = hazard >= self.clock[active]

            run = active[~turn]
            self.x[run], self.v[run], self.y[run] = x_b[~turn], v_b[~turn], y_b[~turn]
            self.clock[run] -= hazard[~turn]

            tumbling = active[turn]
            if not tumbling.size:
                break
            clock = self.clock[tumbling]
            if transduction is not None:
                tumble = piece.subset(turn)
                tau = tumble.time_of(clock, rest[turn])
                self.y[tumbling] = tumble.state(tau)
            else:
                start, slope = rate_a[turn], (rate_b[turn] - rate_a[turn]) / rest[turn]
                tau = 2 * clock / (start + np.sqrt(np.maximum(start**2 + 2 * slope * clock, 0.0)))
            tau = np.minimum(tau, rest[turn])
            x_t, v_t = self.walls.move(x[turn], v[turn], tau)
            self.x[tumbling] = x_t
            self.v[tumbling] = self._new_velocities(tumbling, v_t, self._sense(x_t))
            self.clock[tumbling] = self._draw(tumbling, lambda rng, m: rng.standard_exponential(m))
            remaining[tumbling] = rest[turn] - tau
            active = tumbling[remaining[tumbling] > 0]

    def advance(self, t_end: float, dt: float) -> None:
        """Run until time t_end in steps of at most dt (tumbles happen at exact times in between)."""
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        while t_end - self.time > 1e-12 * max(1.0, abs(t_end)):
            h = min(dt, t_end - self.time)
            self._step(h)
            self.time += h

    # -- observables ---------------------------------------------------------------------
    def displacement(self) -> np.ndarray:
        """x - x0 of this rank's particles (for free space, or far from the walls)."""
        return self.x - self.x0

    def estimate(self, values: np.ndarray) -> Estimate:
        """Mean and standard error of per-particle values (shape (N_local,) or (N_local, k)) over all ranks."""
        values = np.asarray(values, dtype=float)
        total = self.comm.allreduce(values.sum(axis=0), op=MPI.SUM)
        count = self.comm.allreduce(len(values), op=MPI.SUM)
        mean = total / count
        spread = self.comm.allreduce(((values - mean) ** 2).sum(axis=0), op=MPI.SUM)
        return Estimate(np.asarray(mean), np.sqrt(spread / (count - 1) / count), count)

    def gather(self, root: int = 0) -> np.ndarray | None:
        """All positions ordered by particle id on `root` (None on the other ranks)."""
        parts = self.comm.gather((self.ids, self.x), root=root)
        if parts is None:
            return None
        ids = np.concatenate([p[0] for p in parts])
        return np.concatenate([p[1] for p in parts])[np.argsort(ids)]

    def density(self, mesh: dolfinx.mesh.Mesh, kind: str = "P1", mass: float = 1.0) -> dolfinx.fem.Function:
        """The particle density on `mesh` (see :func:`~fem_chemotaxis.particles.density.particle_density`)."""
        return particle_density(mesh, self.x, kind=kind, mass=mass)
