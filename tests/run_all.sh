#!/usr/bin/env bash
# The whole suite: lint and type checks (ruff, mypy; settings in pyproject.toml), a serial
# pass, then every test not marked `serial` on NP MPI ranks.
# Rank 0 prints; the other ranks' output goes to results/pytest-rank*.log.
set -euo pipefail
NP=${1:-2}
mkdir -p results
ruff check .
ruff format --check .
mypy
python -m pytest tests
mpiexec -n "$NP" bash -c '
  rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}
  if [ "$rank" = 0 ]; then
    exec python -m pytest tests -m "not serial" -p no:cacheprovider
  else
    exec python -m pytest tests -m "not serial" -p no:cacheprovider > "results/pytest-rank$rank.log" 2>&1
  fi'
