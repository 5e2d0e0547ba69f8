#!/usr/bin/env bash
# Run a command inside fem_chemotaxis's environment, creating the environment first if needed.
#
#   docker/env.sh CMD [ARGS...]
#
# Where the host Python already has DOLFINx >= 0.10 (conda, Spack, Debian sid, wheels),
# that Python is used.  Otherwise a Debian sid root file system with the pinned stack of
# docker/install-stack.sh is built once (about 3 minutes) in $FEM_CHEMOTAXIS_ROOT and reused;
# commands run in it through a private mount namespace (nothing stays mounted afterwards),
# or through proot where mounting is not allowed.  In both cases the package is installed
# editable into $REPO/.venv, which sees the system's DOLFINx.  The JIT cache of FFCx lives
# in that environment's home directory and persists between runs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${FEM_CHEMOTAXIS_ROOT:-/var/lib/fem-chemotaxis/sid}
STACK_SCRIPT=$REPO/docker/install-stack.sh
say() { printf '[env] %s\n' "$*" >&2; }

[ $# -gt 0 ] || { echo "usage: docker/env.sh CMD [ARGS...]" >&2; exit 2; }

host_has_dolfinx() {
  python3 - <<'PY' >/dev/null 2>&1
import dolfinx, sys
major, minor = (int(x) for x in dolfinx.__version__.split(".")[:2])
sys.exit(0 if (major, minor) >= (0, 10) else 1)
PY
}

# The command run inside the environment: make/refresh the venv, then exec the user's command.
inner_script='
set -e
cd "$REPO"
stamp="$(python3 -c "import sys; print(sys.version)" | head -1) $(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.fem-chemotaxis-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "[env] installing fem_chemotaxis (editable) into $REPO/.venv" >&2
  rm -rf .venv
  python3 -m venv --system-site-packages .venv
  .venv/bin/pip install --quiet --no-deps --no-build-isolation --no-index -e . >&2
  echo "$stamp" > .venv/.fem-chemotaxis-stamp
fi
export PATH="$REPO/.venv/bin:$PATH"
exec "$@"
'

if host_has_dolfinx; then
  export REPO
  exec bash -c "$inner_script" env-inner "$@"
fi

stack_stamp=$(sha256sum "$STACK_SCRIPT" | cut -c1-16)

build_root() {
  command -v debootstrap >/dev/null || { say "installing debootstrap on the host"; apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    local mirror
    mirror=$("$REPO/docker/apt-mirror.sh")
    say "creating a Debian sid root file system in $ROOT from $mirror (once; about 30 s)"
    rm -rf "$ROOT.partial"
    debootstrap --variant=minbase sid "$ROOT.partial" "$mirror" >/dev/null
    mv "$ROOT.partial" "$ROOT"
  fi
  # Trust this machine's extra CA certificates inside the root too.
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  fi
  cp "$STACK_SCRIPT" "$ROOT/tmp/install-stack.sh"
  say "installing the pinned FEniCSx stack into $ROOT (once; about 2-3 minutes)"
  run_in_root /bin/sh /tmp/install-stack.sh
  echo "$stack_stamp" > "$ROOT/.fem-chemotaxis-stack"
}

# Run a command inside the root, with the repository visible at the same path.
run_in_root() {
  local envs=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    LANG=C.UTF-8 TERM="${TERM:-dumb}" REPO="$REPO" PIP_CERT=/etc/ssl/certs/ca-certificates.crt
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,sm
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
    PYVISTA_OFF_SCREEN=true VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow OMP_NUM_THREADS=1)
  local name
  for name in CI PETSC_OPTIONS $(compgen -e | grep -E '^FEM_CHEMOTAXIS_' || true); do
    [ -n "${!name+x}" ] && envs+=("$name=${!name}")
  done
  if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
    unshare --mount --propagation private /bin/bash -c '
      set -e
      ROOT=$1; REPO=$2; shift 2
      mount -t proc proc "$ROOT/proc"
      mount --rbind /sys "$ROOT/sys"
      mount --rbind /dev "$ROOT/dev"
      mkdir -p "$ROOT$REPO"
      mount --bind "$REPO" "$ROOT$REPO"
      exec chroot "$ROOT" /usr/bin/env -i "$@"' mount-root "$ROOT" "$REPO" "${envs[@]}" "${@}"
  else
    command -v proot >/dev/null || { say "neither mount namespaces nor proot are available: install proot"; exit 1; }
    exec proot -r "$ROOT" -b /proc -b /sys -b /dev -b "$REPO" -w "$REPO" /usr/bin/env -i "${envs[@]}" "$@"
  fi
}

mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9
if [ "$(cat "$ROOT/.fem-chemotaxis-stack" 2>/dev/null)" != "$stack_stamp" ]; then
  build_root
fi
flock -u 9
run_in_root /bin/bash -c "$inner_script" env-inner "$@"
