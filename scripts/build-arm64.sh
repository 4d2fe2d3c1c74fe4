#!/usr/bin/env bash
# Cross-build ./tracer-arm64 on x86-64: the BPF objects for arm64 (syscall numbers and user
# registers differ), libbpf/libelf/libz cross-compiled from Debian's sources by
# scripts/build-libs.sh (the same glibc floor as x86-64), and Bun's arm64 runtime
# (bun build --compile --target=bun-linux-arm64). Called by `scripts/build.sh --arm64`
# after the native build (it reuses its node_modules and layout).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
OUT=.output/arm64
TREE=$OUT/tree # a copy of the sources whose ../.output holds the arm64 objects and libraries
NAME=build-arm64
source scripts/lib.sh

mkdir -p "$TREE/.output/lib"
if stale "$TREE/.output/libs.stamp" scripts/build-libs.sh scripts/libs scripts/check-glibc.ts src/session/glibc.ts; then
  LIB_DIR="$TREE/.output/lib" bash scripts/build-libs.sh aarch64
  touch "$TREE/.output/libs.stamp"
fi
if stale "$TREE/.output/bpf.stamp" bpf scripts/build-bpf.sh; then
  TARGET=aarch64 OUT_DIR="$TREE/.output" bash scripts/build-bpf.sh --objects-only
  touch "$TREE/.output/bpf.stamp"
fi
if stale "$TREE/.output/command-shim" src/session/command-shim.c scripts/build-shim.sh; then
  if ! command -v ld.lld >/dev/null; then # the linker for the arm64 shim
    log "installing lld"
    [ "$(id -u)" -eq 0 ] || die "ld.lld not found and not root to apt-get install lld"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends lld >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lld >&2; }
  fi
  log "clang --target=aarch64-linux-gnu src/session/command-shim.c → $TREE/.output/command-shim"
  bash scripts/build-shim.sh "$TREE/.output/command-shim" --target=aarch64-linux-gnu -fuse-ld=lld
fi
if stale tracer-arm64 src ffi "$TREE/.output" scripts/seal-runtime-env.ts package.json bunfig.toml tsconfig.json; then
  rm -rf "$TREE/src" "$TREE/ffi"
  cp -r src ffi package.json tsconfig.json bunfig.toml "$TREE/"
  ln -sfn "$PWD/node_modules" "$TREE/node_modules"
  log "bun build --compile --target=bun-linux-arm64 → tracer-arm64"
  "$BUN" build --compile --bytecode --target=bun-linux-arm64 --no-compile-autoload-bunfig --no-compile-autoload-dotenv \
    "$TREE/src/main.ts" --outfile tracer-arm64.tmp >&2
  "$BUN" scripts/seal-runtime-env.ts tracer-arm64.tmp # as scripts/build.sh does for ./tracer
  "$BUN" scripts/check-glibc.ts tracer-arm64.tmp
  chmod 755 tracer-arm64.tmp
  mv -f tracer-arm64.tmp tracer-arm64
else
  log "tracer-arm64 is up to date"
fi
