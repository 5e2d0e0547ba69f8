"""Every demo in demos/ runs under ``mpiexec -n 2`` in its short mode (``CI=1``) and reproduces
the quantity stored for it in ``demos/reference.json``.

Each demo writes ``results/<demo>/demo.json`` (relative to its working directory) with one
named scalar; the reference holds its value from a real run, the relative tolerance and why
that tolerance, and the mode and rank count it was computed in. A demo file without a
reference entry fails, as does a demo that no longer follows the jupytext light format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.serial

DEMOS = REPO / "demos"
REFERENCE = json.loads((DEMOS / "reference.json").read_text())
NAMES = sorted(path.stem for path in DEMOS.glob("*.py"))


def _run_demo(name: str, ranks: int, cwd: Path) -> subprocess.CompletedProcess:
    """Run demos/<name>.py under mpiexec with CI set, from `cwd`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_COMM", "PMI", "PMIX"))}
    env["CI"] = "1"
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, str(DEMOS / f"{name}.py")]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_every_demo_has_a_reference_and_the_light_format():
    assert sorted(k for k in REFERENCE if not k.startswith("_")) == NAMES
    for name in NAMES:
        head = (DEMOS / f"{name}.py").read_text().splitlines()[:8]
        assert head[0] == "# ---" and "#   jupytext:" in head and "#       format_name: light" in head, name


@pytest.mark.parametrize("name", NAMES)
def test_demo_reproduces_its_stored_quantity(name: str, tmp_path: Path):
    reference = REFERENCE[name]
    assert reference["mode"] == "CI"
    result = _run_demo(name, reference["ranks"], tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    produced = json.loads((tmp_path / "results" / name / "demo.json").read_text())
    assert produced["quantity"] == reference["quantity"]
    assert produced["short"] is True
    assert produced["value"] == pytest.approx(reference["value"], rel=reference["rtol"], abs=0.0)
