#!/usr/bin/env bash
# Build the documentation site (`make docs`) with Sphinx into docs/_build/html, warnings as errors.
#
#   docker/env.sh docker/build-docs.sh [--cert CA_BUNDLE]
#
# Sphinx and MyST come from pip (pyproject extra `docs`) into their own venv, .venv-docs, which
# also sees the environment's DOLFINx (system site packages) so that autodoc can import the
# package; it is reused while Python and pyproject.toml are unchanged.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$REPO/.venv-docs
cd "$REPO"
pip_args=(--quiet)
if [ "${1:-}" = --cert ] && [ -s "${2:-}" ]; then
  pip_args+=(--cert "$(realpath "$2")")
fi
stamp="$(python3 -c 'import sys; print(sys.version)' | head -1) $(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x "$VENV/bin/sphinx-build" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "[docs] making $VENV and installing .[docs]" >&2
  rm -rf "$VENV"
  python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install "${pip_args[@]}" -e ".[docs]"
  echo "$stamp" > "$VENV/.stamp"
fi
rm -rf docs/_build docs/_generated
"$VENV/bin/sphinx-build" -W --keep-going -q -b html docs docs/_build/html
echo "[docs] built docs/_build/html ($(find docs/_build/html -name '*.html' | wc -l) pages)" >&2
