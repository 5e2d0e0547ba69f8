"""The movement tables of one cell population in a SPEC, read into a checked TurningLaw.

The same tables describe the cells of a single-cell SPEC (``[cells.*]``) and each mobile
population of a multi-species SPEC (``[species.NAME.*]``)::

    turning_rate = lambda, turning = "uniform" | "reversal" (1-D, chapter (7.3.1))
    [*.velocities]      kind = "sphere"       speed = s (, nodes)
                        kind = "discrete"     vectors = [[...], ...] (, weights = [...])
                        kind = "density"      density = "M(vx, vy, vz)", cutoff (, nodes)
                        kind = "heavy-tailed" gamma in (0, 1) (, profile = "F(r)")  (single cells only)
    [*.turning_angle]   kind = "von-mises", kappa       (persistence; sphere velocities, 2-D and 3-D)
                        kind = "table", angles = [0, ..., 180] (degrees), density = [...]
    [*.taxis]           mechanism = "run-length" | "direction", strength = k or "k(S)"
                        | mechanism = "kernel", kernel = "T1(v, w, grad S)" (, strength = "k(S)")
    [*.transduction]    b, tau_e, tau_a, g = "g(S)"     (chapter (7.3.18)-(7.3.21))

``where`` below is the table's name without brackets, e.g. ``"cells"`` or ``"species.u1"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fem_chemotaxis.expressions import Expression
from fem_chemotaxis.kinetics import tables
from fem_chemotaxis.kinetics.persistence import ANGLE_KINDS, TabulatedAngle, TurningAngle, VonMises
from fem_chemotaxis.kinetics.turning import TURNING, TaxisPerturbation, Transduction
from fem_chemotaxis.kinetics.velocities import (
    VELOCITY_SYMBOLS,
    DiscreteVelocities,
    HeavyTailedEquilibrium,
    Sphere,
    VelocityDensity,
    VelocitySet,
)

__all__ = [
    "VELOCITY_KINDS",
    "heavy_tail",
    "taxis",
    "transduction",
    "turning",
    "turning_angle",
    "velocity_set",
]

#: Kinds of [*.velocities].
VELOCITY_KINDS = ("sphere", "discrete", "density", "heavy-tailed")


def turning(cells: Mapping[str, Any], where: str) -> tuple[float, str]:
    """The tumbling rate and the turning ("uniform" or "reversal") of a population's table."""
    rate = tables.positive(cells.get("turning_rate"), f"[{where}] turning_rate")
    kind = cells.get("turning", "uniform")
    if kind not in TURNING:
        raise ValueError(f"[{where}] turning must be one of {', '.join(repr(t) for t in TURNING)}, got {kind!r}")
    return rate, kind


def velocity_set(
    velocities: Mapping[str, Any], where: str, dimension: int, parameters: Mapping[str, float]
) -> VelocitySet:
    """A sphere, discrete or density velocity set from its table (``where`` names the table)."""
    kind = velocities.get("kind")
    if kind == "sphere":
        tables.only_keys(velocities, {"kind", "speed", "nodes"}, where)
        nodes = tables.integer(velocities["nodes"], f"[{where}] nodes", 4) if "nodes" in velocities else None
        return Sphere(dimension, tables.positive(velocities.get("speed"), f"[{where}] speed"), nodes)
    if kind == "discrete":
        tables.only_keys(velocities, {"kind", "vectors", "weights"}, where)
        vectors = tables.array(velocities.get("vectors"), f"[{where}] vectors", ndim=2)
        if vectors.shape[1] != dimension or len(vectors) < 2:
            raise ValueError(
                f"[{where}] vectors must be at least two lists of {dimension} numbers, "
                f"got {velocities.get('vectors')!r}"
            )
        weights = (
            tables.array(velocities["weights"], f"[{where}] weights", ndim=1)
            if "weights" in velocities
            else np.full(len(vectors), 1 / len(vectors))
        )
        if weights.shape != (len(vectors),) or (weights < 0).any() or abs(weights.sum() - 1) > 1e-12:
            raise ValueError(
                f"[{where}] weights must be {len(vectors)} non-negative numbers summing to 1, "
                f"got {velocities.get('weights')!r}"
            )
        _check_zero_flux(weights @ vectors, np.abs(vectors).max(), f"[{where}] vectors/weights")
        return DiscreteVelocities(vectors, weights)
    if kind != "density":
        choices = ", ".join(repr(k) for k in VELOCITY_KINDS)
        raise ValueError(f"[{where}] kind must be one of {choices}, got {kind!r}")
    tables.only_keys(velocities, {"kind", "density", "cutoff", "nodes"}, where)
    if "density" not in velocities:
        raise ValueError(f"[{where}] is missing 'density' (an expression in {', '.join(VELOCITY_SYMBOLS[:dimension])})")
    density = Expression.parse(velocities["density"], f"[{where}] density")
    density.check_symbols(
        set(VELOCITY_SYMBOLS[:dimension]) | set(parameters), "[parameters] and the velocity components"
    )
    nodes = tables.integer(velocities.get("nodes", 48), f"[{where}] nodes", 4)
    cutoff = tables.positive(velocities.get("cutoff"), f"[{where}] cutoff")
    result = VelocityDensity(dimension, density, dict(parameters), cutoff, nodes)
    rule = result.quadrature()
    if (rule.density < 0).any() or not np.isfinite(rule.density).all():
        raise ValueError(f"[{where}] density must be finite and non-negative on the box |v_i| <= cutoff")
    mass = float(rule.mean(np.ones(len(rule.weights))))
    if abs(mass - 1) > 1e-6:
        raise ValueError(
            f"[{where}] density integrates to {mass:.8g} over |v_i| <= cutoff, not 1: normalise it "
            "(or enlarge 'cutoff')"
        )
    _check_zero_flux(rule.mean(rule.nodes), result.cutoff, f"[{where}] density")
    return result


def _check_zero_flux(mean: np.ndarray, scale: float, where: str) -> None:
    """The equilibrium must carry no flux (cross-diffusion file (16))."""
    if np.abs(mean).max() > 1e-8 * scale:
        raise ValueError(
            f"{where}: the mean velocity is {np.round(mean, 12).tolist()}, not 0 (the equilibrium must carry no flux)"
        )


def heavy_tail(
    velocities: Mapping[str, Any], where: str, dimension: int, parameters: Mapping[str, float]
) -> HeavyTailedEquilibrium:
    """A heavy-tailed equilibrium (fractional file, eq. (2)) from its [*.velocities] table."""
    tables.only_keys(velocities, {"kind", "gamma", "profile"}, where)
    gamma = tables.number(velocities.get("gamma"), f"[{where}] gamma")
    if not 0 < gamma < 1:
        raise ValueError(f"[{where}] gamma must be in (0, 1) (fractional file, eq. (2)), got {gamma:g}")
    profile = None
    if "profile" in velocities:
        profile = Expression.parse(velocities["profile"], f"[{where}] profile")
        profile.check_symbols({"r"} | set(parameters), "[parameters] and r = |v|")
    result = HeavyTailedEquilibrium(dimension, gamma, profile, dict(parameters))
    mass = result.mass()
    if abs(mass - 1) > 1e-6:
        raise ValueError(f"[{where}] profile integrates to {mass:.8g} over R^{dimension}, not 1: normalise it")
    _, change = result.tail_constant()
    if not change < 1e-3:
        raise ValueError(
            f"[{where}] profile does not decay like |v|^-(N+gamma+1) = |v|^-{result.exponent:g}: "
            f"r^{result.exponent:g} F(r) still changes by {change:.2g} between r = 1e6 and 1e8"
        )
    return result


def turning_angle(
    angle: Mapping[str, Any], where: str, dimension: int, velocities: VelocitySet, kind_of_turning: str
) -> TurningAngle:
    """The turning-angle distribution of its table (persistence; sphere velocities in 2-D or 3-D)."""
    kind = angle.get("kind")
    if kind not in ANGLE_KINDS:
        raise ValueError(f"[{where}] kind must be one of {', '.join(repr(k) for k in ANGLE_KINDS)}, got {kind!r}")
    if dimension not in (2, 3) or not isinstance(velocities, Sphere) or kind_of_turning != "uniform":
        raise ValueError(
            f"[{where}] needs dimension 2 or 3, velocities of kind \"sphere\" and turning = "
            "\"uniform\" (in 1-D, persistence is turning = \"reversal\" or none)"
        )
    if kind == "von-mises":
        tables.only_keys(angle, {"kind", "kappa"}, where)
        return VonMises(dimension, tables.positive(angle.get("kappa"), f"[{where}] kappa"))
    tables.only_keys(angle, {"kind", "angles", "density"}, where)
    angles = tables.array(angle.get("angles"), f"[{where}] angles", ndim=1)
    density = tables.array(angle.get("density"), f"[{where}] density", ndim=1)
    try:
        return TabulatedAngle(dimension, angles, density)
    except ValueError as err:
        raise ValueError(str(err).replace("[cells.turning_angle]", f"[{where}]")) from None


def taxis(
    entry: Mapping[str, Any],
    where: str,
    dimension: int,
    parameters: Mapping[str, float],
    towards: str,
    extra_keys: frozenset[str] = frozenset(),
) -> TaxisPerturbation:
    """A first-order turning bias towards the field `towards` from its table."""
    tables.only_keys(entry, {"mechanism", "strength", "kernel", *extra_keys}, where)
    mechanism = entry.get("mechanism")
    if mechanism not in ("run-length", "direction", "kernel"):
        raise ValueError(f"[{where}] mechanism must be \"run-length\", \"direction\" or \"kernel\", got {mechanism!r}")
    if mechanism != "kernel" and "kernel" in entry:
        raise ValueError(f"[{where}] 'kernel' needs mechanism = \"kernel\", got mechanism = {mechanism!r}")
    strength = _strength(entry, where, parameters, towards, default=1.0 if mechanism == "kernel" else None)
    if mechanism != "kernel":
        return TaxisPerturbation(mechanism, strength=strength, parameters=dict(parameters), towards=towards)
    if "kernel" not in entry:
        raise ValueError(f"[{where}] mechanism = \"kernel\" needs kernel = \"T1(v, w, grad S)\"")
    kernel = Expression.parse(entry["kernel"], f"[{where}] kernel")
    perturbation = TaxisPerturbation(
        "kernel", strength=strength, kernel=kernel, parameters=dict(parameters), towards=towards
    )
    kernel.check_symbols(perturbation.symbols(dimension), "the kernel's variables and [parameters]")
    return perturbation


def _strength(
    entry: Mapping[str, Any], where: str, parameters: Mapping[str, float], towards: str, default: float | None
) -> float | Expression:
    """k: a number, or an expression k(S) in the field's level and parameters."""
    value = entry.get("strength", default)
    if isinstance(value, str):
        strength = Expression.parse(value, f"[{where}] strength")
        strength.check_symbols({towards, *parameters}, f"the level '{towards}' and [parameters]")
        return strength
    return tables.number(value, f"[{where}] strength")


def transduction(
    entry: Mapping[str, Any],
    where: str,
    signal: str,
    parameters: Mapping[str, float],
    extra_keys: frozenset[str] = frozenset(),
) -> Transduction:
    """Excitation/adaptation signal transduction with the receptor law g of the field `signal`."""
    tables.only_keys(entry, {"b", "tau_e", "tau_a", "g", *extra_keys}, where)
    if "g" not in entry:
        raise ValueError(f"[{where}] is missing 'g', the receptor law g({signal}) (e.g. \"{signal}/(K + {signal})\")")
    g = Expression.parse(entry["g"], f"[{where}] g")
    return Transduction(
        b=tables.number(entry.get("b"), f"[{where}] b"),
        tau_e=tables.positive(entry.get("tau_e"), f"[{where}] tau_e"),
        tau_a=tables.positive(entry.get("tau_a"), f"[{where}] tau_a"),
        g=g,
        signal=signal,
        parameters=dict(parameters),
    )
