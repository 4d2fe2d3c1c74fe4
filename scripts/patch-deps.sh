#!/usr/bin/env bash
# Patches to installed packages: patches/NAME+VERSION.patch against node_modules/NAME, applied
# after npm installs (scripts/build.sh; npm here runs no install scripts, so no postinstall hook).
# Idempotent: a patch already in place is left alone. Fails when the installed version is not the
# patch's or the text it changes has moved. --check: only say whether every patch is in place.
# Prints "applied" on stdout when it changed a file.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
NAME=patch-deps
source scripts/lib.sh

check=false
[ "${1:-}" = "--check" ] && check=true
for p in patches/*.patch; do
  base=$(basename "$p" .patch) # cac+7.1.1
  pkg=${base%+*} want=${base##*+}
  have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "node_modules/$pkg/package.json" 2>/dev/null || true)
  [ "$have" = "$want" ] || die "$p is for $pkg $want, node_modules has ${have:-no $pkg} (package.json pins it)"
  if patch -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then continue; fi # in place
  $check && die "$p is not applied (bash scripts/patch-deps.sh)"
  patch -p1 -N --dry-run -s -f <"$p" >/dev/null 2>&1 || die "$p does not apply to node_modules/$pkg: the upstream text moved"
  patch -p1 -N -s -f --no-backup-if-mismatch <"$p" >&2
  log "applied $p"
  echo applied
done
