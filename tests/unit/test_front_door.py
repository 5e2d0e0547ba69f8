"""The front door (``fem_chemotaxis/__init__.py``) hands on every name its stub lists, the object
at that name's home, and imports none of them before it is used: a config check, a bad input or
``list-models`` do not wait for matplotlib, pyvista or scipy's optimisers."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys

import pytest

import fem_chemotaxis as fc
from tests.conftest import REPO

pytestmark = pytest.mark.serial  # imports and subprocesses: once is enough

#: Libraries no config check needs: the pictures' and the parameter fits'.
HEAVY = ("matplotlib", "pyvista", "scipy.optimize", "scipy.linalg")


def stub_homes() -> dict[str, tuple[str, str]]:
    """Each name the stub imports -> (module, name there), read independently of the package."""
    stub = ast.parse((REPO / "fem_chemotaxis" / "__init__.pyi").read_text())
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in stub.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def stub_all() -> list[str]:
    stub = ast.parse((REPO / "fem_chemotaxis" / "__init__.pyi").read_text())
    (names,) = [node.value for node in stub.body if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"]
    return ast.literal_eval(names)


def test_every_public_name_is_the_object_at_its_home():
    homes = stub_homes()
    assert sorted(fc.__all__) == sorted(stub_all()) == sorted(homes)
    assert set(fc.__all__) <= set(dir(fc))
    for name, (module, attribute) in homes.items():
        home = importlib.import_module(f"{module}.{attribute}" if module == "fem_chemotaxis" else module)
        expected = home if module == "fem_chemotaxis" else getattr(home, attribute)
        assert getattr(fc, name) is expected, name
    with pytest.raises(AttributeError, match="no attribute 'Simulaton'"):
        fc.Simulaton  # noqa: B018 (a misspelt name fails as for any module)


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter holds after running ``code`` in the repository."""
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_checking_a_config_imports_no_pictures_or_optimisers():
    assert loaded_after("import fem_chemotaxis as fc\nfc.load_config('demos/keller_segel.toml')") == []
    dry_run = "from fem_chemotaxis.cli import main\nassert main(['run', 'demos/keller_segel.toml', '--dry-run']) == 0"
    assert loaded_after(dry_run) == []
    assert loaded_after("from fem_chemotaxis.cli import main\nassert main(['list-models']) == 0") == []


def test_a_fit_still_finds_its_optimiser():
    assert "scipy.optimize" in loaded_after("import fem_chemotaxis as fc\nfc.fit_simulation")
