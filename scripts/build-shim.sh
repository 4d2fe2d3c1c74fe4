#!/usr/bin/env bash
# Compile src/session/command-shim.c (the stub that starts -- COMMAND: static, no libc, embedded) to OUT.
# Usage: scripts/build-shim.sh OUT [CLANG-ARGS...]   (e.g. --target=aarch64-linux-gnu -fuse-ld=lld)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
mkdir -p "$(dirname "$out")"
clang "$@" -Os -Wall -Wextra -Werror -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie \
  -fno-asynchronous-unwind-tables -Wl,--build-id=none -Wl,-z,noexecstack \
  -o "$out.tmp" src/session/command-shim.c
mv -f "$out.tmp" "$out"
