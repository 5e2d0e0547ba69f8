"""The README's study script (Python section) runs as written on 2 ranks, and what it records holds."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fem_chemotaxis as fc
from tests.conftest import REPO

pytestmark = pytest.mark.serial

MARKER = "<!-- newcomer-script:"


def readme_script() -> str:
    """The Python block that follows the marker in README.md."""
    after = (REPO / "README.md").read_text().split(MARKER, 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_script_is_short_and_uses_only_the_front_door():
    lines = [line for line in readme_script().splitlines() if line.strip()]
    assert len(lines) <= 15, len(lines)
    imports = [line for line in lines if line.startswith(("import ", "from "))]
    assert imports == ["import fem_chemotaxis as fc", "from mpi4py import MPI"]


def test_the_readme_script_runs_on_two_ranks(tmp_path: Path):
    fc.write_msh("tissue-section", tmp_path / "tissue.msh", size=0.1)  # a coarse section: seconds
    (tmp_path / "study.py").write_text(readme_script())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_COMM", "PMI", "PMIX"))}
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "study.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run = tmp_path / "results" / "study"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["mpi_ranks"] == 2
    assert (run / "species.png").is_file() and (run / "signal_out.png").is_file()

    records = summary["records"]
    cells = [r["quantities"]["cells"] for r in records]
    drift = max(abs(c - cells[0]) for c in cells) / cells[0]
    print(f"cells conserved to {drift:.1e}")
    assert drift < 1e-10  # Keller-Segel conserves cells (measured 9e-16)
    assert all(abs(r["quantities"]["cells"] - r["species"]["u"]["mass"]) < 1e-12 * cells[0] for r in records)
    centre = records[-1]["quantities"]["centre"]
    assert 0 < centre[0] < 2 and 0 < centre[1] < 1
    # The wall releases g = 0.5 per unit length: the outward diffusive flux there is about -g |wall|,
    # |wall| = 2 pi 0.12 (the P1 gradient on the wall has an O(h) error).
    released = -records[-1]["quantities"]["signal_out"]
    expected = 0.5 * 2 * math.pi * 0.12
    print(f"released {released:.4f}, g |wall| = {expected:.4f}")
    assert released == pytest.approx(expected, rel=0.3)  # measured 0.15 relative at size 0.1
