#!/usr/bin/env bash
# Build the Apptainer image of docker/apptainer.def on this machine and check it (`make image-check`).
#
# For machines with no Apptainer package (Debian 12) and no container daemon.  Idempotent:
#   1. a Debian sid "builder" root with Debian's apptainer, debootstrap, squashfs-tools and
#      squashfuse, made once with debootstrap (as docker/env.sh makes its root);
#   2. `apptainer build` of docker/apptainer.def inside that root, unless the image is newer
#      than its inputs (the definition and the repository's files, by content hash);
#   3. checks in the image: `apptainer test` (%test), a short Keller-Segel demo on 2 MPI ranks,
#      and the serial == parallel test (1 and 2 ranks) run from the image's copy of the tests.
#
# How it runs without a daemon or an Apptainer install on the host: the builder root is entered
# with pivot_root (Apptainer refuses to run in a plain chroot) inside new user, mount and PID
# namespaces whose uid/gid map is the identity on 0-65535.  In that user namespace root has
# every capability (these machines' root lacks CAP_SYS_RESOURCE, which a privileged Apptainer
# build requests), and Apptainer, seeing a user namespace, bind-mounts /sys instead of mounting
# a new sysfs (not allowed without a network namespace) and mounts the image with squashfuse.
# The Debian mirror comes from this machine's apt sources (docker/apt-mirror.sh).
#
# Settings: SIF (image path; default $FEM_CHEMOTAXIS_STATE/images/fem-chemotaxis.sif),
# FEM_CHEMOTAXIS_STATE (default /var/lib/fem-chemotaxis: builder root and images),
# FEM_CHEMOTAXIS_MIRROR (the Debian mirror, overriding the apt sources).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${FEM_CHEMOTAXIS_STATE:-/var/lib/fem-chemotaxis}
BUILDER=$STATE/apptainer-builder
SIF=${SIF:-$STATE/images/fem-chemotaxis.sif}
SIF_DIR=$(dirname "$SIF")
BUILDER_PACKAGES="apptainer debootstrap squashfs-tools squashfuse fuse3 e2fsprogs ca-certificates"
APT="apt-get -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -y -q"
say() { printf '[image-check] %s\n' "$*" >&2; }
now() { date +%s; }
MIRROR=$("$REPO/docker/apt-mirror.sh")
mkdir -p "$STATE" "$SIF_DIR"
case "$SIF_DIR/" in "$REPO"/*) say "SIF must be outside the repository (it would be copied into the image)"; exit 2 ;; esac

# Run a command as root in the builder root: identity-mapped user namespace + mount and PID
# namespaces, pivot_root into the root, the repository and the image directory at their paths.
in_builder() {
  unshare --user --mount --pid --fork --propagation private /bin/bash -c '
    while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.05; done
    set -e
    ROOT=$1; REPO=$2; SIF_DIR=$3; shift 3
    mount --bind "$ROOT" "$ROOT"
    mount -t proc proc "$ROOT/proc"
    mount --rbind /sys "$ROOT/sys"
    mount --rbind /dev "$ROOT/dev"
    mkdir -p "$ROOT$REPO" "$ROOT$SIF_DIR" "$ROOT/.old-root"
    mount --bind "$REPO" "$ROOT$REPO"
    mount --bind "$SIF_DIR" "$ROOT$SIF_DIR"
    cd "$ROOT"
    pivot_root . .old-root
    exec /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/sh -c "cd / && umount -l /.old-root && exec \"\$@\"" in-builder "$@"' \
    in-builder "$BUILDER" "$REPO" "$SIF_DIR" "$@" &
  local pid=$! i
  # Map uids/gids 0-65535 to themselves once unshare has made the namespace (root may).
  for i in $(seq 200); do
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
    sleep 0.05
  done
  echo "0 0 65536" >"/proc/$pid/uid_map"
  echo "0 0 65536" >"/proc/$pid/gid_map"
  wait "$pid"
}

# 1. The builder root (once; again when the package list above changes).
builder_stamp=$(echo "$BUILDER_PACKAGES" | sha256sum | cut -c1-16)
if [ "$(cat "$BUILDER/.fem-chemotaxis-builder" 2>/dev/null)" != "$builder_stamp" ]; then
  command -v debootstrap >/dev/null || { say "installing debootstrap on the host"; apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  if [ ! -x "$BUILDER/usr/bin/apt-get" ]; then
    say "creating the builder root $BUILDER (debootstrap minbase sid from $MIRROR; about 1 minute)"
    rm -rf "$BUILDER.partial"
    debootstrap --variant=minbase sid "$BUILDER.partial" "$MIRROR" >/dev/null
    mv "$BUILDER.partial" "$BUILDER"
  fi
  say "installing $BUILDER_PACKAGES into the builder root"
  in_builder /bin/sh -c "$APT update >/dev/null && DEBIAN_FRONTEND=noninteractive $APT install $BUILDER_PACKAGES >/dev/null"
  echo "$builder_stamp" >"$BUILDER/.fem-chemotaxis-builder"
fi
# Apptainer binds these into what it runs; keep them as the host has them now.
cp /etc/hosts /etc/resolv.conf "$BUILDER/etc/"
say "$(in_builder apptainer --version)"

# 2. The image, rebuilt when the definition or any file of the repository changed.
inputs_hash() {
  (cd "$REPO" && git ls-files -co --exclude-standard -z | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
hash=$(inputs_hash)
if [ -f "$SIF" ] && [ "$(cat "$SIF.inputs" 2>/dev/null)" = "$hash" ]; then
  say "image $SIF is up to date (inputs $hash)"
else
  say "building $SIF from docker/apptainer.def (25-45 minutes on 2 cores, most of it mksquashfs)"
  t0=$(now)
  rm -f "$SIF.inputs"
  in_builder apptainer build --force --build-arg MIRROR="$MIRROR" --build-arg REPO="$REPO" \
    "$SIF" "$REPO/docker/apptainer.def"
  echo "$hash" >"$SIF.inputs"
  say "image built in $(($(now) - t0)) s: $(du -h "$SIF" | cut -f1)"
fi

# 3. Checks in the image, from a scratch directory (the image is read-only).  OpenMPI runs as
# root here (the user namespace's root), with shared memory between the 2 ranks.
check_env=(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,sm
  OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none PYTHONDONTWRITEBYTECODE=1)
in_image() { in_builder apptainer exec --pwd /tmp/fem-chemotaxis-check "$SIF" env "${check_env[@]}" "$@"; }
rm -rf "$BUILDER/tmp/fem-chemotaxis-check" && mkdir -p "$BUILDER/tmp/fem-chemotaxis-check"

say "apptainer test (the image's %test: imports DOLFINx and fem_chemotaxis)"
in_builder apptainer test "$SIF"

say "demo keller_segel.toml cut to t_end = 1.5 (15 steps) on 2 MPI ranks in the image"
t0=$(now)
in_image /bin/sh -c 'sed "s/^t_end = .*/t_end = 1.5/" /opt/fem_chemotaxis/demos/keller_segel.toml >ks.toml &&
  mpiexec -n 2 fem-chemotaxis run ks.toml --output ks --force &&
  python3 -c "import json; s = json.load(open(\"ks/summary.json\")); print(\"status\", s[\"status\"]); assert s[\"status\"] == \"completed\", s[\"status\"]"'
say "demo done in $(($(now) - t0)) s"

say "tests/mpi/test_serial_equals_parallel.py in the image (the same run on 1 and on 2 ranks)"
t0=$(now)
in_image /bin/sh -c 'cd /opt/fem_chemotaxis && python3 -m pytest -p no:cacheprovider -q \
  --basetemp=/tmp/fem-chemotaxis-check/pytest tests/mpi/test_serial_equals_parallel.py'
say "test done in $(($(now) - t0)) s"
say "done: $SIF built from docker/apptainer.def and checked"
