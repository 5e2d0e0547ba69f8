"""The internal state of excitation/adaptation cells along a straight run, in closed form.

Chapter (7.3.18)-(7.3.19): ``tau_e y1' = g(S) - (y1 + y2)``, ``tau_a y2' = g(S) - y2``, and the
tumbling rate ``lambda(y) = lambda0 - b y1``. Used by
:class:`~fem_chemotaxis.particles.simulator.RunAndTumble` to find exact tumble times.
"""

from __future__ import annotations

import math

import numpy as np

from fem_chemotaxis.kinetics.turning import TurningLaw

__all__ = ["ExcitationPiece"]


class ExcitationPiece:
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

    def subset(self, mask: np.ndarray) -> ExcitationPiece:
        """The pieces of the particles selected by `mask`."""
        piece = object.__new__(ExcitationPiece)
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
