"""summary.json, checkpoint.json and timeseries.csv keep every record and step of a run, each
encoded once: the text holds exactly what a whole encoding holds, as the lists grow, shrink (a
restart) and grow again, and a run's files equal its history."""

from __future__ import annotations

import csv
import functools
import io
import json

import pytest

from fem_chemotaxis.io.growing_json import GrowingJSON
from fem_chemotaxis.io.timeseries import TimeSeriesTable
from fem_chemotaxis.simulation import StepRecord
from tests.conftest import run_cli
from tests.unit.test_config import VALID

pytestmark = pytest.mark.serial  # plain text, and a 1-rank run


def steps(n: int, start: int = 0) -> list[StepRecord]:
    return [StepRecord(0.1 * (k + 1), 0.1, 2, 5 + k % 3, k % 2, None if k % 4 else 1e-5 * k) for k in range(start, n)]


def records(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "time": 0.1 * k,
            "species": {"u": {"mass": 1.0 + k, "min": -1e-3 * k, "max": 2.0 / (k + 1)}},
            "quantities": {"flux": 0.5 * k, "centre": [0.1 * k, 0.2]},
        }
        for k in range(start, n)
    ]


def test_the_text_is_the_whole_encoding_as_the_lists_grow_and_shrink():
    encoder = GrowingJSON("records", "steps")
    history: list = []
    kept: list = []
    data = {"status": "running", "records": kept, "steps": history}
    assert json.loads(encoder.dumps(data)) == data
    for n in (1, 4, 4, 9):
        history.extend(steps(n, len(history)))
        kept.extend(records(n, len(kept)))
        data["wall_time"] = float(n)  # keys after the lists: they are still written last
        decoded = json.loads(encoder.dumps(data))
        assert decoded == {**data, "steps": [s.__dict__ for s in history]}
    shorter = {**data, "steps": steps(3), "records": records(2)}  # a restart truncates both
    decoded = json.loads(encoder.dumps(shorter))
    assert decoded["steps"] == [s.__dict__ for s in steps(3)] and decoded["records"] == records(2)
    text = GrowingJSON("steps").dumps({"steps": [{"a": 1}, {"a": 2}]})  # one item a line
    assert text == '{\n  "steps": [\n    {"a": 1},\n    {"a": 2}\n  ]\n}\n'
    assert GrowingJSON("steps").dumps({"steps": []}) == '{\n  "steps": []\n}\n'
    assert GrowingJSON("steps").dumps({"a": 1}) == json.dumps({"a": 1}, indent=2) + "\n"


def test_the_table_holds_every_record_as_they_grow_and_shrink():
    table, kept = TimeSeriesTable(), []
    assert table.text(kept) == "time\n"
    for n in (1, 5, 5, 12, 3):
        kept = kept[:n] if n < len(kept) else kept
        kept.extend(records(n, len(kept)))
        rows = list(csv.reader(io.StringIO(table.text(kept))))
        assert rows[0] == ["time", "u_mass", "u_min", "u_max", "flux", "centre_x", "centre_y"]
        expected = [
            [r["time"], *r["species"]["u"].values(), r["quantities"]["flux"], *r["quantities"]["centre"]] for r in kept
        ]
        assert [[float(v) for v in row] for row in rows[1:]] == expected


def test_a_run_writes_every_step_once_into_both_files(tmp_path):
    config = tmp_path / "many_steps.toml"  # 30 steps, 16 output times
    steps_of = {"t_end = 0.1": "t_end = 0.3", "dt = 0.05": "dt = 0.01", "interval = 0.05": "interval = 0.02"}
    config.write_text(functools.reduce(lambda text, change: text.replace(*change), steps_of.items(), VALID))
    out = tmp_path / "run"
    assert run_cli("run", str(config), "--output", str(out)).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    checkpoint = json.loads((out / "checkpoint.json").read_text())
    assert len(summary["steps"]) == 30 and summary["status"] == "completed"
    assert checkpoint["steps"] == summary["steps"]
    split = summary["wall_time_split"]  # where the wall time went: all of it, once
    assert sum(split.values()) == pytest.approx(summary["wall_time"], rel=0.01, abs=0.05)
    assert split["stepping"] > 0 and split["outputs"] > 0 and split["pictures"] >= 0
    phases = summary["stepping_split"]  # the steps' part, from PETSc's events: within it, none missing
    assert min(phases.values()) >= 0.0 and phases["residual_assembly"] > 0 and phases["krylov_solve"] > 0
    assert sum(v for k, v in phases.items() if k != "other") <= split["stepping"]
    times = [step["time"] for step in summary["steps"]]
    assert times == pytest.approx([0.01 * (k + 1) for k in range(30)], abs=1e-12)
