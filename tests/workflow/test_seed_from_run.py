"""A run seeded from a previous run's checkpoint on the same mesh: it starts from exactly the
previous state (1e-12), continues like an uninterrupted run (1e-8), reads log-density runs as
densities, and each mistake in [initial] is exit code 2, naming the key, writing nothing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fem_chemotaxis.cli import main
from tests.conftest import run_cli
from tests.workflow.helpers import largest_difference, load_summary
from tests.workflow.seeding import checkpoint_field, seed_config

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding run "first" (t = 0 -> 0.3), written on one rank."""
    directory = tmp_path_factory.mktemp("seed")
    config = seed_config(directory, "first")
    result = run_cli("run", str(config), "--output", str(directory / "first"))
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


@pytest.fixture(scope="module")
def seeded(runs: Path) -> Path:
    """Run "seeded" (t = 0 -> 0.3), started from the end of run "first"."""
    # The run directory is relative to the config file, whatever the current directory.
    config = seed_config(runs, "seeded", initial='from_run = "first"\ntime = "last"')
    result = run_cli("run", str(config), "--output", str(runs / "seeded"))
    assert result.returncode == 0, result.stdout + result.stderr
    return runs / "seeded"


def test_seeded_run_starts_from_the_previous_state_and_continues_it(runs: Path, seeded: Path):
    """Seeding 0 -> 0.3 from the end of 0 -> 0.3 equals running 0 -> 0.6 at once (the model
    is autonomous and the steps are the same)."""
    uninterrupted = seed_config(runs, "uninterrupted", t_end=0.6)
    result = run_cli("run", str(uninterrupted), "--output", str(runs / "uninterrupted"))
    assert result.returncode == 0, result.stdout + result.stderr

    for species in ("u", "s"):
        x_old, old = checkpoint_field(runs / "first", species, 0.3)
        x_new, new = checkpoint_field(seeded, species, 0.0)
        assert np.allclose(x_old, x_new, rtol=0, atol=1e-12)
        start = np.abs(new - old).max()
        print(f"\n{species}: seeded start vs previous end {start:.1e}")
        assert start < 1e-12

    reference = load_summary(runs / "uninterrupted")
    continued = load_summary(seeded)
    shifted = {"records": [{**r, "time": r["time"] + 0.3} for r in continued["records"]]}
    later = {"records": [r for r in reference["records"] if r["time"] >= 0.3 - 1e-12]}
    difference = largest_difference(later, shifted)
    _, final = checkpoint_field(seeded, "u")
    _, final_reference = checkpoint_field(runs / "uninterrupted", "u")
    field_difference = np.abs(final - final_reference).max()
    print(f"seeded continuation vs uninterrupted run: records {difference:.1e}, final u {field_difference:.1e}")
    assert len(later["records"]) == len(shifted["records"]) == 3
    assert difference < 1e-8 and field_difference < 1e-8
    assert load_summary(seeded)["config"]["initial"]["u"] == {
        "from_run": str((runs / "first").resolve()),
        "time": 0.3,
        "species": "u",
    }


def test_log_density_run_is_read_as_densities(runs: Path):
    """A run in log-density variables stores log u; the seeded run starts from u = exp(log u),
    here with the species swapped by name (u from s and s from u)."""
    log_run = seed_config(runs, "log", t_end=0.15, positivity="log-density")
    assert run_cli("run", str(log_run), "--output", str(runs / "log")).returncode == 0
    initial = 'u = { from_run = "log", time = 0.15, species = "s" }\ns = { from_run = "log", species = "u" }'
    seeded = seed_config(runs, "from_log", initial=initial, t_end=0.05)
    result = run_cli("run", str(seeded), "--output", str(runs / "from_log"))
    assert result.returncode == 0, result.stdout + result.stderr
    for new_name, old_name in (("u", "s"), ("s", "u")):
        _, old = checkpoint_field(runs / "log", old_name, 0.15)
        _, new = checkpoint_field(runs / "from_log", new_name, 0.0)
        assert np.abs(new - old).max() < 1e-12 * np.abs(old).max()


@pytest.mark.parametrize(
    ("initial", "message"),
    [
        ('from_run = "nowhere"', r"\[initial\] u: from_run = 'nowhere' is not a run directory"),
        ('from_run = "empty"', r"\[initial\] u: from_run = 'empty' holds no checkpoint .*\[output\] interval"),
        (
            'u = { from_run = "first", species = "c" }\ns = "1"',
            r"\[initial\] u: species = 'c' is not in the run in 'first'; it has: u, s",
        ),
        (
            'from_run = "first"\ntime = 0.2',
            r"\[initial\] u: time = 0.2 is not a checkpoint time of the run in 'first'; available: 0, 0.15, 0.3",
        ),
        ('u = { run = "first" }\ns = "1"', r"unknown key 'run' in \[initial.u\]"),
    ],
    ids=["no-directory", "no-checkpoint", "unknown-species", "unknown-time", "unknown-key"],
)
def test_bad_seed_is_refused_before_anything_is_written(runs: Path, initial: str, message: str, capsys):
    """Through the command's entry point in this process (the checks need no solver)."""
    (runs / "empty").mkdir(exist_ok=True)
    config = seed_config(runs, "bad", initial=initial)
    out = runs / "bad"
    for dry_run in ((), ("--dry-run",)):
        assert main(["run", str(config), "--output", str(out), *dry_run]) == 2
        stderr = capsys.readouterr().err
        assert re.search(message, stderr), stderr
        assert not out.exists()


def test_dry_run_describes_the_seed(runs: Path, capsys):
    config = seed_config(runs, "dry", initial='u = { from_run = "first", time = 0.15 }\ns = "1"')
    assert main(["run", str(config), "--dry-run"]) == 0
    assert "initial: u = 'u' at t = 0.15 of the run in" in capsys.readouterr().out


def test_seeded_run_restarts_like_any_run(runs: Path, seeded: Path):
    """Interrupted after its first step and continued on 2 ranks, a seeded run ends where the
    uninterrupted seeded run ends (the restart restores its own checkpoint, not the seed)."""
    config = seed_config(runs, "seeded_restarted", initial='from_run = "first"')
    out = runs / "seeded_restarted"
    stopped = run_cli("run", str(config), "--output", str(out), "--time-limit", "0")
    assert stopped.returncode == 124, stopped.stdout + stopped.stderr
    finished = run_cli("run", "--restart", str(out), nprocs=2)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    difference = largest_difference(load_summary(seeded), load_summary(out))
    print(f"\nseeded run restarted 1 -> 2 ranks vs uninterrupted: {difference:.1e}")
    assert difference < 1e-8


def test_new_mesh_outside_the_old_one_is_refused_before_anything_is_written(runs: Path, capsys):
    config = seed_config(runs, "wider", initial='from_run = "first"')
    config.write_text(config.read_text().replace("size = [2.0, 1.0]", "size = [3.0, 1.0]"))
    out = runs / "wider"
    assert main(["run", str(config), "--output", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert re.search(r"\[initial\] u: \d+ cell\(s\) of the new mesh reach outside", stderr), stderr
    assert not out.exists()
