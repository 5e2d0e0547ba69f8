"""``fem-chemotaxis plot RUN_DIR --view clip|slices|surface`` on a 3-D run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.serial

BOX_CONFIG = """
[mesh]
builtin = "box"
size = [1.0, 1.0, 1.0]
cells = [6, 6, 6]

[model]
name = "keller-segel"

[initial]
u = "1 + x"
s = "1"

[time]
t_end = 0.1
dt = 0.05

[output]
interval = 0.1
pictures = false
"""


def test_plot_views_of_a_3d_run(tmp_path: Path):
    """Each view draws a picture; slices and clip differ; an unknown view is a clear error."""
    config = tmp_path / "box.toml"
    config.write_text(BOX_CONFIG)
    run = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(run)).returncode == 0
    from PIL import Image

    pictures = {}
    for view in ("clip", "slices", "surface"):
        result = run_cli("plot", str(run), "--view", view, "--output", str(tmp_path / view))
        assert result.returncode == 0, result.stdout + result.stderr
        with Image.open(tmp_path / view / "species-t0.1.png") as png:
            pictures[view] = np.asarray(png.convert("RGB"), dtype=float)
        assert len(np.unique(pictures[view].reshape(-1, 3), axis=0)) > 50
    assert np.abs(pictures["slices"] - pictures["clip"]).mean() > 1.0
    wrong = run_cli("plot", str(run), "--view", "cut")
    assert wrong.returncode == 2 and "'cut' is not one of: clip, slices, surface" in wrong.stderr
