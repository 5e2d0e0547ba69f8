"""``fem-chemotaxis fit FIT.toml``: a fit of chi to an earlier run's checkpoints, and bad input refused.

The truth run (chi = 2.5) is made by ``fem-chemotaxis run``; its checkpoints are the
observations, without noise, so the fit from chi = 1.5 must find chi = 2.5 to the
optimiser's tolerance and its results directory hold what the command promises.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from fem_chemotaxis.cli import main

pytestmark = pytest.mark.serial

RUN = """
[mesh]
builtin = "rectangle"
size = [1.0, 1.0]
cells = [10, 10]

[model]
name = "keller-segel"
[model.parameters]
d = 0.2
chi = {chi}

[initial]
u = "1 + 0.4*exp(-((x - 0.4)**2 + (y - 0.6)**2)/0.03)"
s = "1"

[time]
t_end = 0.4
dt = 0.05

[output]
interval = 0.1
pictures = false
"""

FIT = """
run = "start.toml"
output = "{output}"
store_every = 3

[parameters.chi]
bounds = [0.1, 10.0]
log = true

[[observations]]
from_run = "truth"
times = "all"
species = "u"

[optimiser]
max_iterations = 40
gtol = 1e-9
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with the truth run (chi = 2.5) and the start config (chi = 1.5)."""
    directory = tmp_path_factory.mktemp("fit")
    # The truth names backward Euler; start.toml names no scheme, and the fit resolves its "auto"
    # to backward Euler: the same discrete model, so noise-free data give chi to round-off.
    (directory / "truth.toml").write_text(
        RUN.format(chi=2.5).replace("dt = 0.05", 'dt = 0.05\nscheme = "backward-euler"')
    )
    (directory / "start.toml").write_text(RUN.format(chi=1.5))
    assert main(["run", str(directory / "truth.toml"), "--output", str(directory / "truth"), "-q"]) == 0
    return directory


def test_fit_recovers_chi_from_checkpoints_and_writes_results(folder: Path, capsys):
    """chi = 2.5 within 1e-4 (measured 1e-12) from noise-free checkpoints at t = 0.1 ... 0.4 (and 0),
    the run config's default scheme "auto" fitted as backward Euler (said once)."""
    fit_file = folder / "fit.toml"
    fit_file.write_text(FIT.format(output=folder / "fitted"))
    assert main(["fit", str(fit_file)]) == 0
    out = capsys.readouterr()
    assert re.search(r"fit iteration 1: misfit \S+  chi = \S+", out.err + out.out)
    assert out.out.count('fit: [time] scheme "auto" -> "backward-euler"') == 1
    result = json.loads((folder / "fitted" / "fit.json").read_text())
    chi = result["parameters"]["chi"]
    print(chi)
    assert chi["value"] == pytest.approx(2.5, rel=1e-4)
    assert chi["start"] == 1.5 and chi["bounds"] == [0.1, 10.0] and chi["log"] is True
    rows = list(csv.DictReader((folder / "fitted" / "history.csv").open()))
    assert float(rows[0]["chi"]) == 1.5 and float(rows[-1]["misfit"]) < 1e-6 * float(rows[0]["misfit"])
    assert (folder / "fitted" / "observed_vs_fitted.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("bounds = [0.1, 10.0]", "bounds = [10.0, 0.1]"),
            r"\[parameters.chi\] bounds = \[10, 0.1\] must have lower < upper",
        ),
        (("[parameters.chi]", "[parameters.kappa]"), r"unknown key 'kappa' in \[parameters\]"),
        (
            ('from_run = "truth"', 'from_run = "nowhere"'),
            r"\[\[observations\]\]\[0\] from_run = 'nowhere' does not exist",
        ),
        (('times = "all"', "times = [0.1, 0.15]"), r"times: 0.15 is not a checkpoint time"),
        (('species = "u"', 'species = "w"'), r"species = 'w' must name species of the model"),
        (
            ("max_iterations = 40", "max_iterations = 0"),
            r"\[optimiser\] max_iterations must be a positive integer, got 0",
        ),
        (('run = "start.toml"', 'run = "adaptive.toml"'), r"fitting needs \[time\] scheme"),
        (('run = "start.toml"', 'run = "adapted_mesh.toml"'), r"fitting needs a fixed mesh, .* \[mesh.adapt\]"),
        (("store_every = 3", "store_every = 0"), r"store_every must be a positive integer, got 0"),
    ],
    ids=["bounds", "parameter", "run-dir", "time", "species", "iterations", "scheme", "adapted-mesh", "store-every"],
)
def test_bad_fit_file_is_refused_with_one_line_and_nothing_written(folder: Path, change, message, capsys):
    """Exit code 2, one line naming the key and value, no results directory."""
    (folder / "adaptive.toml").write_text(RUN.format(chi=1.5).replace("dt = 0.05", "dt = 0.05\nscheme = \"bdf2\""))
    (folder / "adapted_mesh.toml").write_text(
        RUN.format(chi=1.5).replace("[model]", "[mesh.adapt]\nevery = 2\n\n[model]")
    )
    out = folder / "bad"
    fit_file = folder / "bad.toml"
    fit_file.write_text(FIT.format(output=out).replace(*change))
    assert main(["fit", str(fit_file)]) == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert re.search(message, stderr), stderr
    assert not out.exists()
