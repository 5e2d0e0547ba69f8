"""Run-and-tumble particles: the individual-cell model behind the derived coefficients.

Each particle runs in a straight line with its velocity, tumbles at the rate of its
:class:`~fem_chemotaxis.kinetics.turning.TurningLaw` and draws a new velocity; walls of the
box ``[0, L_1] x ... x [0, L_n]`` reflect it specularly (or there are none: free space).

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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dolfinx
import numpy as np

from mpi4py import MPI

from fem_chemotaxis.kinetics.turning import TurningLaw
from fem_chemotaxis.particles.density import particle_density
from fem_chemotaxis.particles.signal import SignalField

__all__ = ["Estimate", "RunAndTumble"]

#: Initial positions: "uniform" in the box, one point (shape (n,)), or a function
#: ``(rng, count) -> positions (count, n)`` called once per block.
Initial = str | Sequence[float] | np.ndarray | Callable[[np.random.Generator, int], np.ndarray]
Sampler = Callable[[np.random.Generator, int], np.ndarray]


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
        law: The turning law (velocities, rate, taxis mechanism or transduction).
        count: Number of particles over all ranks.
        box: Side lengths of the box ``[0, L_i]`` with reflecting walls, or None for free space.
        initial: "uniform" (in the box), a point, or a function ``(rng, count) -> positions``.
        signal: The chemical field (needed when the law has taxis or transduction).
        seed: The one seed all random streams derive from.
        comm: The communicator the particles are split over.
        blocks: Number of blocks of particles with their own random streams.
    """

    def __init__(self, law: TurningLaw, count: int, *, box: Sequence[float] | None = None,
                 initial: Initial = "uniform", signal: SignalField | None = None, seed: int = 0,
                 comm: MPI.Comm = MPI.COMM_WORLD, blocks: int = 32):
        n = law.dimension
        if law.taxis is not None and law.taxis.mechanism == "kernel":
            raise ValueError("[cells.taxis] particles need mechanism = \"run-length\" or \"direction\"; "
                             "a kernel expression is only used by the coefficient derivation")
        if (law.taxis is not None or law.transduction is not None) and signal is None:
            raise ValueError("a turning law with taxis or transduction needs a signal field")
        if signal is not None and signal.dimension != n:
            raise ValueError(f"the signal is {signal.dimension}-D but the cells move in {n}-D")
        if count < 1 or blocks < 1:
            raise ValueError(f"count and blocks must be positive, got {count} and {blocks}")
        self.law = law
        self.signal = signal
        self.comm = comm
        self.dimension = n
        self.count = int(count)
        self.lengths = None if box is None else np.asarray(box, dtype=float)
        if self.lengths is not None and (self.lengths.shape != (n,) or not (self.lengths > 0).all()):
            raise ValueError(f"box must be {n} positive side lengths, got {box!r}")
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
        outside = self.lengths is not None and bool(((self.x < 0) | (self.x > self.lengths)).any())
        if comm.allreduce(outside, op=MPI.LOR):
            raise ValueError("initial positions must lie in the box")
        self.x0 = self.x.copy()
        # Internal state (y1, y2), adapted to the signal at the start: y1 = 0, y2 = g(S).
        self.y = np.zeros((len(self.x), 2))
        if law.transduction is not None and len(self.x):
            self.y[:, 1] = law.transduction.receptor(self._signal(self.x)[0])

    def _initial_block(self, rng: np.random.Generator, m: int, initial: Initial) -> tuple[np.ndarray, ...]:
        """Positions, velocities and clocks of one block, drawn from its stream in this order."""
        n = self.dimension
        if isinstance(initial, str):
            assert self.lengths is not None  # "uniform" needs a box (checked in __init__)
            x = rng.random((m, n)) * self.lengths
        elif callable(initial):
            x = np.asarray(initial(rng, m), dtype=float).reshape(m, n)
        else:
            x = np.broadcast_to(np.asarray(initial, dtype=float), (m, n)).copy()
        return x, self.law.velocities.sample(rng, m), rng.standard_exponential(m)

    # -- random draws, block by block ---------------------------------------------------
    def _draw(self, index: np.ndarray, sampler: Sampler) -> np.ndarray:
        """One draw per particle of `index` (sorted local indices), each from its block's stream."""
        cuts = np.searchsorted(index, self._bounds[1:-1])
        draws = [sampler(rng, len(part)) for rng, part in zip(self._rngs, np.split(index, cuts)) if len(part)]
        return np.concatenate(draws)

    # -- the physics ---------------------------------------------------------------------
    def _signal(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.signal.evaluate(x)  # type: ignore[union-attr]

    @property
    def _rate_varies(self) -> bool:
        """Whether the tumbling rate without transduction changes along a run (run-length mechanism)."""
        return self.law.taxis is not None and self.law.taxis.mechanism == "run-length"

    def _rate(self, v: np.ndarray, gradient: np.ndarray | None) -> np.ndarray:
        """Tumbling rate (of the relaxation kernel) of particles with velocities v, without transduction."""
        law = self.law
        sigma = law.relaxation_rate
        if law.taxis is not None and law.taxis.mechanism == "run-length":
            assert gradient is not None  # taxis senses a signal
            return sigma * np.maximum(1 - law.taxis.strength * np.einsum("ij,ij->i", v, gradient), 0.0)
        return np.full(len(v), sigma)

    def _move(self, x: np.ndarray, v: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions and velocities after running for tau, reflected at the walls."""
        x = x + v * tau[:, None]
        if self.lengths is None:
            return x, v
        period = 2 * self.lengths
        folded = np.mod(x, period)
        flip = folded > self.lengths
        return np.where(flip, period - folded, folded), np.where(flip, -v, v)

    def _new_velocities(self, index: np.ndarray, gradient: np.ndarray | None) -> np.ndarray:
        """Velocities after a tumble: from M, or from M(v)(1 + k v.grad S) by rejection."""
        sample = self.law.velocities.sample
        v = self._draw(index, sample)
        taxis = self.law.taxis
        if taxis is None or taxis.mechanism != "direction":
            return v
        k = taxis.strength
        assert gradient is not None  # taxis senses a signal
        bound = 1 + abs(k) * self.law.velocities.max_speed * np.linalg.norm(gradient, axis=1)
        todo = np.arange(len(index))
        while todo.size:
            u = self._draw(index[todo], lambda rng, m: rng.random(m))
            weight = np.maximum(1 + k * np.einsum("ij,ij->i", v[todo], gradient[todo]), 0.0)
            todo = todo[u * bound[todo] >= weight]
            if todo.size:
                v[todo] = self._draw(index[todo], sample)
        return v

    def _step(self, h: float) -> None:
        """Advance every particle by h, tumbling at its exact event times."""
        remaining = np.full(len(self.x), h)
        active = np.arange(len(self.x))
        transduction = self.law.transduction
        sensing = self.signal is not None
        while active.size:
            x, v, y, rest = self.x[active], self.v[active], self.y[active], remaining[active]
            x_b, v_b = self._move(x, v, rest)
            if transduction is not None:
                g_a = transduction.receptor(self._signal(x)[0])
                piece = _ExcitationPiece(self.law, y, g_a, transduction.receptor(self._signal(x_b)[0]), rest)
                hazard, y_b = piece.hazard(rest), piece.state(rest)
            else:
                grad_a = self._signal(x)[1] if sensing else None
                rate_a = rate_b = self._rate(v, grad_a)
                if self._rate_varies:
                    rate_b = self._rate(v_b, self._signal(x_b)[1])
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
            x_t, _ = self._move(x[turn], v[turn], tau)
            self.x[tumbling] = x_t
            self.v[tumbling] = self._new_velocities(tumbling, self._signal(x_t)[1] if sensing else None)
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


class _ExcitationPiece:
    """The internal state and tumbling hazard along straight pieces of runs, in closed form.

    On a piece of duration T the signal seen, g(S(x(t))), is taken linear in t between its
    values at both ends (exact in a linear field away from walls). Then (7.3.18)-(7.3.19)
    give ``y1(t) = A e^(-t/tau_e) + B (1 - e^(-t/tau_e)) + C phi(t)`` with
    ``phi = tau_a/(tau_a - tau_e) (e^(-t/tau_a) - e^(-t/tau_e))``, and the hazard
    ``int_0^t c (lambda0 - b y1)`` in closed form too (``c = sigma/lambda0``; the rate's
    clipping at zero is not integrated, it needs excitations ``b y1 > lambda0``).
    """

    def __init__(self, law: TurningLaw, y: np.ndarray, g_start: np.ndarray, g_end: np.ndarray, duration: np.ndarray):
        td = law.transduction
        self.tau_a, self.tau_e, self.b = td.tau_a, td.tau_e, td.b  # type: ignore[union-attr]
        self.lambda0, self.scale = law.rate, law.relaxation_rate / law.rate
        self.g = g_start
        self.slope = np.divide(g_end - g_start, duration, out=np.zeros_like(duration), where=duration > 0)
        self.y1, self.y2 = y[:, 0], y[:, 1]
        self.critical = math.isclose(self.tau_a, self.tau_e, rel_tol=1e-9)
        self.memory = self.g - self.y2 - self.slope * self.tau_a  # C

    def subset(self, mask: np.ndarray) -> _ExcitationPiece:
        """The pieces of the particles selected by `mask`."""
        piece = object.__new__(_ExcitationPiece)
        piece.__dict__.update({k: (v[mask] if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()})
        return piece

    def _phi(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """phi(t) and its integral from 0 to t."""
        ta, te = self.tau_a, self.tau_e
        ee = np.exp(-t / te)
        if self.critical:
            return t / te * ee, te * (1 - ee * (1 + t / te))
        ea = np.exp(-t / ta)
        return ta / (ta - te) * (ea - ee), ta / (ta - te) * (ta * (1 - ea) - te * (1 - ee))

    def excitation(self, t: np.ndarray) -> np.ndarray:
        """y1 after time t."""
        ee = np.exp(-t / self.tau_e)
        return self.y1 * ee + self.slope * self.tau_a * (1 - ee) + self.memory * self._phi(t)[0]

    def state(self, t: np.ndarray) -> np.ndarray:
        """(y1, y2) after time t, shape (k, 2)."""
        ta = self.tau_a
        y2 = (self.y2 - self.g + self.slope * ta) * np.exp(-t / ta) + self.g + self.slope * (t - ta)
        return np.column_stack([self.excitation(t), y2])

    def rate(self, t: np.ndarray) -> np.ndarray:
        """The tumbling rate c (lambda0 - b y1(t)), clipped at zero."""
        return self.scale * np.maximum(self.lambda0 - self.b * self.excitation(t), 0.0)

    def hazard(self, t: np.ndarray) -> np.ndarray:
        """``int_0^t c (lambda0 - b y1)``."""
        te = self.tau_e
        decay = te * (1 - np.exp(-t / te))
        excitation = self.y1 * decay + self.slope * self.tau_a * (t - decay) + self.memory * self._phi(t)[1]
        return self.scale * (self.lambda0 * t - self.b * excitation)

    def time_of(self, target: np.ndarray, duration: np.ndarray, iterations: int = 60) -> np.ndarray:
        """The times in [0, duration] at which the hazard reaches `target`: safeguarded Newton."""
        low, high = np.zeros_like(target), duration.copy()
        start, slope = self.rate(low), (self.rate(high) - self.rate(low)) / duration
        t = np.minimum(2 * target / (start + np.sqrt(np.maximum(start**2 + 2 * slope * target, 0.0))), duration)
        for _ in range(iterations):
            excess = self.hazard(t) - target
            if np.abs(excess).max() <= 1e-14 * max(1.0, float(target.max())):
                break
            low, high = np.where(excess < 0, t, low), np.where(excess > 0, t, high)
            newton = t - excess / np.maximum(self.rate(t), 1e-300)
            t = np.where((newton > low) & (newton < high), newton, 0.5 * (low + high))
        return t
