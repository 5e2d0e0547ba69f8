"""The run directory: never overwritten without --force, CSV equal to summary.json, and
--dry-run writes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.workflow.helpers import QUICK_CONFIG, load_summary, write_config

pytestmark = pytest.mark.serial


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file below `directory`."""
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_existing_run_directory_is_replaced_only_with_force(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    before = _snapshot(out)
    assert {"summary.json", "timeseries.csv", "checkpoint.json"} <= set(before)

    again = run_cli("run", str(config), "--output", str(out))
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert _snapshot(out) == before  # not a byte touched

    forced = run_cli("run", str(config), "--output", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert load_summary(out)["status"] == "completed"
    assert _snapshot(out)["summary.json"] != before["summary.json"]

    # A directory that is not a run directory is never replaced, not even with --force.
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    refused = run_cli("run", str(config), "--output", str(other), "--force")
    assert refused.returncode == 2 and "not a run directory" in refused.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]

    # --restart continues in place: --output and --force make no sense with it.
    mixed = run_cli("run", "--restart", str(out), "--force")
    assert mixed.returncode == 2 and "--restart" in mixed.stderr


def test_timeseries_csv_equals_summary(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    summary = load_summary(out)
    with open(out / "timeseries.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["time", "u_mass", "u_min", "u_max", "s_mass", "s_min", "s_max"]
    assert len(rows) == len(summary["records"]) == 3
    for row, record in zip(rows, summary["records"]):
        assert float(row["time"]) == record["time"]
        for name, stats in record["species"].items():
            for quantity, value in stats.items():
                assert float(row[f"{name}_{quantity}"]) == value  # exactly: repr round-trips


def test_dry_run_prints_equations_and_writes_nothing(tmp_path: Path):
    config = write_config(tmp_path, QUICK_CONFIG)
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "du/dt = div(" in result.stdout and "ds/dt = div(" in result.stdout
    assert "resolved config:" in result.stdout and '"t_end": 0.1' in result.stdout
    assert f"would write {out}" in result.stdout
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]

    broken = write_config(tmp_path, QUICK_CONFIG.replace("dt = 0.05", "dt = -1"), "broken.toml")
    failed = run_cli("run", str(broken), "--output", str(out), "--dry-run")
    assert failed.returncode == 2 and "[time] dt" in failed.stderr
    assert not out.exists()
