#!/usr/bin/env bash
# Compile bpf/tracer.bpf.c → .output/tracer.bpf.o and generate src/decode/layout.gen.ts from its
# BTF. (The shared libraries the binary embeds: scripts/build-libs.sh.)
#
# Usage: scripts/build-bpf.sh [--objects-only]
# Env: TARGET (the machine's arch: x86_64 or aarch64; --objects-only builds for another one).
# Env (for tests of this pipeline): BPF_DIR (bpf), OUT_DIR (.output), LAYOUT_OUT
# (src/decode/layout.gen.ts), BUN (node_modules/.bin/bun), BPFTOOL.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BPF_DIR=${BPF_DIR:-bpf}
OUT_DIR=${OUT_DIR:-.output}
LAYOUT_OUT=${LAYOUT_OUT:-src/decode/layout.gen.ts}
BUN=${BUN:-$ROOT/node_modules/.bin/bun}
BPFTOOL=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}

log() { echo "build-bpf: $*" >&2; }
die() { echo "build-bpf: error: $*" >&2; exit 1; }
trap 'echo "build-bpf: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

case "${TARGET:-$(uname -m)}" in
  x86_64) TARGET_ARCH=x86; MULTIARCH=x86_64-linux-gnu ;;
  aarch64) TARGET_ARCH=arm64; MULTIARCH=aarch64-linux-gnu ;;
  *) die "unsupported architecture ${TARGET:-$(uname -m)}" ;;
esac

# ---- BPF object ------------------------------------------------------------------------------
[ -f "$BPF_DIR/tracer.bpf.c" ] || die "$BPF_DIR/tracer.bpf.c not found"
[ -x "$BPFTOOL" ] || die "bpftool not found (apt-get install bpftool)"
mkdir -p "$OUT_DIR"

# Two variants (see the top of tracer.bpf.c): the default one (Linux 5.17+) and TRACER_LEGACY
# (5.10+); src/load/kernel-features.ts picks one at start from probes of the kernel.
compile() { # compile OUT [CLANG-ARGS...]
  local out=$1; shift
  log "clang $BPF_DIR/tracer.bpf.c $* → $out"
  clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_$TARGET_ARCH "$@" \
    -I "$BPF_DIR" -I "/usr/include/$HOST_MULTIARCH" \
    -c "$BPF_DIR/tracer.bpf.c" -o "$out.tmp"
  mv -f "$out.tmp" "$out"
}
# <asm/types.h> for the BPF target comes from the build machine's own linux-libc-dev.
HOST_MULTIARCH=$(uname -m)-linux-gnu
compile "$OUT_DIR/tracer.bpf.o"
compile "$OUT_DIR/tracer-legacy.bpf.o" -DTRACER_LEGACY
[ "${1:-}" = "--objects-only" ] && exit 0

# clang leaves DATASEC sizes and variable offsets at 0 in its BTF (libbpf fixes them up at
# open from the symbol table). bpftool's static linker writes them out, so the layout is
# generated from a linked copy; the object we embed is clang's own.
"$BPFTOOL" gen object "$OUT_DIR/tracer.linked.o" "$OUT_DIR/tracer.bpf.o"
"$BPFTOOL" btf dump file "$OUT_DIR/tracer.linked.o" format raw -j > "$OUT_DIR/tracer.btf.json"

log "layout → $LAYOUT_OUT"
mkdir -p "$(dirname "$LAYOUT_OUT")"
"$BUN" "$ROOT/scripts/gen-layout.ts" \
  --btf "$OUT_DIR/tracer.btf.json" --header "$BPF_DIR/tracer.h" \
  --object "$OUT_DIR/tracer.bpf.o" --source ".output/tracer.bpf.o" --out "$LAYOUT_OUT"
