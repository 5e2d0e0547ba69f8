#!/usr/bin/env bash
# Print the Debian mirror to build root file systems from: $FEM_CHEMOTAXIS_MIRROR if set,
# otherwise the first Debian archive this machine's own apt sources name (deb822 `URIs:` in
# /etc/apt/sources.list.d/*.sources, or `deb URI SUITE` lines in *.list files).  Security
# archives are skipped.  Exits 1 with a message when neither gives a mirror.
set -euo pipefail

if [ -n "${FEM_CHEMOTAXIS_MIRROR:-}" ]; then
  echo "$FEM_CHEMOTAXIS_MIRROR"
  exit 0
fi
shopt -s nullglob
uris=()
for f in /etc/apt/sources.list.d/*.sources; do
  while read -r key rest; do
    [ "$key" = "URIs:" ] && for u in $rest; do uris+=("$u"); done
  done < "$f"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  while read -r kind first second _; do
    [ "$kind" = deb ] || continue
    case "$first" in \[*) uris+=("$second") ;; *) uris+=("$first") ;; esac
  done < "$f"
done
for u in "${uris[@]}"; do
  case "$u" in *security*) continue ;; http://*|https://*|file:/*) echo "${u%/}"; exit 0 ;; esac
done
echo "no Debian mirror found in this machine's apt sources; set FEM_CHEMOTAXIS_MIRROR" >&2
exit 1
