"""Standard errors of parameters the observations do not determine: infinite, named, the others kept."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from fem_chemotaxis.fitting.standard_errors import standard_errors
from tests.fitting.test_gradient_taylor import _reduced_misfit


def test_a_parameter_no_observation_depends_on_has_an_infinite_standard_error(comm, caplog):
    """Without the flux condition q appears in no form: its sensitivity is zero, H singular. q's
    standard error is inf (and said in a warning), d's that of d fitted alone but for the noise
    estimate's degrees of freedom (3 observed fields of 9 x 9 nodal values, less 2 or 1 parameters)."""
    with caplog.at_level(logging.WARNING, logger="fem_chemotaxis"):
        both = standard_errors(_reduced_misfit(comm, ["d", "q"], flux=False))
    alone = standard_errors(_reduced_misfit(comm, ["d"], flux=False))
    print("standard errors", both, alone)
    assert np.isinf(both[1]) and np.isfinite(both[0]) and both[0] > 0
    values = 3 * 9 * 9
    assert both[0] == pytest.approx(alone[0] * np.sqrt((values - 1) / (values - 2)), rel=1e-9)
    assert "do not determine q " in caplog.text and "d," not in caplog.text
