"""How a step or a run ends: an accepted step's record, or a stop with its report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fem_chemotaxis.motion import MeshQuality

__all__ = ["BlowUp", "MeshQualityStop", "RunStopped", "SolverFailure", "StepRecord"]


class RunStopped(RuntimeError):
    """The run cannot go on; `report` says when, where and why (for summary.json)."""

    kind = "stopped"

    def __init__(self, message: str, report: dict[str, Any]):
        super().__init__(message)
        self.report = {"reason": self.kind, "message": message, **report}


class SolverFailure(RunStopped):
    """The step kept failing down to the smallest allowed time step."""

    kind = "solver-failure"


class BlowUp(RunStopped):
    """A density exceeded the blow-up threshold (finite-time concentration)."""

    kind = "blow-up"


class MeshQualityStop(RunStopped):
    """Moving the mesh further would make a cell too distorted (or inverted)."""

    kind = "mesh-quality"

    @classmethod
    def before(
        cls, time: float, dt: float, proposed: MeshQuality, current: MeshQuality, min_quality: float
    ) -> MeshQualityStop:
        """The stop at `time`, where moving the mesh on by dt would give it the `proposed` quality."""
        return cls(
            f"moving the mesh to t = {time + dt:.6g} would bring its minimum scaled Jacobian to "
            f"{proposed.minimum:.3g} < min_quality = {min_quality:g} near x = "
            f"{[round(c, 6) for c in proposed.location]}; stopped at t = {time:.6g} "
            f"(minimum quality {current.minimum:.3g})",
            {
                "time": time,
                "min_quality": current.minimum,
                "proposed_time": time + dt,
                "proposed_min_quality": proposed.minimum,
                "location": list(proposed.location),
            },
        )


@dataclass(frozen=True)
class StepRecord:
    """One accepted time step."""

    time: float
    dt: float
    newton_iterations: int
    krylov_iterations: int
    rejected: int
    error: float | None = None
