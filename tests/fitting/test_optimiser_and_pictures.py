"""The fit's pieces that need no forward run, against closed forms.

- The Tikhonov term: for a quadratic misfit a/2 (p - p*)^2 of one linearly scaled parameter
  (x = p/s, s the start value), the objective a s^2/2 (x - p*/s)^2 + t/2 (x - 1)^2 has its
  minimum at x = (a s p* + t)/(a s^2 + t), and at p* with t = 0 (also for a log-scaled one).
- Pictures placed by a box that is not the mesh's: a picture of a linear gray ramp is
  interpolated exactly (bilinear interpolation reproduces linear functions) at points between
  the outer pixel centres, and a point outside the box is refused naming the picture.
- 16-bit TIFF pictures are read as gray levels value/65535.
- A forward run that diverges at trial parameters is a rejected trial: the fit still finds
  the minimum of a misfit whose "forward run" fails beyond p = 4 (the first trial lands at 5.3);
  a divergence at the start ends the fit with the SolverFailure.
"""

from __future__ import annotations

import numpy as np
import pytest

from fem_chemotaxis.fitting.images import bilinear, pixel_centres, read_gray
from fem_chemotaxis.fitting.optimiser import OptimiserSettings, minimise
from fem_chemotaxis.fitting.parameters import FittedParameter, Scaling
from fem_chemotaxis.simulation import SolverFailure


class QuadraticMisfit:
    """M(p) = sum a/2 (p_i - p*_i)^2, the optimiser's only contact with a reduced misfit."""

    def __init__(self, curvature: float, truth: list[float]):
        self.curvature, self.truth = curvature, np.array(truth)

    def value_and_gradient(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        r = np.asarray(p) - self.truth
        return 0.5 * self.curvature * float(r @ r), self.curvature * r


@pytest.mark.parametrize("tikhonov", [0.0, 12.0])
def test_tikhonov_moves_the_optimum_to_its_closed_form(tikhonov):
    a, start, truth = 3.0, 2.0, 5.0
    scaling = Scaling([FittedParameter("chi", start=start, lower=0.01, upper=100.0)])
    settings = OptimiserSettings(max_iterations=100, gtol=1e-12, ftol=1e-15, tikhonov=tikhonov)
    found, history, _, _ = minimise(QuadraticMisfit(a, [truth]), scaling, settings)
    expected = start * (a * start * truth + tikhonov) / (a * start**2 + tikhonov)  # 3.5 for t = 12
    assert found[0] == pytest.approx(expected, rel=1e-7)  # measured 0 and 1.3e-16
    assert history[0].parameters == {"chi": start}


def test_a_log_scaled_parameter_reaches_the_minimum_within_its_bounds():
    scaling = Scaling(
        [FittedParameter("d", start=0.5, lower=1e-3, upper=10.0, log=True), FittedParameter("chi", 1.0, 0.1, 3.0)]
    )
    settings = OptimiserSettings(max_iterations=100, gtol=1e-12, ftol=1e-15)
    found, _, _, _ = minimise(QuadraticMisfit(2.0, [0.2, 7.0]), scaling, settings)
    assert found[0] == pytest.approx(0.2, rel=1e-6)  # measured 1.3e-11
    assert found[1] == pytest.approx(3.0, rel=1e-12)  # the upper bound: the unconstrained minimum 7 is outside


def test_a_picture_placed_by_a_box_is_interpolated_exactly_for_a_linear_ramp():
    box = ((1.0, -1.0), (3.0, 0.5))
    rows, cols = 40, 60
    centres = pixel_centres(box, (rows, cols))
    ramp = lambda x, y: 0.1 + 0.3 * (x - 1.0) + 0.2 * (y + 1.0)  # noqa: E731  (gray levels in [0.1, 0.9])
    gray = ramp(centres[:, 0], centres[:, 1]).reshape(rows, cols)
    assert gray[0, 0] > gray[-1, 0]  # row 0 is the top of the box (largest y)
    rng = np.random.default_rng(5)
    (x0, y0), (x1, y1) = box
    hx, hy = (x1 - x0) / cols, (y1 - y0) / rows
    points = np.column_stack([rng.uniform(x0 + hx / 2, x1 - hx / 2, 200), rng.uniform(y0 + hy / 2, y1 - hy / 2, 200)])
    values = bilinear(gray, box, points, "obs.png")
    assert np.max(np.abs(values - ramp(points[:, 0], points[:, 1]))) < 1e-12  # measured 2e-16
    with pytest.raises(ValueError, match=r"obs\.png.*outside the picture's box"):
        bilinear(gray, box, np.array([[0.5, 0.0]]), "obs.png")


def test_a_16_bit_tiff_is_read_as_gray_levels(tmp_path):
    import imageio.v3 as iio

    levels = (np.arange(12).reshape(3, 4) * 5000).astype(np.uint16)
    iio.imwrite(tmp_path / "frame.tif", levels)
    assert np.array_equal(read_gray(tmp_path / "frame.tif"), levels / 65535.0)


class DivergingMisfit:
    """M(p) = r^2/2 + r^4/4, r = p - 3, whose forward run "diverges" for p > `limit`."""

    def __init__(self, limit: float):
        self.limit, self.trials = limit, []

    def value_and_gradient(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        self.trials.append(float(p[0]))
        if p[0] > self.limit:
            raise SolverFailure(f"the forward run diverged (chi = {p[0]:.3g})", {})
        r = float(p[0]) - 3.0
        return 0.5 * r * r + 0.25 * r**4, np.array([r + r**3])


def test_a_diverging_trial_is_rejected_and_the_fit_goes_on():
    misfit = DivergingMisfit(limit=4.0)
    scaling = Scaling([FittedParameter("chi", start=1.0, lower=0.01, upper=100.0, log=True)])
    found, _, message, _ = minimise(misfit, scaling, OptimiserSettings(max_iterations=100, gtol=1e-10, ftol=1e-15))
    assert any(t > 4.0 for t in misfit.trials)  # the scenario happened: measured one trial, at 5.29
    assert found[0] == pytest.approx(3.0, rel=1e-6), message  # measured 4e-15
    with pytest.raises(SolverFailure):
        minimise(DivergingMisfit(limit=0.5), scaling, OptimiserSettings())
