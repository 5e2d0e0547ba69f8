"""Flux limiters Q(y) of a taxis gradient: their names, their parameter and their slope at 0.

The drift of a taxis term is ``S Q(grad w)``. Every limiter offered is radial,
``Q(y) = q(|y|) y/|y|`` with ``q(0) = 0``, ``q' > 0`` (the fractional document requires
``dQ_i/dy_i > 0``, Q smooth and bounded):

- ``none``: ``q(r) = r``, plain Keller-Segel taxis.
- ``saturating``: the "typical example" after eq. (7) of the fractional document
  (Optimal drift following the chemoattractant), with threshold ``y* >= 0``::

      q(r) = r                                     for r <= y*
      q(r) = (r - y*)/sqrt(1 + (r - y*)^2) + y*    for r >  y*

  Continuous with its first and second derivatives at ``r = y*`` (``q' = 1``, ``q'' = 0``
  on both sides), strictly increasing, bounded by ``y* + 1``. At ``y* = 0`` it is the
  mean-curvature flux (the document's closing remark); as ``y* -> inf`` the identity.
- ``mean-curvature``: ``q(r) = r/sqrt(1 + r^2)``, i.e. ``saturating`` with ``y* = 0``.

The slope at 0 enters the linear stability of homogeneous states (``grad w* = 0``): since
Q is radial and smooth, its Jacobian at 0 is ``q'(0) I``. For ``none`` and for ``saturating``
with ``y* > 0`` (identity near 0) ``q'(0) = 1``; for ``y* = 0`` and ``mean-curvature``
``q'(r) = (1 + r^2)^(-3/2)``, so again ``q'(0) = 1``. See :func:`slope_at_zero`.
"""

from __future__ import annotations

__all__ = ["LIMITERS", "check_limiter", "slope_at_zero"]

#: Flux limiters Q(y) for the taxis gradient.
LIMITERS = ("none", "saturating", "mean-curvature")

#: q'(0) of each limiter, for every threshold y* >= 0 (derivations in the module docstring).
_SLOPE_AT_ZERO = {
    "none": 1.0,
    "saturating": 1.0,  # identity branch (y* > 0); d/dr r/sqrt(1 + r^2) = 1 at r = 0 (y* = 0)
    "mean-curvature": 1.0,  # (1 + r^2)^(-3/2) at r = 0
}


def check_limiter(limiter: str, threshold: float, where: str) -> None:
    """Raise ValueError (one line naming `where`, the key and the value) for an unknown limiter or y* < 0."""
    if limiter not in LIMITERS:
        raise ValueError(f"{where} unknown limiter '{limiter}'; choose one of: {', '.join(LIMITERS)}")
    if not threshold >= 0:  # also rejects NaN; inf is allowed (no limiting)
        raise ValueError(f"{where} limiter_threshold = {threshold:g} must be >= 0")


def slope_at_zero(limiter: str) -> float:
    """q'(0): the Jacobian of Q at y = 0 is this times the identity (any threshold y* >= 0)."""
    if limiter not in _SLOPE_AT_ZERO:
        raise ValueError(f"unknown flux limiter '{limiter}'; choose one of: {', '.join(LIMITERS)}")
    return _SLOPE_AT_ZERO[limiter]
