#!/usr/bin/env bash
# Build ./tracer from a fresh Debian/Ubuntu machine: system packages, node_modules, BPF objects,
# layout, then `bun build --compile`; with --arm64 also ./tracer-arm64 (scripts/build-arm64.sh).
# Each step is skipped when its outputs are newer than its inputs, so a second run with nothing
# changed takes well under a second. Progress → stderr.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

BUN=node_modules/.bin/bun
NAME=build
source scripts/lib.sh

# ---- system packages (checked cheaply; apt only when something is missing) -------------------
PKGS=(clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev linux-libc-dev bpftool auditd jq libcap2-bin strace make patch gcc libc6-dev dpkg-dev nats-server openssl chromium)
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v llvm-strip >/dev/null || missing+=(llvm)
command -v clang-format >/dev/null || missing+=(clang-format) # npm run lint:bpf
command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || missing+=(bpftool)
command -v auditctl >/dev/null || [ -x /usr/sbin/auditctl ] || missing+=(auditd) # test/kernel/audit.test.ts
command -v jq >/dev/null || missing+=(jq) # test/kernel/screen.test.ts runs docs/usage.md's jq recipes
command -v setcap >/dev/null || [ -x /usr/sbin/setcap ] || [ -x /sbin/setcap ] || missing+=(libcap2-bin) # test/kernel/who.test.ts
command -v strace >/dev/null || missing+=(strace) # test/kernel/ci.test.ts: the build's ground truth
command -v make >/dev/null || missing+=(make)
command -v patch >/dev/null || missing+=(patch) # scripts/patch-deps.sh
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || [ -x /usr/bin/nats-server ] || missing+=(nats-server) # test/nats/: a real JetStream on loopback
command -v openssl >/dev/null || missing+=(openssl) # test/nats/: its TLS certificates
command -v gcc >/dev/null || missing+=(gcc libc6-dev) # test fixtures
command -v dpkg-source >/dev/null || missing+=(dpkg-dev) # scripts/build-libs.sh: apt-get source
command -v chromium >/dev/null || missing+=(chromium) # test/kernel/timeline.test.ts: the HTML report, speedscope, Mermaid
for p in libbpf-dev libelf-dev zlib1g-dev linux-libc-dev; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root to apt-get install ${missing[*]}"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >&2; then
    # Ubuntu ships bpftool in linux-tools, not as its own package.
    # (Ubuntu's chromium is a snap, left out here: the browser tests want Debian's)
    $SUDO apt-get install -y -qq --no-install-recommends clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev linux-libc-dev auditd jq libcap2-bin strace make patch gcc libc6-dev dpkg-dev nats-server openssl linux-tools-common linux-tools-generic >&2
  fi
fi

# ---- node_modules -----------------------------------------------------------------------------
if [ ! -x "$BUN" ] || [ package.json -nt node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  if [ -f package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund >&2
  else
    log "npm install"
    npm install --no-audit --no-fund >&2
  fi
  touch node_modules/.package-lock.json
fi
# Patches to installed packages (patches/; npm here runs no install scripts): applied once, checked
# every time; a patch that no longer applies stops the build.
command -v patch >/dev/null || die "patch is missing (apt-get install patch)"
applied=$(bash scripts/patch-deps.sh) # set -e: a patch that fails stops here
if [ -n "$applied" ]; then touch node_modules/.package-lock.json; fi
if ! "$BUN" --version >/dev/null 2>&1; then
  # npm may skip bun's postinstall (allowScripts), which leaves a placeholder: run it ourselves.
  log "$BUN does not run (npm skipped bun's install script?): running node_modules/bun/install.js"
  (cd node_modules/bun && node install.js) >&2 || true
  "$BUN" --version >/dev/null || die "$BUN does not run"
fi

# ---- embedded libraries (built from Debian's sources for old glibc: scripts/build-libs.sh) -----
if stale .output/libs.stamp scripts/build-libs.sh scripts/libs scripts/check-glibc.ts src/session/glibc.ts \
  || [ ! -f .output/lib/libbpf.so.1 ] || [ ! -f .output/lib/libelf.so.1 ] || [ ! -f .output/lib/libz.so.1 ]; then
  rm -f .output/libs.stamp
  bash scripts/build-libs.sh
  touch .output/libs.stamp
fi

# ---- BPF object, layout ---------------------------------------------------------------------
# .output/bpf.stamp is touched only after build-bpf.sh succeeded (the layout file keeps its
# mtime when its content did not change, so it cannot serve as the stamp).
if stale .output/bpf.stamp bpf scripts/build-bpf.sh scripts/gen-layout.ts \
  || [ ! -f .output/tracer.bpf.o ] || [ ! -f .output/tracer-legacy.bpf.o ] || [ ! -f src/decode/layout.gen.ts ]; then
  rm -f .output/bpf.stamp
  bash scripts/build-bpf.sh
  touch .output/bpf.stamp
fi

# ---- the stub that starts -- COMMAND (src/session/command-shim.c: static, no libc, embedded) ---------
if stale .output/command-shim src/session/command-shim.c scripts/build-shim.sh; then
  log "clang src/session/command-shim.c → .output/command-shim"
  bash scripts/build-shim.sh .output/command-shim
fi

# ---- the binary -------------------------------------------------------------------------------
if stale tracer src ffi .output/tracer.bpf.o .output/lib .output/command-shim scripts/seal-runtime-env.ts package.json bunfig.toml tsconfig.json node_modules/.package-lock.json patches; then
  log "bun build --compile --bytecode src/main.ts → tracer"
  # --bytecode: JavaScriptCore bytecode compiled ahead, ~9 ms less start-up than parsing the bundle.
  # No autoloading of bunfig.toml or .env from the working directory: a bunfig.toml preload
  # there would run its code inside a root process.
  # x86-64: Bun's baseline runtime (no AVX2 needed; Nehalem-class CPUs and qemu's models run it).
  # Measured against the default runtime: decoder pipeline rates and start-up equal within noise
  # (docs/kernels.md).
  target=()
  [ "$(uname -m)" = x86_64 ] && target=(--target=bun-linux-x64-baseline)
  "$BUN" build --compile --bytecode "${target[@]}" --no-compile-autoload-bunfig --no-compile-autoload-dotenv \
    src/main.ts --outfile tracer.tmp >&2
  # Nor from Bun's own variables in the environment (BUN_OPTIONS=--preload …): see the script.
  "$BUN" scripts/seal-runtime-env.ts tracer.tmp
  "$BUN" scripts/check-glibc.ts tracer.tmp # Bun's runtime: its floor is below ours, as long as this passes
  chmod 755 tracer.tmp
  mv -f tracer.tmp tracer
else
  log "tracer is up to date"
fi

# ---- the arm64 binary (cross-built), on request ----------------------------------------------
if [ "${1:-}" = "--arm64" ]; then bash scripts/build-arm64.sh; fi
