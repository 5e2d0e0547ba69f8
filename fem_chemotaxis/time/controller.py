"""Adaptive step-size control from a local error estimate.

The local error of a method of order p is estimated from the distance between the new
solution and the polynomial extrapolation of degree p through the previous accepted
solutions (a Milne-type estimate): with H_k = t_n - t_{n-k},

    err ~ C (p+1)! dt^(p+1) / prod_{k=0..p} (dt + H_k) * |u_{n+1} - u_pred|,

measured in the weighted RMS norm |e_i| / (atol + rtol |u_i|), summed over all ranks. A step
is accepted when err <= 1; the next step is dt * clip(0.9 err^(-1/(p+1)), 0.2, 2).

A method with an embedded estimate (Rosenbrock: the difference to a solution of order p-1)
passes it to :meth:`StepController.embedded_error` instead; its controller is made with the
order of the embedded solution, so that the exponent is again 1/(p+1) of the estimate.

With ``pi=True`` (the Rosenbrock methods) the proposal after an accepted step is
Gustafsson's PI controller (Hairer & Wanner, Solving ODEs II, IV.2, (2.43c)), which also
looks at the error of the previous accepted step, k = p + 1::

    dt_new = dt * clip(0.9 err_n^(-0.7/k) err_(n-1)^(0.4/k), 0.2, 2)

and a step accepted right after a rejection does not grow the step size. The plain
controller above overshoots where the error grows quickly (a forming aggregate) and has
its next step rejected; the PI one damps that (tests/time/test_rosenbrock.py counts the
rejections of both).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mpi4py import MPI

__all__ = ["StepController"]


class StepController:
    """Error estimate and step-size proposals for a method of given order and error constant."""

    def __init__(self, order: int, error_constant: float, rtol: float, atol: float, comm: MPI.Comm, pi: bool = False):
        if not (rtol > 0 and atol > 0):
            raise ValueError(f"rtol and atol must be positive, got {rtol}, {atol}")
        self.order, self.error_constant = order, error_constant
        self.rtol, self.atol, self.comm = rtol, atol, comm
        self.pi = pi
        self._accepted_error: float | None = None  # of the last accepted step (PI)
        self._rejected = False  # the last proposal followed a rejection (PI)
        self.history: deque[tuple[float, np.ndarray]] = deque(maxlen=order + 1)

    @property
    def pi_state(self) -> dict[str, Any]:
        """What the PI controller remembers between steps (a restart restores it)."""
        return {"accepted_error": self._accepted_error, "rejected": self._rejected}

    def restore_pi_state(self, state: Mapping[str, Any]) -> None:
        """Continue from a :attr:`pi_state`."""
        self._accepted_error, self._rejected = state["accepted_error"], bool(state["rejected"])

    def accept(self, t: float, values: np.ndarray) -> None:
        """Record an accepted solution (owned nodal values of all unknowns)."""
        self.history.appendleft((t, values.copy()))

    def error(self, t_new: float, values: np.ndarray) -> float | None:
        """Weighted RMS estimate of the local error; None until enough history exists."""
        p = self.order
        if len(self.history) < p + 1:
            return None
        times = [t for t, _ in self.history]
        prediction = _extrapolate(times, [v for _, v in self.history], t_new)
        dt = t_new - times[0]
        factor = self.error_constant * math.factorial(p + 1) * dt ** (p + 1)
        factor /= float(np.prod([t_new - t for t in times]))
        scaled = factor * (values - prediction) / (self.atol + self.rtol * np.abs(values))
        total = self.comm.allreduce(float(np.sum(scaled**2)), op=MPI.SUM)
        count = self.comm.allreduce(values.size, op=MPI.SUM)
        return math.sqrt(total / max(count, 1))

    def embedded_error(self, values: np.ndarray, estimate: np.ndarray) -> float:
        """Weighted RMS norm of an embedded error estimate at the new solution `values`."""
        scaled = estimate / (self.atol + self.rtol * np.abs(values))
        total = self.comm.allreduce(float(np.sum(scaled**2)), op=MPI.SUM)
        count = self.comm.allreduce(values.size, op=MPI.SUM)
        return math.sqrt(total / max(count, 1))

    def next_dt(self, dt: float, error: float | None) -> float:
        """A step size for the next attempt after a step of size dt with this error."""
        if error is None:
            return dt
        k = self.order + 1
        error = max(error, 1e-10)
        if not self.pi:
            return dt * min(2.0, max(0.2, 0.9 * error ** (-1.0 / k)))
        if error > 1.0:  # rejected: the plain proposal, and no growth once accepted again
            self._rejected = True
            return dt * max(0.2, 0.9 * error ** (-1.0 / k))
        previous = self._accepted_error if self._accepted_error is not None else error
        factor = 0.9 * error ** (-0.7 / k) * previous ** (0.4 / k)
        largest = 1.0 if self._rejected else 2.0
        self._accepted_error, self._rejected = error, False
        return dt * min(largest, max(0.2, factor))


def _extrapolate(times: Sequence[float], values: Sequence[np.ndarray], t: float) -> np.ndarray:
    """Lagrange interpolation polynomial through (times, values), evaluated at t."""
    result = np.zeros_like(values[0])
    for i, (ti, vi) in enumerate(zip(times, values)):
        weight = 1.0
        for j, tj in enumerate(times):
            if j != i:
                weight *= (t - tj) / (ti - tj)
        result += weight * vi
    return result
