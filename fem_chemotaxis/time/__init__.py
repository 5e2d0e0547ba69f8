"""Time discretisation: semi-discrete forms -> residuals of one step."""

from fem_chemotaxis.time.theta import ThetaMethod

__all__ = ["ThetaMethod"]
