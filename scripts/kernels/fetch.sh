#!/usr/bin/env bash
# Download Debian packages with `apt-get download` through a temporary apt configuration built
# from this machine's own Debian sources: a private sources list, lists and cache under a
# temporary directory (removed at exit), so the machine's apt configuration and state are never
# touched. Used for the kernel matrix's kernels and guest userland, and for the arm64 build.
#
# Usage: fetch.sh CACHE SPEC...   SPEC = suite:arch (bullseye:amd64, bookworm:arm64, sid:amd64, ...)
#   For each SPEC: CACHE/SUITE-ARCH/vmlinuz and CACHE/SUITE-ARCH/release (the kernel's uname -r),
#   the cloud kernel of that suite. For arm64 also CACHE/arm64-root/ (busybox-static and glibc
#   from bookworm, extracted). What is in CACHE already is not fetched again.
# Or:    fetch.sh --extract DIR SUITE:ARCH PKG...
#   Download PKG:ARCH from SUITE and extract them all into DIR (replaced as a whole).
# Or:    fetch.sh --source DIR SUITE SRCPKG...
#   apt-get source SRCPKG from SUITE (Debian's patches applied) into DIR (replaced as a whole).
# Or:    fetch.sh --debootstrap DIR SUITE
#   A minimal root file system of SUITE (this machine's arch) at DIR, unless DIR/.done exists.
set -Eeuo pipefail
log() { echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }
trap 'echo "fetch: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

# The Debian archive URI this machine's apt configuration uses (deb822 or one-line format); empty
# when it names none. The repository names no archive host: it is always the machine's own.
debian_uri() {
  local uri="" f
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk 'BEGIN{IGNORECASE=1} /^URIs:/ {u=$2} /^Suites:/ && !/-security/ && u ~ /debian\/?$/ {print u; exit}' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) !~ /-security/ && $i ~ /debian\/?$/) { print $i; exit } }' "$f")
      [ -n "$uri" ] && break
    done
  fi
  echo "$uri"
}

tmp=$(mktemp -d /tmp/tracer-apt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debs" "$tmp/preferences.d"
uri=

# apt_for SUITE ARCH CMD...: CMD (apt-get/apt-cache) with a private configuration for SUITE.
# One configuration per suite and arch: package names repeat across suites.
apt_for() {
  local suite=$1 arch=$2; shift 2
  local d=$tmp/$suite-$arch
  "$@" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::Etc::preferencesparts="$tmp/preferences.d" \
    -o Dir::State::lists="$d/lists" -o Dir::Cache="$d" -o Dir::Cache::archives="$d/archives" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o APT::Architectures="$arch" -o APT::Architecture="$arch" \
    -o Debug::NoLocking=1 -o Acquire::Languages=none -o APT::Sandbox::User=root
}
update() { # update SUITE ARCH [deb-src]: fetch its package lists (once)
  local d=$tmp/$1-$2 t
  [ -d "$d" ] && return
  [ -n "$uri" ] || uri=$(debian_uri)
  [ -n "$uri" ] || die "this machine's apt configuration names no Debian archive (/etc/apt/sources.list, /etc/apt/sources.list.d/): add the one this machine should use"
  mkdir -p "$d/lists/partial" "$d/archives/partial"
  for t in deb ${3:-}; do
    echo "$t [arch=$2 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $1 main"
  done > "$d/sources.list"
  log "apt-get update ($1/$2 from $uri, private lists)"
  apt_for "$1" "$2" apt-get update -qq >&2 || die "apt-get update of $1/$2 failed"
}
download() { # download SUITE ARCH PKG...: the .deb files into $tmp/debs
  local suite=$1 arch=$2; shift 2
  update "$suite" "$arch"
  local p args=()
  for p in "$@"; do args+=("$p:$arch"); done
  log "$suite/$arch: apt-get download $*"
  (cd "$tmp/debs" && apt_for "$suite" "$arch" apt-get download -qq "${args[@]}" >&2) || die "apt-get download $* ($suite/$arch) failed"
}
extract() { # extract DIR SUITE ARCH PKG...: download and unpack into DIR (replaced as a whole)
  local dir=$1 suite=$2 arch=$3 p; shift 3
  rm -f "$tmp"/debs/*.deb
  download "$suite" "$arch" "$@"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  for p in "$tmp"/debs/*.deb; do dpkg-deb -x "$p" "$dir.tmp"; done
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  rm -f "$tmp"/debs/*.deb
}

if [ "${1:-}" = "--debootstrap" ]; then
  [ $# -eq 3 ] || die "usage: fetch.sh --debootstrap DIR SUITE"
  dir=$2 suite=$3
  [ -f "$dir/.done" ] && exit 0
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2; }
  fi
  uri=$(debian_uri)
  log "debootstrap $suite from $uri → $dir"
  # Made aside and moved into place: a concurrent run makes its own and one of them wins.
  part=$dir.$$.part
  rm -rf --one-file-system "$part" && mkdir -p "$part"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$part" "$uri" >&2 \
    || { rm -rf --one-file-system "$part"; die "debootstrap $suite failed"; }
  touch "$part/.done"
  if [ -f "$dir/.done" ]; then rm -rf --one-file-system "$part"; else rm -rf --one-file-system "$dir" && mv -T "$part" "$dir"; fi
  exit 0
fi
if [ "${1:-}" = "--source" ]; then
  [ $# -ge 4 ] || die "usage: fetch.sh --source DIR SUITE SRCPKG..."
  dir=$2 suite=$3; shift 3
  command -v dpkg-source >/dev/null || die "dpkg-source not found (apt-get install dpkg-dev)"
  update "$suite" "$(dpkg --print-architecture)" deb-src
  log "$suite: apt-get source $*"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && apt_for "$suite" "$(dpkg --print-architecture)" apt-get source -qq "$@" >&2) \
    || die "apt-get source $* ($suite) failed"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  exit 0
fi
if [ "${1:-}" = "--extract" ]; then
  [ $# -ge 4 ] || die "usage: fetch.sh --extract DIR SUITE:ARCH PKG..."
  dir=$2 spec=$3; shift 3
  extract "$dir" "${spec%%:*}" "${spec##*:}" "$@"
  exit 0
fi

[ $# -ge 2 ] || die "usage: fetch.sh CACHE SUITE:ARCH..."
CACHE=$1; shift
mkdir -p "$CACHE"
for spec in "$@"; do
  suite=${spec%%:*} arch=${spec##*:}
  dir=$CACHE/$suite-$arch
  if [ "$arch" = arm64 ] && [ ! -x "$CACHE/arm64-root/bin/busybox" ]; then
    extract "$CACHE/arm64-root" bookworm arm64 busybox-static libc6
  fi
  [ -s "$dir/vmlinuz" ] && [ -s "$dir/release" ] && continue
  # The versioned image package behind linux-image-cloud-ARCH (cloud kernels: small, for VMs).
  update "$suite" "$arch"
  pkg=$(apt_for "$suite" "$arch" apt-cache depends "linux-image-cloud-$arch" 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }')
  [ -n "$pkg" ] || die "no linux-image-cloud-$arch in $suite"
  x=$tmp/x-$suite-$arch
  # Newer suites moved the image out of linux-image-VERSION (into linux-binary-VERSION, under
  # /usr/lib/modules/RELEASE/vmlinuz).
  img=
  for p in "$pkg" "${pkg/linux-image-/linux-binary-}"; do
    extract "$x" "$suite" "$arch" "$p"
    img=$(ls "$x"/boot/vmlinuz-* "$x"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -1 || true)
    if [ -n "$img" ]; then break; fi
  done
  [ -n "$img" ] || die "neither $pkg nor its linux-binary package has a vmlinuz"
  mkdir -p "$dir"
  cp "$img" "$dir/vmlinuz.tmp" && mv -f "$dir/vmlinuz.tmp" "$dir/vmlinuz"
  case "$img" in
    */boot/vmlinuz-*) basename "$img" | sed 's/^vmlinuz-//' ;;
    *) basename "$(dirname "$img")" ;;
  esac > "$dir/release"
  rm -rf "$x"
done
