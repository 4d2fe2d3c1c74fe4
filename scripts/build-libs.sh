#!/usr/bin/env bash
# Build the shared libraries ./tracer embeds (libz.so.1, libelf.so.1, libbpf.so.1) from Debian's
# source packages, so that they run on glibc GLIBC_FLOOR (src/session/glibc.ts) and later: the
# build machine's own glibc headers name symbol versions up to its glibc (fstat@2.33 in libelf,
# fcntl64@2.28 in libbpf); scripts/libs/glibc-compat.c, linked into each library, binds those
# calls to the versions every glibc exports. scripts/check-glibc.ts then reads every symbol
# version the libraries need and fails the build on one newer than the floor.
#
# Usage: scripts/build-libs.sh [x86_64|aarch64]   (default: this machine's; aarch64 cross-compiles)
# Env: LIB_DIR (the output: .output/lib), WORK (.output/libs/ARCH: build trees, kept for reuse).
# Sources: apt-get source from SUITE through scripts/kernels/fetch.sh (cached in .output/libs/src).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
NAME=build-libs
source scripts/lib.sh

ARCH=${1:-$(uname -m)}
SUITE=bookworm # the same versions as the libbpf-dev/libelf-dev headers build.sh installs
SRC=.output/libs/src
WORK=${WORK:-.output/libs/$ARCH}
LIB_DIR=${LIB_DIR:-.output/lib}
BUN=${BUN:-node_modules/.bin/bun}

# Debian's hardening flags (dpkg-buildflags with hardening=+all), without debug info.
CFLAGS="-O2 -fstack-protector-strong -fstack-clash-protection -Wformat -Werror=format-security -D_FORTIFY_SOURCE=2"
case "$ARCH" in
  x86_64) CC=gcc; CFLAGS+=" -fcf-protection" ;;
  aarch64)
    CC=aarch64-linux-gnu-gcc
    if ! command -v "$CC" >/dev/null; then
      log "installing gcc-aarch64-linux-gnu (the cross compiler)"
      [ "$(id -u)" -eq 0 ] || die "$CC not found and not root to apt-get install gcc-aarch64-linux-gnu"
      export DEBIAN_FRONTEND=noninteractive
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross >&2 \
        || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross >&2; }
    fi
    CFLAGS+=" -mbranch-protection=standard" ;;
  *) die "unsupported architecture $ARCH" ;;
esac
LDFLAGS="-Wl,-z,relro -Wl,-z,now"
MAKE=(make -j"$(nproc)" -s)
abs() { echo "$PWD/$1"; }

# ---- sources -------------------------------------------------------------------------------
if [ ! -f "$SRC/.done" ]; then
  bash scripts/kernels/fetch.sh --source "$SRC" "$SUITE" zlib elfutils libbpf
  touch "$SRC/.done"
fi
src_dir() { # the unpacked tree of source package $1
  local d
  d=$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -1)
  [ -n "$d" ] || die "no $1 source in $SRC"
  echo "$d"
}
fresh_copy() { # fresh_copy PKG DIR: a clean copy of PKG's source tree at DIR
  rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -r "$(src_dir "$1")" "$2"
}

mkdir -p "$WORK" "$LIB_DIR"
COMPAT=$(abs "$WORK/glibc-compat.o")
if stale "$COMPAT" scripts/libs/glibc-compat.c scripts/build-libs.sh; then # and so all three, in turn
  "$CC" $CFLAGS -fPIC -c scripts/libs/glibc-compat.c -o "$COMPAT"
fi

# ---- zlib ------------------------------------------------------------------------------------
# Each stage's stamp is touched when it succeeded; a newer stamp of the stage before rebuilds it.
if stale "$WORK/zlib.stamp" "$COMPAT" "$SRC/.done"; then
  log "$ARCH: zlib"
  fresh_copy zlib "$WORK/zlib"
  # As debian/rules: -O3 -D_REENTRANT.
  (cd "$WORK/zlib" && CC=$CC CFLAGS="$CFLAGS -O3 -D_REENTRANT" LDFLAGS="$LDFLAGS" uname=GNU ./configure --shared >&2)
  v=$(sed -n 's/^SHAREDLIBV=//p' "$WORK/zlib/Makefile")
  "${MAKE[@]}" -C "$WORK/zlib" "$v" LDFLAGS="$LDFLAGS $COMPAT" >&2 # and the link libz.so.1 → it
  touch "$WORK/zlib.stamp"
fi
ZLIB=$(abs "$WORK/zlib")

# ---- libelf (elfutils: only lib/ and libelf/) ------------------------------------------------
if stale "$WORK/libelf.stamp" "$WORK/zlib.stamp"; then
  log "$ARCH: elfutils' libelf (configure takes a while)"
  fresh_copy elfutils "$WORK/elfutils"
  host=()
  [ "$ARCH" = "$(uname -m)" ] || host=(--host="$ARCH-linux-gnu")
  (cd "$WORK/elfutils" && ./configure -q "${host[@]}" CC="$CC" CFLAGS="$CFLAGS" CPPFLAGS="-I$ZLIB" LDFLAGS="-L$ZLIB" \
    --disable-debuginfod --disable-libdebuginfod --disable-nls --without-bzlib --without-lzma --without-zstd >&2)
  "${MAKE[@]}" -C "$WORK/elfutils/lib" >&2
  "${MAKE[@]}" -C "$WORK/elfutils/libelf" libelf.so LDFLAGS="$LDFLAGS -L$ZLIB $COMPAT" >&2
  touch "$WORK/libelf.stamp"
fi
ELF=$(abs "$WORK/elfutils/libelf")

# ---- libbpf ----------------------------------------------------------------------------------
# scripts/libs/libbpf-*.patch: our changes to libbpf (each says what it is for and what it saves).
if stale "$WORK/libbpf.stamp" "$WORK/libelf.stamp" scripts/libs/libbpf-*.patch; then
  log "$ARCH: libbpf"
  fresh_copy libbpf "$WORK/libbpf-src"
  for p in scripts/libs/libbpf-*.patch; do
    patch -s -p1 -d "$WORK/libbpf-src" < "$p"
  done
  rm -rf "$WORK/libbpf" && mkdir -p "$WORK/libbpf"
  ln -sf libelf.so "$ELF/libelf.so.1" # for the link: -lelf, and libbpf's DT_NEEDED libelf.so.1
  "${MAKE[@]}" -C "$WORK/libbpf-src/src" OBJDIR="$(abs "$WORK/libbpf")" BUILD_STATIC_ONLY= NO_PKG_CONFIG=1 CC="$CC" \
    CFLAGS="$CFLAGS -Werror=implicit-function-declaration -I$ELF -I$ZLIB" LDFLAGS="$LDFLAGS -L$ELF -L$ZLIB $COMPAT" \
    "$(abs "$WORK/libbpf")/libbpf.so.1" >&2
  touch "$WORK/libbpf.stamp"
fi

# ---- check, strip, install ------------------------------------------------------------------
for f in "$ZLIB/libz.so.1" "$ELF/libelf.so" "$WORK/libbpf/libbpf.so.1"; do
  [ -f "$f" ] || die "$f was not built"
done
"$BUN" scripts/check-glibc.ts "$ZLIB/libz.so.1" "$ELF/libelf.so" "$WORK/libbpf/libbpf.so.1"
install_lib() { # install_lib BUILT NAME: stripped copy as LIB_DIR/NAME, replaced only when it changed
  llvm-strip --strip-unneeded --remove-section=.comment -o "$WORK/$2.stripped" "$1"
  if ! cmp -s "$WORK/$2.stripped" "$LIB_DIR/$2"; then
    log "$ARCH: → $LIB_DIR/$2"
    mv -f "$WORK/$2.stripped" "$LIB_DIR/$2"
  fi
}
install_lib "$ZLIB/libz.so.1" libz.so.1
install_lib "$ELF/libelf.so" libelf.so.1
install_lib "$WORK/libbpf/libbpf.so.1" libbpf.so.1
