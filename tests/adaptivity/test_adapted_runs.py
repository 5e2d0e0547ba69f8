"""An adapted run from a config: restart on other rank counts, outputs of changing meshes, bad input.

The run re-meshes every two steps (several times between outputs); ``--time-limit 0`` stops
it after one step, so restarts land between re-meshes and just after them.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import tomllib

from fem_chemotaxis.config import ConfigError, parse_config
from tests.conftest import run_cli
from tests.workflow.helpers import largest_difference, load_summary, uninterrupted_and_restarted, write_config
from tests.workflow.test_faults import _start

pytestmark = pytest.mark.serial  # each test starts its own runs on 1 and 2 ranks

ADAPTED_CONFIG = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [8, 8]
[mesh.adapt]
every = 2
refine = 0.01
coarsen = 0.002
max_level = 2

[model]
name = "keller-segel"
[model.parameters]
d = 0.1
chi = 5.0

[initial]
u = "1 + 2*exp(-40*((x-0.4)^2 + (y-0.6)^2))"
s = "1"

[time]
t_end = 0.12
dt = 0.01
scheme = "bdf2"
adaptive = true
dt_max = 0.02

[output]
interval = 0.04
pictures = false
"""


def test_restart_of_an_adapted_run_on_one_and_two_ranks(tmp_path: Path):
    """Stopped after one step on 1, 2 and 1 ranks and finished on 2: equal to the uninterrupted run.

    On 2 ranks the mesh would be unbalanced (the default partition of the base leaves the
    aggregate's cells mostly on one rank), so the 2-rank legs rebalance, also when a restart
    rebuilds the mesh.
    """
    reference, summary = uninterrupted_and_restarted(write_config(tmp_path, ADAPTED_CONFIG), tmp_path)
    assert summary["status"] == "completed" and len(summary["steps"]) == len(reference["steps"])
    cells = [r["mesh"]["cells"] for r in reference["records"]]
    assert len(set(cells)) == len(cells), f"the mesh must change between outputs: {cells}"
    size = lambda mesh: (mesh["cells"], mesh["dofs"])  # noqa: E731  (imbalance depends on the rank count)
    by_time = {r["time"]: size(r["mesh"]) for r in summary["records"]}
    assert all(by_time[r["time"]] == size(r["mesh"]) for r in reference["records"])  # the same meshes
    assert all(r["mesh"]["imbalance"] == 1.0 for r in reference["records"])  # one rank: balanced by definition
    meshes = [r["mesh"] for r in summary["records"]]
    print(f"\nimbalance {[round(m['imbalance'], 3) for m in meshes]}, rebalances {[m['rebalances'] for m in meshes]}")
    assert meshes[-1]["rebalances"] >= 1 and max(m["imbalance"] for m in meshes) <= 1.2  # rebalance = 1.2 (default)
    difference = largest_difference(reference, summary)
    print(f"restarted (1, 2, 1, 2 ranks, rebalanced on 2) vs uninterrupted (1 rank): {difference:.2e}")
    assert difference < 1e-8  # measured 7.3e-15 before rebalancing existed
    dt_difference = max(abs(a["dt"] - b["dt"]) for a, b in zip(summary["steps"], reference["steps"]))
    assert dt_difference < 1e-8  # measured 2.0e-15


# Kill the run at the first output time on a new mesh: after the new checkpoint file holds the
# state but before checkpoint.json names it, or after the JSON names it but before the
# previous file is removed.
_KILL_AT_MESH_SWITCH = """
import os, signal
import fem_chemotaxis.outputs.checkpoints as checkpoints
original_metadata, original_remove = checkpoints.write_metadata, checkpoints.remove_directory
def write_metadata(directory, data, comm, *encoder):
    if "{where}" == "before the JSON" and data["file"] != "checkpoint.bp":
        os.kill(os.getpid(), signal.SIGKILL)
    original_metadata(directory, data, comm, *encoder)
def remove_directory(path, comm):
    if "{where}" == "before the removal" and str(path).endswith("checkpoint.bp"):
        os.kill(os.getpid(), signal.SIGKILL)
    original_remove(path, comm)
checkpoints.write_metadata, checkpoints.remove_directory = write_metadata, remove_directory
"""


@pytest.mark.parametrize("where", ["before the JSON", "before the removal"])
def test_kill_9_at_a_mesh_switch_of_the_checkpoint_then_restart(tmp_path: Path, where: str):
    """checkpoint.json always describes a complete file: the restart equals the uninterrupted run."""
    config = write_config(tmp_path, ADAPTED_CONFIG)
    reference_dir, out = tmp_path / "uninterrupted", tmp_path / "killed"
    assert run_cli("run", str(config), "--output", str(reference_dir)).returncode == 0
    reference = load_summary(reference_dir)
    process = _start("run", str(config), "--output", str(out), driver=_KILL_AT_MESH_SWITCH.format(where=where))
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    meta = json.loads((out / "checkpoint.json").read_text())
    files = sorted(p.name for p in out.glob("checkpoint*.bp"))
    if where == "before the JSON":  # the new file complete, the JSON still naming the first
        assert (
            meta["file"] == "checkpoint.bp" and meta["times"] == [0.0] and files == ["checkpoint-1.bp", "checkpoint.bp"]
        )
    else:  # the JSON naming the new file, the first not yet removed
        assert meta["file"] == "checkpoint-1.bp" and meta["times"] == [0.04] and len(files) == 2
    final = run_cli("run", "--restart", str(out))
    assert final.returncode == 0, final.stdout + final.stderr
    summary = load_summary(out)
    assert summary["status"] == "completed" and len(summary["steps"]) == len(reference["steps"])
    assert sorted(p.name for p in out.glob("checkpoint*.bp")) == [
        json.loads((out / "checkpoint.json").read_text())["file"]
    ]
    difference = largest_difference(reference, summary)
    print(f"\nkill -9 {where} at a mesh switch; restarted vs uninterrupted: {difference:.2e}")
    assert difference < 1e-8


def test_outputs_of_changing_meshes(tmp_path: Path):
    """One VTX file per mesh written, and the mesh size in timeseries.csv equal to summary.json's."""
    config = write_config(tmp_path, ADAPTED_CONFIG)
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    records = load_summary(out)["records"]
    assert sorted(p.name for p in out.glob("u*.bp")) == ["u.bp"] + [f"u_mesh{k}.bp" for k in range(1, len(records))]
    rows = (out / "timeseries.csv").read_text().splitlines()
    header = rows[0].split(",")
    columns = [dict(zip(header, row.split(","))) for row in rows[1:]]
    assert [int(c["cells"]) for c in columns] == [r["mesh"]["cells"] for r in records]
    assert [int(c["dofs"]) for c in columns] == [r["mesh"]["dofs"] for r in records]


@pytest.mark.parametrize(
    "given, wrong, message",
    [
        ("every = 2", "every = 0", "[mesh.adapt] every must be a positive integer, got 0"),
        ("refine = 0.01", "refine = 2.0", "[mesh.adapt] refine must be a number in [0, 1], got 2.0"),
        ("coarsen = 0.002", "coarsen = 0.5", "[mesh.adapt] coarsen = 0.5 must be below refine = 0.01"),
        ("max_level = 2", "max_levels = 2", "max_levels"),
        (
            "max_level = 2",
            "max_level = 2\nrebalance = 0.9",
            "[mesh.adapt] rebalance must be a number >= 1 or false, got 0.9",
        ),
        (
            "max_level = 2",
            "max_level = 2\nrebalance = true",
            "[mesh.adapt] rebalance must be a number >= 1 or false, got True",
        ),
        ("[mesh.adapt]", "[mesh.motion]\nkind = 'uniform-growth'\nrate = 0.1\n[mesh.adapt]", "cannot be combined"),
    ],
)
def test_bad_adapt_settings_are_refused(given: str, wrong: str, message: str):
    with pytest.raises(ConfigError) as error:
        parse_config(tomllib.loads(ADAPTED_CONFIG.replace(given, wrong)))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_adapt_settings_exit_2_writing_nothing(tmp_path: Path):
    config = write_config(tmp_path, ADAPTED_CONFIG.replace("every = 2", "every = 0"))
    out = tmp_path / "run"
    result = run_cli("run", str(config), "--output", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "[mesh.adapt] every must be a positive integer" in result.stderr
    assert not out.exists()
