"""Flux limiters against the source's formula, written here from the fractional document.

Eq. (7) of the fractional document and the "typical example" after it::

    Q(y) = y                                             |y| <= y*
    Q(y) = ((|y| - y*)/sqrt(1 + (|y| - y*)^2) + y*) y/|y|   |y| >  y*

and "for y* = 0, the flux becomes a mean curvature type function: y/sqrt(1 + |y|^2)". The
package's UFL expressions (and their UFL derivatives, which Newton uses) are evaluated at
constant gradients and compared with this formula, evaluated in NumPy.
"""

from __future__ import annotations

import math

import dolfinx.fem
import dolfinx.mesh
import numpy as np
import pytest
import ufl

from mpi4py import MPI

from fem_chemotaxis.config.run_config import ConfigError, parse_config
from fem_chemotaxis.model import Model
from fem_chemotaxis.model.limiters import LIMITERS, slope_at_zero
from fem_chemotaxis.terms.taxis import limited_gradient
from tests.conftest import run_cli


def source_q(y: np.ndarray, threshold: float) -> np.ndarray:
    """The document's Q(y), eq. (7)."""
    r = float(np.linalg.norm(y))
    if r <= threshold:
        return np.array(y, dtype=float)
    excess = r - threshold
    return (excess / math.sqrt(1 + excess**2) + threshold) * np.asarray(y) / r


class Limiter:
    """The package's Q(g) and dQ/dg (UFL) at a constant gradient g (a DG0 field), compiled once."""

    def __init__(self, limiter: str, threshold: float):
        self.mesh = dolfinx.mesh.create_unit_square(MPI.COMM_SELF, 1, 1)
        self.g = dolfinx.fem.Function(dolfinx.fem.functionspace(self.mesh, ("DG", 0, (2,))))
        g = ufl.variable(self.g)
        q = limited_gradient(g, limiter, threshold)
        point = np.array([[1 / 3, 1 / 3]])
        # + 0 g g^T: ties dQ/dg to the mesh also where it is a constant (no limiter: I)
        zero = dolfinx.fem.Constant(self.mesh, 0.0)
        self.q = dolfinx.fem.Expression(q, point)
        self.jacobian = dolfinx.fem.Expression(ufl.diff(q, g) + zero * ufl.outer(g, g), point)

    def _eval(self, expression: dolfinx.fem.Expression, y) -> np.ndarray:
        self.g.x.array[:] = np.tile(y, 2)  # the two cells
        return expression.eval(self.mesh, np.array([0], dtype=np.int32)).ravel()

    def __call__(self, y) -> np.ndarray:
        return self._eval(self.q, y)

    def derivative(self, y) -> np.ndarray:
        return self._eval(self.jacobian, y).reshape(2, 2)


def _directions(norm: float) -> list[np.ndarray]:
    return [norm * np.array([math.cos(a), math.sin(a)]) for a in (0.0, 0.7, 2.0, 4.1)]


@pytest.fixture(scope="module")
def saturating_1():
    return Limiter("saturating", 1.0)


def test_closed_form_values_at_threshold_1(saturating_1):
    """y* = 1: |Q| = 1 + 1/sqrt(2) = 1.7071 at |y| = 2, 1 + 4/sqrt(17) = 1.9701 at |y| = 5."""
    assert np.linalg.norm(source_q(np.array([2.0, 0.0]), 1.0)) == pytest.approx(1.7071, abs=1e-4)
    assert np.linalg.norm(source_q(np.array([0.0, 5.0]), 1.0)) == pytest.approx(1.9701, abs=1e-4)
    for norm in (0.3, 0.999, 1.0, 1.001, 2.0, 5.0, 40.0):
        for y in _directions(norm):
            assert np.allclose(saturating_1(y), source_q(y, 1.0), rtol=1e-14, atol=1e-15), (y, saturating_1(y))
    # strictly increasing and bounded by y* + 1 (the document asks for dQ_i/dy_i > 0)
    norms = [np.linalg.norm(saturating_1([r, 0.0])) for r in np.linspace(0.0, 50.0, 101)]
    assert np.all(np.diff(norms) > 0) and max(norms) < 2.0


@pytest.mark.parametrize("threshold", [0.0, 1.0])
def test_jacobian_is_continuous_and_matches_finite_differences(threshold):
    """dQ/dy (UFL, what Newton assembles) equals central differences of the source's Q, and
    is the identity on both sides of |y| = y* (C^1 flux: no kink for Newton)."""
    limiter = Limiter("saturating", threshold)
    h = 1e-6
    for norm in (0.5, 2.0, 5.0):
        for y in _directions(norm):
            fd = np.column_stack(
                [(source_q(y + h * e, threshold) - source_q(y - h * e, threshold)) / (2 * h) for e in np.eye(2)]
            )
            assert np.allclose(limiter.derivative(y), fd, atol=1e-8), (y, limiter.derivative(y), fd)
    for y in _directions(threshold):
        for side in (1 - 1e-9, 1 + 1e-9):
            assert np.allclose(limiter.derivative(side * y), np.eye(2), atol=1e-8)


def test_zero_threshold_is_the_mean_curvature_flux():
    """y* = 0: Q(y) = y/sqrt(1 + |y|^2), with Q(0) = 0 and dQ(0) = I (finite, no 0/0)."""
    saturating, mean_curvature = Limiter("saturating", 0.0), Limiter("mean-curvature", 1.0)
    for norm in (0.0, 1e-200, 1e-8, 0.5, 3.0, 1e3):
        for y in _directions(norm):
            expected = y / math.sqrt(1 + y @ y)
            assert np.allclose(saturating(y), expected, rtol=1e-14, atol=1e-300)
            assert np.allclose(mean_curvature(y), expected, rtol=1e-14, atol=1e-300)
    for limiter in (saturating, mean_curvature):
        assert np.array_equal(limiter(np.zeros(2)), np.zeros(2))
        assert np.allclose(limiter.derivative(np.zeros(2)), np.eye(2), atol=1e-14)


@pytest.mark.parametrize("threshold", [1e12, math.inf])
def test_huge_threshold_is_no_limiter(threshold):
    limiter = Limiter("saturating", threshold)
    for y in _directions(7.0) + _directions(1e6):
        assert np.allclose(limiter(y), y, rtol=1e-15)
        assert np.allclose(limiter.derivative(y), np.eye(2), rtol=1e-15)


@pytest.mark.parametrize("limiter", LIMITERS)
@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_slope_at_zero_used_by_the_dispersion_relation(limiter, threshold):
    """q'(0) = lim |Q(h e)|/h from the source's formulas (the dispersion relation uses it)."""
    formulas = {
        "none": lambda y: y,
        "saturating": lambda y: source_q(y, threshold),
        "mean-curvature": lambda y: y / math.sqrt(1 + y @ y),
    }
    h = 1e-7
    slope = np.linalg.norm(formulas[limiter](np.array([h, 0.0]))) / h
    assert slope_at_zero(limiter) == pytest.approx(slope, rel=1e-12)


def _user_model(threshold: float) -> dict:
    taxis = {"towards": "s", "sensitivity": "u", "limiter": "saturating", "limiter_threshold": threshold}
    return {"name": "m", "species": {"u": {"diffusion": "1", "taxis": [taxis]}, "s": {"diffusion": "1"}}}


CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [4, 4]
[model]
name = "limited"
[model.species.u]
diffusion = "1"
taxis = [{ towards = "s", sensitivity = "u", limiter = "saturating", limiter_threshold = -0.5 }]
[model.species.s]
diffusion = "1"
[initial]
u = "1"
s = "x"
[time]
t_end = 0.1
dt = 0.05
[output]
interval = 0.05
pictures = false
"""


def test_negative_threshold_is_refused(tmp_path):
    Model.from_dict(_user_model(0.0))
    for bad in (-0.5, math.nan):
        with pytest.raises(ValueError, match=r"\[model\.species\.u\.taxis\[0\]\] limiter_threshold = (-0\.5|nan)"):
            Model.from_dict(_user_model(bad))
    import tomllib

    with pytest.raises(ConfigError, match=r"limiter_threshold = -0\.5 must be >= 0"):
        parse_config(tomllib.loads(CONFIG), source="case.toml", base_dir=tmp_path)


@pytest.mark.serial
def test_cli_exits_2_on_a_negative_threshold(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "limiter_threshold = -0.5" in lines[0] and "taxis[0]" in lines[0]
    assert not out.exists()
