#!/bin/sh
# Install the pinned FEniCSx stack from Debian's own packages.
#
# The single source of truth for fem_chemotaxis's environment: run as root inside
# Debian sid, by `docker/env.sh` (in a root file system on the host) and by
# `docker/Dockerfile`.  Versions are pinned (upstream version, any Debian revision);
# if the mirror no longer serves one, apt-get fails and so does this script.
set -eu

APT="apt-get -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -y -q"
PACKAGES="
python3-dolfinx-real=1:0.11.0.post0-*
python3-petsc4py-real=3.25.*
python3-slepc4py-real=3.25.*
python3-adios4dolfinx=0.11.*
python3-h5py-mpi=3.16.*
python3-gmsh=4.15.*
python3-pyvista=0.49.*
python3-pytest=9.*
python3-hypothesis=6.*
ruff=0.16.*
mypy=2.4.*
python3-venv
python3-pip
python3-setuptools
python3-dev
g++
make
openmpi-bin
ca-certificates
"

export DEBIAN_FRONTEND=noninteractive
update-ca-certificates >/dev/null 2>&1 || true
$APT update
# shellcheck disable=SC2086
$APT install $PACKAGES
apt-get clean

python3 - <<'PY'
import dolfinx, petsc4py, slepc4py, adios4dolfinx, gmsh, pyvista
from petsc4py import PETSc
assert dolfinx.__version__.startswith("0.11"), dolfinx.__version__
print("fem_chemotaxis stack: DOLFINx", dolfinx.__version__, "| PETSc",
      ".".join(map(str, PETSc.Sys.getVersion())), "| adios4dolfinx", adios4dolfinx.__version__,
      "| gmsh", gmsh.__version__, "| pyvista", pyvista.__version__)
PY
