"""Screenshot test of ``fem-chemotaxis view`` in headless Chromium (`make test-view`).

    python3 docs/check_viewer.py

A small 2-D Keller-Segel run (docs/_build/viewer-check) and its viewer are made inside the
environment (docker/env.sh); the host's Chromium (Debian package `chromium`) screenshots the
page at the first and at the last output time (``index.html#k``); inside the environment
again, each screenshot is searched for the species picture that ``plot`` drew for that time.
It passes when the browser shows exactly that picture (mean pixel difference below 2 of 255
at the best offset) and not the picture of the other time (difference above 5).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = Path("docs/_build/viewer-check")
CONFIG = """\
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [24, 24]

[model]
name = "keller-segel"

[initial]
u = "1 + 0.5 * exp(-20 * ((x - 0.3)^2 + (y - 0.6)^2))"
s = "1"

[time]
t_end = 0.3
dt = 0.05

[output]
interval = 0.1
pictures = false
"""
FRAMES = {0: "species-t0.png", 3: "species-t0.3.png"}
COMPARE = """
import sys
import numpy as np
from PIL import Image

def rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=float)

def best_difference(shot, picture):
    # The picture is shown at its natural size near the top left of the page: find its offset
    # from a 32x32 patch inside the field (all offsets at once), then compare the whole picture.
    h, w = picture.shape[:2]
    cy, cx = h // 2 - 16, w // 4 - 16  # inside the first panel (the centre is the white gap)
    patch = picture[cy:cy + 32, cx:cx + 32]
    region = shot[cy:cy + 300 + 32, cx:cx + 60 + 32]
    windows = np.lib.stride_tricks.sliding_window_view(region, (32, 32, 3))[:, :, 0]
    cost = np.abs(windows - patch).mean(axis=(2, 3, 4))
    y, x = np.unravel_index(np.argmin(cost), cost.shape)
    if y + h > shot.shape[0] or x + w > shot.shape[1]:
        return np.inf
    return np.abs(shot[y:y + h, x:x + w] - picture).mean()

work, frames = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
failures = []
for k, name in frames.items():
    shot = rgb(f"{work}/shot{k}.png")
    for j, other in frames.items():
        d = best_difference(shot, rgb(f"{work}/run/view/{other}"))
        print(f"check_viewer: screenshot #{k} vs {other}: mean pixel difference {d:.2f}")
        if (j == k and not d < 2) or (j != k and not d > 5):
            failures.append((k, other, d))
sys.exit(1 if failures else 0)
"""


def env(*command: str) -> None:
    subprocess.run(["docker/env.sh", *command], cwd=REPO, check=True)


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("check_viewer: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    work = REPO / WORK
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "ks.toml").write_text(CONFIG)
    env("bash", "-c", f"fem-chemotaxis run {WORK}/ks.toml -o {WORK}/run -q && fem-chemotaxis view {WORK}/run -q")
    for k in FRAMES:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1300,1100",
                "--virtual-time-budget=5000",
                f"--screenshot={work / f'shot{k}.png'}",
                f"{(work / 'run/view/index.html').as_uri()}#{k}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    result = subprocess.run(
        ["docker/env.sh", "python", "-c", COMPARE, str(WORK), *(f"{k}={name}" for k, name in FRAMES.items())],
        cwd=REPO,
        check=False,
    )
    print(f"check_viewer: {'passed' if result.returncode == 0 else 'FAILED'}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
