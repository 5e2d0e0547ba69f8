"""Imports run one way: each part of the package imports only the parts listed above it in the
README's layout section, and nothing inside the package imports the front door."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.serial  # reads files only: once is enough

PACKAGE = REPO / "fem_chemotaxis"


def layout_order() -> list[str]:
    """The parts of fem_chemotaxis/ in the order the README's layout lists them."""
    text = (REPO / "README.md").read_text().split("## Layout", 1)[1]
    block = text.split("```\nfem_chemotaxis/\n", 1)[1].split("```", 1)[0]
    names = re.findall(r"^  (\S+)", block, flags=re.M)
    return [name.removesuffix("/").removesuffix(".py") for name in names]


def imports_of(path) -> set[str]:
    """The parts of the package a module imports (``fem_chemotaxis`` itself for the front door)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fem_chemotaxis":
            found.add(node.module.split(".")[1] if "." in node.module else "fem_chemotaxis")
        elif isinstance(node, ast.Import):
            found |= {
                a.name.split(".")[1] if "." in a.name else "fem_chemotaxis"
                for a in node.names
                if a.name.split(".")[0] == "fem_chemotaxis"
            }
    return found


def test_every_part_imports_only_the_parts_above_it():
    order = layout_order()
    assert order[0] == "__init__", order
    parts = sorted({p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")} - {"__init__"})
    assert [p for p in parts if p not in order and p != "version"] == [], "a part the layout does not list"
    rank = {name: k for k, name in enumerate(order)}
    rank["version"] = 0  # the version string, described with the front door
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        part = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if part == "__init__":
            continue
        for other in imports_of(path) - {part}:
            if other == "fem_chemotaxis" or rank[other] > rank[part]:
                upward.append(f"{path.relative_to(REPO)} imports {other}")
    assert upward == []
