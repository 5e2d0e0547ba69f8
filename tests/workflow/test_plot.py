"""``fem-chemotaxis plot RUN_DIR``: species at chosen output times from the checkpoint, time
series from summary.json, and a GIF animation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.workflow.helpers import QUICK_CONFIG, write_config

pytestmark = pytest.mark.serial


def test_plot_renders_chosen_times_series_and_animation(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    pictures = tmp_path / "pictures"

    result = run_cli("plot", str(out), "--times", "0,0.1", "--gif", "--output", str(pictures))
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(p.name for p in pictures.iterdir())
    assert names == ["animation.gif", "mass.png", "max.png", "min.png", "species-t0.1.png", "species-t0.png"]
    from PIL import Image

    with Image.open(pictures / "animation.gif") as gif:
        assert gif.n_frames == 3  # the output times 0, 0.05, 0.1
    with Image.open(pictures / "species-t0.1.png") as png:
        assert png.width >= 1000  # two species side by side

    # On two ranks (each drawing every other picture and frame): the same pictures.
    parallel = tmp_path / "pictures-np2"
    result = run_cli("plot", str(out), "--times", "0,0.1", "--gif", "--output", str(parallel), nprocs=2)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in parallel.iterdir()) == names
    for name in names:
        assert _frames(parallel / name) == _frames(pictures / name), name

    wrong = run_cli("plot", str(out), "--times", "0.07")
    assert wrong.returncode == 2 and "0, 0.05, 0.1" in wrong.stderr
    missing = run_cli("plot", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def _frames(path: Path) -> list[bytes]:
    """The RGB pixels of every frame of a picture or animation."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        return [frame.convert("RGB").tobytes() for frame in ImageSequence.Iterator(image)]
