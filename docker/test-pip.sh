#!/usr/bin/env bash
# The pip user's route, tested (`make test-pip`): a fresh venv WITHOUT system site packages,
# the package installed with the DOLFINx wheels (`pip install -e ".[fenicsx,test]"`), then a
# serial subset of the tests and one demo.
#
#   docker/env.sh docker/test-pip.sh [--cert CA_BUNDLE]
#
# Needs Python >= 3.12 (run through docker/env.sh on a Debian 12 host: the sid root's 3.14).
# The venv (.venv-pip, or $FEM_CHEMOTAXIS_PIP_VENV) is reused while Python and pyproject.toml
# are unchanged.  --cert: the CA bundle pip trusts (the machine's own, made by the Makefile).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${FEM_CHEMOTAXIS_PIP_VENV:-$REPO/.venv-pip}
cd "$REPO"
say() { printf '[test-pip] %s\n' "$*" >&2; }
pip_args=(--quiet)
if [ "${1:-}" = --cert ] && [ -s "${2:-}" ]; then
  pip_args+=(--cert "$(realpath "$2")")
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
  || { say "Python >= 3.12 is needed; this is $(python3 --version)"; exit 1; }
stamp="$(python3 -c 'import sys; print(sys.version)' | head -1) $(sha256sum pyproject.toml | cut -c1-16)"
t0=$(date +%s)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "making $VENV (no system site packages) and installing .[fenicsx,test] from the wheels"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install "${pip_args[@]}" -e ".[fenicsx,test]"
  echo "$stamp" > "$VENV/.stamp"
  say "installed in $(( $(date +%s) - t0 )) s"
else
  say "reusing $VENV (Python and pyproject.toml unchanged)"
fi

export PATH="$VENV/bin:$PATH"   # its mpiexec (MPICH, from the wheels) for the demo
py="$VENV/bin/python"
"$py" -c "import fem_chemotaxis, dolfinx, petsc4py.PETSc as P; print('[test-pip] fem_chemotaxis', \
fem_chemotaxis.__version__, '| DOLFINx', dolfinx.__version__, '| PETSc', '.'.join(map(str, P.Sys.getVersion())))"
t1=$(date +%s)
# Serial subset: unit tests, convergence rates, and one demo in its short mode (the only demo
# that does not go through `fem-chemotaxis run`).  Deselected: the two unit tests that run
# `fem-chemotaxis run`, which writes checkpoints, and the wheels have no adios4dolfinx.
"$py" -m pytest -q -p no:cacheprovider tests/unit tests/convergence \
  --deselect tests/unit/test_config.py::test_cli_refuses_to_overwrite_a_run_without_force \
  --deselect tests/unit/test_user_model_toml.py::test_three_species_toml_model_runs \
  "tests/demos/test_demos.py::test_demo_reproduces_its_stored_quantity[classical_vs_fractional]"
say "tests passed in $(( $(date +%s) - t1 )) s"
