"""Sphinx configuration of fem_chemotaxis's documentation site (`make docs`, docs/README.md)."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import generate  # noqa: E402  (found through the path set above)

generate.write_all(DOCS / "_generated")

project = "fem_chemotaxis"
author = "the fem_chemotaxis authors"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_use_ivar = True  # "Attributes:" as fields: a dataclass's fields are also documented as its members
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "description"
html_theme = "alabaster"
html_static_path: list[str] = []
html_extra_path = ["_generated/extra"]  # pictures the READMEs show with raw <img> tags
