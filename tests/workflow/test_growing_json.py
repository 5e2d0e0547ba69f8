"""summary.json and checkpoint.json keep every step of a run, each encoded once: the text holds
exactly what a whole encoding holds, as the list grows, shrinks (a restart) and grows again, and a
long run's files equal its step history."""

from __future__ import annotations

import json

import pytest

from fem_chemotaxis.io.growing_json import GrowingJSON
from fem_chemotaxis.simulation import StepRecord
from tests.conftest import run_cli

pytestmark = pytest.mark.serial  # plain text, and a 1-rank run


def steps(n: int, start: int = 0) -> list[StepRecord]:
    return [StepRecord(0.1 * (k + 1), 0.1, 2, 5 + k % 3, k % 2, None if k % 4 else 1e-5 * k) for k in range(start, n)]


def test_the_text_is_the_whole_encoding_as_the_list_grows_and_shrinks():
    encoder = GrowingJSON("steps")
    history: list = []
    data = {"status": "running", "records": [{"time": 0.0, "species": {"u": {"mass": 1.0}}}], "steps": history}
    assert json.loads(encoder.dumps(data)) == data
    for n in (1, 4, 4, 9):
        history.extend(steps(n, len(history)))
        data["wall_time"] = float(n)  # keys after the list: it is still written last
        decoded = json.loads(encoder.dumps(data))
        assert decoded == {**data, "steps": [s.__dict__ for s in history]}
    shorter = {**data, "steps": steps(3)}  # a restart truncates to the checkpoint's steps
    assert json.loads(encoder.dumps(shorter))["steps"] == [s.__dict__ for s in steps(3)]
    text = encoder.dumps({"steps": [{"a": 1}, {"a": 2}]})  # dicts too; one item a line
    assert text == '{\n  "steps": [\n    {"a": 1},\n    {"a": 2}\n  ]\n}\n'
    assert GrowingJSON("steps").dumps({"steps": []}) == '{\n  "steps": []\n}\n'


def test_a_run_writes_every_step_once_into_both_files(tmp_path):
    config = tmp_path / "many_steps.toml"
    config.write_text(
        """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [6, 6]
[model]
name = "keller-segel"
[initial]
u = "1 + 0.1*cos(pi*x)"
s = "1"
[time]
t_end = 0.3
dt = 0.01
[output]
interval = 0.02
pictures = false
"""
    )
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    checkpoint = json.loads((out / "checkpoint.json").read_text())
    assert len(summary["steps"]) == 30 and summary["status"] == "completed"
    assert checkpoint["steps"] == summary["steps"]
    times = [step["time"] for step in summary["steps"]]
    assert times == pytest.approx([0.01 * (k + 1) for k in range(30)], abs=1e-12)
