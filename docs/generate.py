"""Pages of the documentation made from the code itself, so that they cannot drift from it.

- ``cli.md``: the help of every ``fem-chemotaxis`` command, from its argparse parser.
- ``config.md``: every config table and key, from the validator's source: the allowed keys
  of each ``_only_keys`` check (or ``allowed = {...}`` set), their defaults (``.get(key,
  default)``), their types (the validator called on them, the choices it accepts, its own
  "must be ..." messages) and the validator module's description of the tables.
- ``guide.md``, ``docker.md``, ``bench.md``: the READMEs, links pointed at the site's pages.
- ``demos.md`` and ``demos/<name>.md``: each jupytext demo as text and code, with its picture.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Validator modules walked for the config reference, in the order of the page.
VALIDATORS = ("config.run_config", "model.model", "model.boundary", "model.flow", "motion.mesh_motion")


def write_all(out: Path) -> None:
    """(Re)write every generated page into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "cli.md").write_text(cli_page())
    (out / "config.md").write_text(config_page())
    demos_pages(out)
    guide_pages(out)


# --- CLI ------------------------------------------------------------------------------------


def cli_page() -> str:
    """Every command's --help, from the parser that main() uses."""
    from fem_chemotaxis.cli import _parser

    parser = _parser()
    parts = [
        "# Command line reference",
        "",
        ("Generated from the argparse parsers of `fem_chemotaxis/cli.py` and `fem_chemotaxis/commands/`."),
        "",
        "## fem-chemotaxis",
        "",
        _block(parser.format_help()),
    ]
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        parts += [f"## fem-chemotaxis {name}", "", _block(sub.format_help())]
    return "\n".join(parts)


def _block(text: str) -> str:
    return "```text\n" + text.rstrip() + "\n```\n"


# --- config ---------------------------------------------------------------------------------


def config_page() -> str:
    """Tables, keys, defaults and types, walked from the validator modules."""
    run_config = importlib.import_module("fem_chemotaxis.config.run_config")
    parts = [
        "# Config reference",
        "",
        (
            "Generated from the validator's source (`fem_chemotaxis/config/run_config.py` and the "
            "`from_dict` readers it calls), so it lists exactly the keys a config may hold. "
            "A key's type is what the validator checks; \"-\" means no default in the code "
            "(required, or computed from other keys). Anything else is refused with a one-line "
            "error naming the table and key."
        ),
        "",
        "## The tables",
        "",
        "```text",
        run_config.__doc__.split("Tables (see README, \"Writing a config\")::")[1]
        .split("Every mistake")[0]
        .strip("\n"),
        "```",
        "",
    ]
    trees = [ast.parse(Path(importlib.import_module(f"fem_chemotaxis.{d}").__file__).read_text()) for d in VALIDATORS]
    _CALLS[:] = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for tree in trees:
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            _OWNER.update({f: cls.name for f in cls.body if isinstance(f, ast.FunctionDef)})
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            _CALLER.update({c: function for c in ast.walk(function) if isinstance(c, ast.Call)})
    described_tables = _described_tables(run_config.__doc__)
    for dotted, tree in zip(VALIDATORS, trees):
        module = importlib.import_module(f"fem_chemotaxis.{dotted}")
        messages = _messages(tree)
        parts += [f"## From `fem_chemotaxis/{dotted.replace('.', '/')}.py`", ""]
        if dotted == "config.run_config":
            parts += _settings_tables(tree, described_tables)
        for function, where, keys, table_var in _key_sets(tree):
            defaults = _defaults(function, table_var)
            title = where if where.startswith("[") else f"[{where}]"
            described = described_tables.get(title.split(".")[0].rstrip("]") + "]" if "." in title else title)
            checker = f"{_OWNER[function]}.{function.name}" if function in _OWNER else function.name
            parts += [
                f"### `{title}`",
                "",
                f"Checked in `{checker}`." + (" The validator's description:" if described else ""),
                "",
            ]
            if described:
                parts += ["```text", described, "```", ""]
            parts += ["| key | type (what the validator checks) | default |", "|---|---|---|"]
            for key in sorted(keys):
                kind = _kind(function, module, messages, where.strip("[]"), key)
                parts.append(f"| `{key}` | {kind} | {defaults.get(key, '-')} |")
            parts.append("")
        parts += _kind_tables(module)
    return "\n".join(parts)


def _settings_tables(run_config_tree: ast.Module, described_tables: dict[str, str]) -> list[str]:
    """[time], [solver], [discretisation], [output]: the settings dataclasses of
    config/settings.py (a field per key, its default) and what their ``__post_init__`` checks."""
    settings = importlib.import_module("fem_chemotaxis.config.settings")
    tree = ast.parse(Path(settings.__file__).read_text())
    file_defaults: dict[str, dict[str, str]] = {}  # Output.from_table(..., interval=...) in run_config
    for node in ast.walk(run_config_tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "from_table"
            and isinstance(node.func.value, ast.Name)
        ):
            file_defaults[node.func.value.id] = {kw.arg: f"`{ast.unparse(kw.value)}`" for kw in node.keywords if kw.arg}
    parts = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        settings_class = getattr(settings, cls.name)
        if not dataclasses.is_dataclass(settings_class) or not hasattr(settings_class, "TABLE"):
            continue
        title = f"[{settings_class.TABLE}]"
        check = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__post_init__"), cls)
        described = described_tables.get(title)
        parts += [
            f"### `{title}`",
            "",
            f"Checked in `{cls.name}.__post_init__` (`fem_chemotaxis.{cls.name}` "
            "in Python, the same checks)." + (" The validator's description:" if described else ""),
            "",
        ]
        if described:
            parts += ["```text", described, "```", ""]
        parts += ["| key | type (what the validator checks) | default |", "|---|---|---|"]
        for f in sorted(dataclasses.fields(settings_class), key=lambda f: f.name):
            if f.name in file_defaults.get(cls.name, {}):
                default = file_defaults[cls.name][f.name]
            elif f.name in settings_class.REQUIRED or f.default in (None, dataclasses.MISSING):
                default = "-" if f.default_factory is dataclasses.MISSING else f"`{f.default_factory()}`"
            else:
                default = f"`{f.default!r}`"
            parts.append(f"| `{f.name}` | {_settings_kind(check, settings, f.name)} | {default} |")
        parts.append("")
    return parts


def _settings_kind(check: ast.AST, module, key: str) -> str:
    """What ``__post_init__`` checks about `key`: ``check(..., self._where("key"))`` (or in a
    loop over literal keys), or a message ``f"{self._where('key')} must be ..."``."""
    for node in ast.walk(check):
        if not isinstance(node, ast.Call) or getattr(node.func, "id", "") not in _CHECKS | {"choice": ""}:
            continue
        where = next(
            (a for a in node.args if isinstance(a, ast.Call) and getattr(a.func, "attr", "") == "_where"), None
        )
        if where is None or not where.args:
            continue
        argument = where.args[0]
        if not (
            (isinstance(argument, ast.Constant) and argument.value == key)
            or (isinstance(argument, ast.Name) and _loops_over(check, key, argument.id))
        ):
            continue
        if node.func.id == "choice":
            return "one of " + ", ".join(f"`{c}`" for c in getattr(module, ast.unparse(node.args[1])))
        return _CHECKS[node.func.id]
    for node in ast.walk(check):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}" for v in node.values
            )
            match = re.search(r"_where\(['\"]" + re.escape(key) + r"['\"]\)\} must be ([^,;(]+)", text)
            if match:
                return match[1].strip()
    return "see the table description"


def _kind_tables(module) -> list[str]:
    """Tables whose keys depend on a `kind` (``_KEYS[kind] | _COMMON``, as in mesh_motion)."""
    keys, common = getattr(module, "_KEYS", None), getattr(module, "_COMMON", None)
    if not isinstance(keys, dict) or not isinstance(common, (set, frozenset)):
        return []
    parts = []
    for kind, own in keys.items():
        parts += [
            f"### `[mesh.motion]` with kind = \"{kind}\"",
            "",
            "Keys: " + ", ".join(f"`{k}`" for k in sorted(set(own) | set(common))) + ".",
            "",
        ]
    return parts


def _described_tables(doc: str) -> dict[str, str]:
    """'[table]' -> its lines in the validator module's "Tables" docstring block."""
    found: dict[str, list[str]] = {}
    current = None
    for line in doc.splitlines():
        match = re.match(r"    (\[\[?[\w.]+\]\]?)\s", line)
        if match:
            current = match[1].replace("[[", "[").replace("]]", "]")
            found[current] = []
        if current and line.startswith("    "):
            found[current].append(line[4:])
        elif current and not line.strip():
            current = None
    return {table: "\n".join(lines) for table, lines in found.items()}


def _key_sets(tree: ast.Module):
    """(function, where, keys, table variable) for each literal set of allowed keys (or a
    module-level tuple of them, such as run_config's _TABLES)."""
    constants = {
        t.id: n.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name) and isinstance(n.value, ast.Tuple | ast.Set)
    }
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef,)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("only_keys", "_only_keys"):
                allowed = node.args[1] if len(node.args) >= 3 else None
                if isinstance(allowed, ast.Name):
                    allowed = constants.get(allowed.id)
                if isinstance(allowed, ast.Set | ast.Tuple):
                    yield function, _where(node.args[2], function), _strings(allowed), _name(node.args[0])
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Set)
                and getattr(node.targets[0], "id", "") == "allowed"
                and _strings(node.value)
            ):
                yield function, _where(None, function), _strings(node.value), "table"


def _where(node: ast.AST | None, function: ast.FunctionDef) -> str:
    """The table a check is about: a literal, a local f-string, or what the callers pass."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return _readable(node)
    name = node.id if isinstance(node, ast.Name) else "where"
    for n in ast.walk(function):
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == name for t in n.targets):
            label = _readable(n.value)
            if label.startswith("WHERE") and name != "where":  # built from this reader's own table
                label = label.replace("WHERE", _where(ast.Name("where"), function), 1)
            return label
    params = [a.arg for a in function.args.args]
    defaults = dict(zip(params[len(params) - len(function.args.defaults) :], function.args.defaults))
    if name in defaults:
        return _readable(defaults[name])
    if name in params:
        owner = _OWNER.get(function)
        for call in _CALLS:
            if getattr(call.func, "attr", getattr(call.func, "id", "")) != function.name:
                continue
            if (
                owner
                and getattr(call.func, "value", None) is not None
                and ast.unparse(call.func.value) not in (owner, "cls")
            ):
                continue
            for kw in call.keywords:
                if kw.arg == name:
                    return _readable(kw.value)
            position = params.index(name) - (1 if params[0] in ("cls", "self") else 0)
            if position < len(call.args):
                label = _readable(call.args[position])
                caller = _CALLER.get(call)
                if label.startswith("WHERE") and caller is not None:
                    label = label.replace("WHERE", _where(ast.Name("where"), caller), 1)
                return label
    return f"{function.name} (table given by the caller)"


def _readable(node: ast.AST) -> str:
    """An f-string such as f"model.species.{name}" as model.species.NAME."""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else ast.unparse(v.value).split(".")[-1].split("[")[0].upper()
            for v in node.values
        )
    return ast.unparse(node).strip("'\"")


def _strings(node: ast.Set | ast.Tuple) -> set[str]:
    return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def _name(node: ast.AST) -> str:
    return ast.unparse(node)


def _defaults(function: ast.FunctionDef, table_var: str) -> dict[str, str]:
    """key -> default from ``table_var.get("key", default)`` (simple names resolved once)."""
    assigned = {
        t.id: ast.unparse(n.value)
        for n in ast.walk(function)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    found = {}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and ast.unparse(node.func.value) == table_var
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
        ):
            text = ast.unparse(node.args[1])
            found[node.args[0].value] = f"`{assigned.get(text, text)}`"
    return found


def _messages(tree: ast.Module) -> list[str]:
    """The validator's message texts, f-string fields shown as {...}."""
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts.append(
                "".join(
                    v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}" for v in node.values
                )
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return texts


#: Every call in the validator modules (to find the table a caller passes to a reader).
_CALLS: list[ast.Call] = []
#: The class of each method, and the innermost function around each call.
_OWNER: dict[ast.FunctionDef, str] = {}
_CALLER: dict[ast.Call, ast.FunctionDef] = {}

_CHECKS = {
    "_positive": "positive number",
    "_number": "number",
    "positive": "positive number",
    "number": "number",
    "boolean": "true or false",
}


def _kind(function: ast.FunctionDef, module, messages: list[str], table: str, key: str) -> str:
    """What the validator checks about [table] key: a check function, choices or a message."""
    label = f"[{table}] {key}"
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", "")
        wheres = [ast.unparse(a) for a in node.args]
        here = any(
            w.strip("'\"f") == label or (w.strip("'\"f") == "[" + table + "] {key}" and _loops_over(function, key))
            for w in wheres
        )
        if not here:
            continue
        if name in _CHECKS:
            return _CHECKS[name]
        if name in ("_choice", "choice") and len(node.args) >= 2:
            choices = getattr(module, ast.unparse(node.args[1]), None)
            if choices:
                return "one of " + ", ".join(f"`{c}`" for c in choices)
    for text in messages:
        match = re.search(re.escape(label) + r"\W* must be ([^,;(]+)", text)
        if match:
            return match[1].strip().replace("{", "(").replace("}", ")")
    return "see the table description"


def _loops_over(function: ast.AST, key: str, variable: str | None = None) -> bool:
    """Whether `key` is one of the literal strings a loop or comprehension in `function` runs
    over (with `variable`: a loop over that name)."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.comprehension | ast.For)
            and isinstance(node.iter, ast.Tuple)
            and (variable is None or getattr(node.target, "id", "") == variable)
            and key in {e.value for e in node.iter.elts if isinstance(e, ast.Constant)}
        ):
            return True
    return False


# --- user guide -----------------------------------------------------------------------------

#: README files shown as pages, and the page each becomes.
READMES = {"README.md": "guide.md", "docker/README.md": "docker.md", "bench/README.md": "bench.md"}


def guide_pages(out: Path) -> None:
    """The READMEs as pages: links to demos, READMEs and pictures pointed at the site's copies."""
    images = out / "images"
    raw = out / "extra" / "demos" / "images"  # for raw <img> tags: copied as is to the site root
    for folder in (images, raw):
        folder.mkdir(parents=True, exist_ok=True)
        for picture in (REPO / "demos" / "images").glob("*.png"):
            shutil.copy(picture, folder / picture.name)
    for source, page in READMES.items():
        text = (REPO / source).read_text()
        text = re.sub(r"\]\(demos/images/([\w.-]+)\)", r"](images/\1)", text)
        text = re.sub(r"\]\(demos/(\w+)\.py\)", r"](demos/\1.md)", text)
        text = text.replace('src="demos/images/', 'src="../demos/images/')
        for readme, target in READMES.items():
            text = text.replace(f"]({readme})", f"]({target})")
        # JSON shown with // comments and ... is not JSON for the highlighter: plain text.
        text = re.sub(r"```json\n(?=(?:(?!```).)*//)", "```text\n", text, flags=re.DOTALL)
        (out / page).write_text(text)


# --- demos ----------------------------------------------------------------------------------


def demos_pages(out: Path) -> None:
    """One page per demo (jupytext light format: comment blocks are text) and an index."""
    (out / "demos").mkdir(exist_ok=True)
    images = REPO / "demos" / "images"
    names = sorted(p.stem for p in (REPO / "demos").glob("*.py"))
    index = (
        [
            "# Demos",
            "",
            (
                "Each demo is a Python script (jupytext light format) in `demos/`; run it with "
                "`make exec CMD=\"mpiexec -n 2 python demos/NAME.py\"` (`CI=1`: the short mode the tests "
                "run). The pictures are those of the full runs, stored in `demos/images/`."
            ),
            "",
            "```{toctree}",
            ":maxdepth: 1",
            "",
        ]
        + [f"demos/{n}" for n in names]
        + ["```", ""]
    )
    (out / "demos.md").write_text("\n".join(index))
    for name in names:
        text = _light_to_markdown((REPO / "demos" / f"{name}.py").read_text())
        picture = images / f"{name}.png"
        if picture.exists():
            shutil.copy(picture, out / "demos" / picture.name)
            text += f"\n## Result\n\n![{name}]({picture.name})\n"
        (out / "demos" / f"{name}.md").write_text(text)


def _light_to_markdown(source: str) -> str:
    """Comment-only paragraphs become text, the rest python code blocks (header dropped)."""
    lines = source.splitlines()
    if lines and lines[0] == "# ---":
        lines = lines[lines.index("# ---", 1) + 1 :]
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    parts: list[str] = []
    code: list[str] = []
    for para in paragraphs:
        if all(line.startswith("#") for line in para):
            if code:
                parts.append("```python\n" + "\n\n".join(code) + "\n```")
                code = []
            parts.append("\n".join(line[2:] if line.startswith("# ") else line[1:] for line in para))
        else:
            code.append("\n".join(para))
    if code:
        parts.append("```python\n" + "\n\n".join(code) + "\n```")
    return "\n\n".join(parts) + "\n"
