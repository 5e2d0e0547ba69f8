"""Configs and comparisons shared by the workflow tests (run directories, restart, sweep, plot)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli

#: Keller-Segel aggregation with adaptive BDF2 steps: restoring a run needs the step sizes,
#: the previous solution and the controller's history, not only the unknowns.
RESTART_CONFIG = """
[mesh]
builtin = "rectangle"
size = [2.0, 1.0]
cells = [24, 12]

[model]
name = "keller-segel"
[model.parameters]
d = 0.1
chi = 3.0

[initial]
u = "1 + 0.2*cos(pi*x/2)*cos(pi*y) + 0.01*noise(1)"
s = "1"

[time]
t_end = 1.2
dt = 0.02
dt_max = 0.1
scheme = "bdf2"
adaptive = true
rtol = 1e-4

[output]
interval = 0.3
pictures = false
"""

#: A run of a few steps, for tests of the run directory itself.
QUICK_CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]

[model]
name = "keller-segel"
[model.parameters]
chi = 1.0

[initial]
u = "1 + 0.1*cos(pi*x)"
s = "1"

[time]
t_end = 0.1
dt = 0.05

[output]
interval = 0.05
pictures = false
"""


def write_config(directory: Path, text: str, name: str = "config.toml") -> Path:
    """Write a config file and return its path."""
    path = directory / name
    path.write_text(text)
    return path


def load_summary(run_dir: Path) -> dict[str, Any]:
    """The run directory's summary.json."""
    return json.loads((run_dir / "summary.json").read_text())


def largest_difference(reference: dict[str, Any], other: dict[str, Any]) -> float:
    """Largest relative difference of mass/min/max between two summaries at the reference's times.

    `other` may hold extra records (e.g. where a run was interrupted); each reference time
    must be among its records.
    """
    worst = 0.0
    for record in reference["records"]:
        match = [r for r in other["records"] if abs(r["time"] - record["time"]) <= 1e-12 * max(1.0, record["time"])]
        assert match, f"no record at t = {record['time']} in the other run"
        for name, stats in record["species"].items():
            for key, value in stats.items():
                worst = max(worst, abs(value - match[0]["species"][name][key]) / max(1.0, abs(value)))
    return worst


def uninterrupted_and_restarted(config: Path, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Summaries of `config` run through, and run stopped after one step on 1, 2 and 1 ranks
    (``--time-limit 0``, each leg restarted) and finished on 2 ranks."""
    reference_dir, out = tmp_path / "uninterrupted", tmp_path / "restarted"
    result = run_cli("run", str(config), "--output", str(reference_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    first = run_cli("run", str(config), "--output", str(out), "--time-limit", "0")
    assert first.returncode == 124, first.stdout + first.stderr
    for nprocs in (2, 1):
        again = run_cli("run", "--restart", str(out), "--time-limit", "0", nprocs=nprocs)
        assert again.returncode == 124, again.stdout + again.stderr
    final = run_cli("run", "--restart", str(out), nprocs=2)
    assert final.returncode == 0, final.stdout + final.stderr
    return load_summary(reference_dir), load_summary(out)
