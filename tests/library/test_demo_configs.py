"""Every demo run config loads and validates (no solve), and each built-in model has its demo."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from fem_chemotaxis.config import load_config
from fem_chemotaxis.library import BUILTIN_MODELS

DEMOS = Path(__file__).resolve().parents[2] / "demos"

#: Built-in models whose demo is demos/<id with underscores>.toml.
MODELS_WITH_DEMOS = (
    "keller-segel",
    "keller-segel-elliptic",
    "keller-segel-transduction",
    "keller-segel-volume-filling",
    "may-nowak-chemotaxis",
    "cancer-invasion",
    "oncolytic-virus",
    "forager-scrounger",
    "nonlinear-diffusion-log-sensitivity",
)


def _run_configs() -> list[Path]:
    """TOML files in demos/ that are run configs (a [model] table; not e.g. derive SPECs)."""
    return [p for p in sorted(DEMOS.glob("*.toml")) if "model" in tomllib.loads(p.read_text())]


@pytest.mark.parametrize("path", _run_configs(), ids=lambda p: p.name)
def test_demo_config_loads(path):
    config = load_config(path)
    config.model.validate()
    assert set(config.initial) == set(config.model.species_names)
    assert config.t_end > 0 and config.time.dt <= config.t_end
    if path.stem.replace("_", "-") in BUILTIN_MODELS:
        assert config.model.name == path.stem.replace("_", "-")


@pytest.mark.parametrize("name", MODELS_WITH_DEMOS)
def test_builtin_model_has_a_tissue_section_demo(name):
    path = DEMOS / f"{name.replace('-', '_')}.toml"
    assert path.is_file(), f"no demo {path.name} for built-in model '{name}'"
    config = load_config(path)
    assert config.model.name == name
    assert config.mesh.generator == "tissue-section"
