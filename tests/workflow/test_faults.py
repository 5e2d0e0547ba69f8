"""Faults a run survives: kill -9 at any moment (also inside a checkpoint write), a full
disk, a second run on the same directory, a read-only run directory.

Each ends in a state `--restart` continues from, and the continued run equals the
uninterrupted one to 1e-8 (the restart test's tolerance; measured differences are 0 or
1e-15, printed).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.workflow.helpers import RESTART_CONFIG, largest_difference, load_summary, write_config
from tests.workflow.test_restart import _checkpointed_maximum

pytestmark = pytest.mark.serial  # each test starts and kills its own processes

#: The restart test's adaptive BDF2 run, with a checkpoint every 0.1 (13 of them).
FAULT_CONFIG = RESTART_CONFIG.replace("interval = 0.3", "interval = 0.1")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("faults"), FAULT_CONFIG)


@pytest.fixture(scope="module")
def reference(config: Path) -> dict:
    """The uninterrupted run."""
    out = config.parent / "uninterrupted"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return load_summary(out)


def _start(*args: str, driver: str = "") -> subprocess.Popen:
    """fem-chemotaxis in a new process, after `driver` (Python run first, e.g. a fault hook)."""
    code = driver + "\nimport sys\nfrom fem_chemotaxis.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_first_record(out: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads((out / "summary.json").read_text())["records"]:
                return
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.01)


def _finish(out: Path, reference: dict) -> float:
    """Restart until completed; the largest difference from the uninterrupted run."""
    result = run_cli("run", "--restart", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = load_summary(out)
    assert summary["status"] == "completed"
    assert len(summary["steps"]) == len(reference["steps"])
    meta = json.loads((out / "checkpoint.json").read_text())
    assert meta["times"] == [r["time"] for r in summary["records"]] == [r["time"] for r in reference["records"]]
    return largest_difference(reference, summary)


def test_kill_9_at_random_moments_then_restart_equals_uninterrupted(config: Path, reference: dict):
    """Three kills at random moments (seeded), each after the run (or its continuation) has
    written a record; then --restart to the end."""
    out = config.parent / "killed"
    rng = random.Random(17)
    moments = []
    for attempt in range(3):
        args = ("run", str(config), "--output", str(out)) if attempt == 0 else ("run", "--restart", str(out))
        process = _start(*args)
        _wait_for_first_record(out, process)
        pause = rng.uniform(0.0, 0.6)
        time.sleep(pause)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        moments.append((pause, process.returncode))
    times = json.loads((out / "checkpoint.json").read_text())["times"]
    difference = _finish(out, reference)
    print(
        f"\nkill -9 after {[f'{p:.2f} s' for p, _ in moments]} (last checkpoint t = {times[-1]:.3g}); "
        f"restarted vs uninterrupted: {difference:.2e}"
    )
    assert difference < 1e-8


# Kill the process from inside a checkpoint write: after the count-th function written, after
# the count-th checkpoint file was renamed aside (before its replacement takes its name), or
# after the count-th checkpoint.json was put in place (before summary.json gets that record).
_KILL_INSIDE = """
import os, signal
import adios4dolfinx
import fem_chemotaxis.io.checkpoint as checkpoint
calls = {{"write_function": 0, "replace": 0, "metadata": 0}}
original_write, original_replace = adios4dolfinx.write_function, checkpoint.os.replace
def write_function(*args, **kwargs):
    original_write(*args, **kwargs)
    calls["write_function"] += 1
    if "{where}" == "between functions" and calls["write_function"] == {count}:
        os.kill(os.getpid(), signal.SIGKILL)
def replace(source, target):
    original_replace(source, target)
    calls["replace"] += str(target).endswith(".checkpoint.bp.old")  # the first of a checkpoint's two
    if "{where}" == "between renames" and calls["replace"] == {count}:
        os.kill(os.getpid(), signal.SIGKILL)
    calls["metadata"] += str(target).endswith("checkpoint.json")
    if "{where}" == "before the summary" and calls["metadata"] == {count}:
        os.kill(os.getpid(), signal.SIGKILL)
adios4dolfinx.write_function = write_function
checkpoint.os.replace = replace
"""


@pytest.mark.parametrize("where, count", [("between functions", 7), ("between renames", 3), ("before the summary", 3)])
def test_kill_9_inside_a_checkpoint_write_keeps_the_previous_checkpoint(config: Path, reference: dict, where, count):
    """A checkpoint holds several functions (BDF2 also stores the previous state): the 7th
    falls inside the second checkpoint write; the 3rd rename aside is the third write's; the
    3rd checkpoint.json is complete while summary.json still ends at the second output time
    (the steps since then are only in checkpoint.json). The leftovers show where the kill fell."""
    out = config.parent / f"killed {where}"
    process = _start("run", str(config), "--output", str(out), driver=_KILL_INSIDE.format(where=where, count=count))
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    if where == "between functions":  # killed while appending to the copy
        assert (out / ".checkpoint.bp.writing").is_dir() and (out / "checkpoint.bp").is_dir()
    elif where == "between renames":  # killed with the previous file aside and the new one not yet in place
        assert (out / ".checkpoint.bp.old").is_dir() and not (out / "checkpoint.bp").exists()
    else:  # killed with the checkpoint complete and summary.json one output time behind it
        assert not (out / ".checkpoint.bp.old").exists() and not (out / ".checkpoint.bp.writing").exists()
        assert len(load_summary(out)["records"]) == count - 1
    times = json.loads((out / "checkpoint.json").read_text())["times"]
    assert 1 <= len(times) < len(reference["records"])
    difference = _finish(out, reference)
    print(f"\nkill -9 {where} of a checkpoint write (last complete t = {times[-1]:.3g}): {difference:.2e}")
    assert difference < 1e-8


DISK_CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [16, 16]
[model]
name = "keller-segel"
[model.parameters]
chi = 1.0
[initial]
u = "1 + 0.1*cos(pi*x)"
s = "1"
[time]
t_end = 1.0
dt = 0.05
[output]
interval = 0.05
pictures = false
"""


@contextmanager
def _mounted_tmpfs(directory: Path, size: str):
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def test_full_disk_stops_cleanly_with_a_readable_checkpoint(tmp_path: Path):
    """A 2.5 MB tmpfs fills up after about 13 of 21 checkpoints: exit 3 with one line naming
    the full disk, status "error", the last listed checkpoint readable; with room again,
    --restart completes and equals the uninterrupted run."""
    config = write_config(tmp_path, DISK_CONFIG)
    reference_dir = tmp_path / "uninterrupted"
    assert run_cli("run", str(config), "--output", str(reference_dir)).returncode == 0
    reference = load_summary(reference_dir)
    with _mounted_tmpfs(tmp_path / "small", "2500k") as disk:
        out = disk / "run"
        result = run_cli("run", str(config), "--output", str(out))
        assert result.returncode == 3, result.stdout + result.stderr
        first_line = result.stderr.splitlines()[0]
        assert first_line.startswith("fem-chemotaxis: error: ") and "No space left on device" in first_line
        assert "Traceback" not in result.stderr
        summary = load_summary(out)
        assert summary["status"] == "error" and "No space left on device" in summary["message"]
        meta = json.loads((out / "checkpoint.json").read_text())
        last = meta["times"][-1]
        assert 0 < last < 1.0
        record = next(r for r in summary["records"] if r["time"] == last)
        assert _checkpointed_maximum(out, meta, "u") == record["species"]["u"]["max"]
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = run_cli("run", "--restart", str(out))
        assert again.returncode == 0, again.stdout + again.stderr
        difference = largest_difference(reference, load_summary(out))
    print(f"\nfull disk after t = {last:.3g}; restarted with room vs uninterrupted: {difference:.2e}")
    assert difference < 1e-8


# Slow checkpoint writes (0.1 s a function) keep the first run going for several seconds.
_SLOW = """
import time, adios4dolfinx
_write = adios4dolfinx.write_function
def write_function(*args, **kwargs):
    time.sleep(0.1)
    _write(*args, **kwargs)
adios4dolfinx.write_function = write_function
"""


def test_second_run_on_the_same_directory_is_refused_and_nothing_corrupted(config: Path, reference: dict):
    """Two runs started together on one directory: one runs, the other exits 2 naming the
    directory; so do a --force run and a --restart started while the first still runs; the
    first's results equal the uninterrupted run's exactly."""
    out = config.parent / "contended"
    started = [_start("run", str(config), "--output", str(out), driver=_SLOW) for _ in range(2)]
    for process in started:
        _wait_for_first_record(out, process)
    late = [_start("run", str(config), "--output", str(out), "--force"), _start("run", "--restart", str(out))]
    late_results = [(p.wait(timeout=120), p.communicate()[1]) for p in late]
    still_running = [p for p in started if p.poll() is None]
    results = [(p.wait(timeout=180), p.communicate()[1]) for p in started]
    assert sorted(code for code, _ in results) == [0, 2], results
    assert len(still_running) == 1, "the first run ended before the late runs were refused: slow it down more"
    for code, err in [*late_results, next(r for r in results if r[0] == 2)]:
        assert code == 2 and str(out) in err and "in use by another run" in err, err
        assert err.count("\n") == 1, err
    summary = load_summary(out)
    assert summary["status"] == "completed"
    assert largest_difference(reference, summary) == 0.0
    meta = json.loads((out / "checkpoint.json").read_text())
    assert meta["times"] == [r["time"] for r in reference["records"]]


@contextmanager
def _read_only(directory: Path):
    """`directory` made read-only: a read-only bind mount as root, else chmod."""
    import os

    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    bind = subprocess.run(
        ["mount", "--bind", str(directory), str(directory)], capture_output=True, text=True, check=False
    )
    if bind.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bind.stderr.strip()}")
    try:
        remount = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(directory)], capture_output=True, text=True, check=False
        )
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remount.stderr.strip()}")
        yield
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def test_read_only_run_directory_is_refused_with_exit_2(tmp_path: Path):
    config = write_config(tmp_path, DISK_CONFIG.replace("t_end = 1.0", "t_end = 0.1"))
    out = tmp_path / "run"
    interrupted = run_cli("run", str(config), "--output", str(out), "--time-limit", "0")
    assert interrupted.returncode == 124, interrupted.stderr
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with _read_only(out):
        restart = run_cli("run", "--restart", str(out))
        inside = run_cli("run", str(config), "--output", str(out / "new"))
    for result in (restart, inside):
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "read-only" in restart.stderr and str(out) in restart.stderr
    assert "cannot create the run directory" in inside.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    print("\n" + textwrap.indent(restart.stderr + inside.stderr, "  "))
