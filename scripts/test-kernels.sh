#!/usr/bin/env bash
# Kernel matrix: boot Debian's cloud kernels under qemu (TCG) with the freshly built tracer in a
# busybox initramfs, run the end-to-end scenarios of scripts/kernels/init.sh in each, and check
# their output against what the guest's shell reported (scripts/kernels/check.ts).
# A boot that never reached the guest's init is retried (some kernels oops at boot under TCG);
# a failed check never is. Last line: "kernels: N passed, N failed" (checks, over all kernels).
#
# Env: TRACER_KERNEL_CACHE (default /var/cache/tracer-kernels; downloads are kept there),
#      KERNELS (default: all rows of MATRIX below, by name, space separated), KEEP_LOGS (a directory
#      to copy the guests' console logs to).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${TRACER_KERNEL_CACHE:-/var/cache/tracer-kernels}
BUN=$ROOT/node_modules/.bin/bun
BOOT_TRIES=3
BOOT_TIMEOUT=600
log() { echo "kernels: $*" >&2; }
die() { echo "kernels: error: $*" >&2; exit 1; }
trap 'echo "kernels: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

# name suite arch cpu binary
MATRIX=(
  "5.10 bullseye amd64 max tracer"
  "6.1 bookworm amd64 max tracer"
  "6.12 trixie amd64 max tracer"
  "sid sid amd64 max tracer"
  "6.1-noavx2 bookworm amd64 Nehalem tracer"
  # SVE off: with it (any vector length), Bun's arm64 runtime dies of SIGSEGV mid-run under
  # qemu 7.2's TCG (docs/kernels.md, "Kernel matrix").
  "6.1-arm64 bookworm arm64 max,sve=off tracer-arm64"
)
want=${KERNELS:-}
rows=()
for r in "${MATRIX[@]}"; do
  read -r name _ <<< "$r"
  if [ -z "$want" ] || [[ " $want " == *" $name "* ]]; then rows+=("$r"); fi
done
[ ${#rows[@]} -gt 0 ] || die "KERNELS='$want' names no row (rows: $(printf '%s ' "${MATRIX[@]%% *}"))"

# ---- host packages -------------------------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v qemu-system-aarch64 >/dev/null || missing+=(qemu-system-arm)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx poweroff && file -L /bin/busybox | grep -q 'statically linked' || missing+=(busybox-static)
command -v cpio >/dev/null || missing+=(cpio)
command -v file >/dev/null || missing+=(file)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ---- binaries and kernels ------------------------------------------------------------------
bash scripts/build.sh --arm64
specs=()
for r in "${rows[@]}"; do read -r _ suite arch _ <<< "$r"; specs+=("$suite:$arch"); done
bash scripts/kernels/fetch.sh "$CACHE" "${specs[@]}"

work=$(mktemp -d /tmp/tracer-kernels.XXXXXX)
trap 'rm -rf "$work"' EXIT

# initramfs ARCH BINARY OUT: busybox, the tracer as /tracer, its interpreter and libraries (and
# /threads on amd64).
initramfs() {
  local arch=$1 bin=$2 out=$3 root=$work/root-$arch sysroot libdir
  case "$arch" in
    amd64) sysroot=/ libdir=lib/x86_64-linux-gnu ;;
    arm64) sysroot=$CACHE/arm64-root libdir=lib/aarch64-linux-gnu ;;
  esac
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc}
  cp "$sysroot/bin/busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  mknod -m 600 "$root/dev/console" c 5 1
  cp "$ROOT/scripts/kernels/init.sh" "$root/init"
  chmod +x "$root/init"
  cp "$ROOT/$bin" "$root/tracer"
  # Threads that exit together (scenario 4), built for amd64 rows only: the host has no arm64
  # C library to link against.
  if [ "$arch" = amd64 ]; then gcc -O2 -Wall -pthread "$ROOT/scripts/kernels/threads.c" -o "$root/threads"; fi
  local interp lib
  interp=$(readelf -l "$ROOT/$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  mkdir -p "$root$(dirname "$interp")"
  cp -L "$sysroot/$interp" "$root$interp"
  echo "$interp" > "$root/etc/interp" # the checker's truth for interpreter_pathname
  mkdir -p "$root/$libdir"
  # The binary's own NEEDED list, plus libc for the libraries it embeds (libbpf, libelf, libz).
  for lib in $(readelf -d "$ROOT/$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p') libc.so.6; do
    cp -L "$sysroot/$libdir/$lib" "$root/$libdir/$lib" 2>/dev/null || cp -L "$sysroot/usr/$libdir/$lib" "$root/$libdir/$lib"
  done
  (cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
  rm -rf "$root"
}

# boot ARCH CPU KERNEL INITRD LOG: one VM, console to LOG. Single-threaded TCG (the two vCPUs
# take turns on one host thread): with one host thread per vCPU, 6.12 and sid kernels oopsed now
# and then at boot and once mid-run (in code the kernel patches at run time, e.g. the static keys
# a tracepoint attach flips), which looks like qemu's cross-vCPU code modification.
boot() {
  local arch=$1 cpu=$2 kernel=$3 initrd=$4 logf=$5
  local cmdline="panic=-1 quiet loglevel=1"
  case "$arch" in
    amd64) timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=single -cpu "$cpu" -smp 2 -m 1536 \
             -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
             -append "console=ttyS0 $cmdline" < /dev/null > "$logf" 2>&1 || true ;;
    arm64) timeout "$BOOT_TIMEOUT" qemu-system-aarch64 -accel tcg,thread=single -machine virt -cpu "$cpu" -smp 2 -m 1536 \
             -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
             -append "console=ttyAMA0 $cmdline" < /dev/null > "$logf" 2>&1 || true ;;
  esac
}

passed=0 failed=0
table=()
declare -A built=()
for r in "${rows[@]}"; do
  read -r name suite arch cpu bin <<< "$r"
  if [ ! -x "$bin" ]; then
    log "$name: FAIL: $bin was not built"
    failed=$((failed + 1))
    table+=("| $name | - | $arch | $cpu | 0 | 0 | 1 (no $bin) | - | 0 s |")
    continue
  fi
  initrd=$work/initrd-$arch-$bin.cpio
  if [ -z "${built[$initrd]:-}" ]; then initramfs "$arch" "$bin" "$initrd"; built[$initrd]=1; fi
  release=$(cat "$CACHE/$suite-$arch/release")
  logf=$work/$name.log
  tries=0 start=$SECONDS
  while :; do
    tries=$((tries + 1))
    log "$name: booting $release ($arch, -cpu $cpu), attempt $tries"
    boot "$arch" "$cpu" "$CACHE/$suite-$arch/vmlinuz" "$initrd" "$logf"
    grep -aq '@@BOOT ' "$logf" && break
    if [ $tries -ge $BOOT_TRIES ]; then break; fi
    log "$name: the guest's init never ran; last console lines:"
    tail -5 "$logf" | sed 's/^/  | /' >&2
  done
  secs=$((SECONDS - start))
  result=$("$BUN" scripts/kernels/check.ts "$logf" "$name" "$cpu") || true
  echo "$result" | grep -v '^@@' >&2
  startup=$(echo "$result" | sed -n 's/^@@STARTUP //p')
  p=$(echo "$result" | sed -n 's/^@@COUNT \([0-9]*\) \([0-9]*\)$/\1/p')
  f=$(echo "$result" | sed -n 's/^@@COUNT \([0-9]*\) \([0-9]*\)$/\2/p')
  p=${p:-0} f=${f:-1}
  if [ -n "${KEEP_LOGS:-}" ]; then cp "$logf" "$KEEP_LOGS/"; fi # KEEP_LOGS=DIR: the consoles, for a look
  passed=$((passed + p)) failed=$((failed + f))
  startup=${startup:+$startup s}
  table+=("| $name | $release | $arch | $cpu | $tries | $p | $f | ${startup:--} | ${secs} s |")
done

echo
echo "| row | kernel | arch | -cpu | boots | checks passed | failed | start-up | time |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
echo "kernels: $passed passed, $failed failed"
exit $((failed > 0 ? 1 : 0))
