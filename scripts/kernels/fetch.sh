#!/usr/bin/env bash
# Download Debian cloud kernels (and the arm64 userland the arm64 initramfs needs) with
# `apt-get download`, through a temporary apt configuration built from this machine's own Debian
# sources: a private sources list, state and cache under a temporary directory, so the machine's
# apt configuration and state are never touched. Results are cached under $CACHE.
#
# Usage: fetch.sh CACHE SPEC...   SPEC = suite:arch (bullseye:amd64, bookworm:arm64, sid:amd64, ...)
# For each SPEC: CACHE/SUITE-ARCH/vmlinuz and CACHE/SUITE-ARCH/release (the kernel's uname -r).
# For arm64 also CACHE/arm64-root/ (busybox-static and glibc from the same suite, extracted).
set -Eeuo pipefail
log() { echo "kernels: $*" >&2; }
die() { echo "kernels: error: $*" >&2; exit 1; }
trap 'echo "kernels: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

CACHE=$1; shift
mkdir -p "$CACHE"

# The Debian archive URI this machine uses (deb822 or one-line format), else deb.debian.org.
debian_uri() {
  local uri=""
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
  echo "${uri:-http://deb.debian.org/debian}"
}

need=()
for spec in "$@"; do
  suite=${spec%%:*} arch=${spec##*:}
  dir=$CACHE/$suite-$arch
  if [ -s "$dir/vmlinuz" ] && [ -s "$dir/release" ]; then continue; fi
  need+=("$spec")
done
arm64_root=0
for spec in "$@"; do [ "${spec##*:}" = arm64 ] && [ ! -x "$CACHE/arm64-root/bin/busybox" ] && arm64_root=1; done
if [ ${#need[@]} -eq 0 ] && [ $arm64_root -eq 0 ]; then exit 0; fi

uri=$(debian_uri)
tmp=$(mktemp -d /tmp/tracer-apt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/state/lists/partial" "$tmp/cache/archives/partial" "$tmp/etc/preferences.d" "$tmp/debs"
suites=() archs=(amd64)
for spec in "$@"; do
  s=${spec%%:*} a=${spec##*:}
  [[ " ${suites[*]} " == *" $s "* ]] || suites+=("$s")
  [[ " ${archs[*]} " == *" $a "* ]] || archs+=("$a")
done

# One apt configuration per suite: package names repeat across suites and apt-get download picks
# one candidate, so each suite gets its own lists.
apt_for() { # apt_for SUITE -- APT-ARGS...
  local suite=$1; shift
  local d=$tmp/$suite
  if [ ! -d "$d" ]; then
    mkdir -p "$d/lists/partial" "$d/archives/partial"
    printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
      "$(IFS=,; echo "${archs[*]}")" "$uri" "$suite" > "$d/sources.list"
  fi
  "$@" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::Etc::preferencesparts="$tmp/etc/preferences.d" \
    -o Dir::State::lists="$d/lists" -o Dir::Cache="$d" -o Dir::Cache::archives="$d/archives" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o APT::Architectures="$(IFS=,; echo "${archs[*]}")" \
    -o Debug::NoLocking=1 -o Acquire::Languages=none -o APT::Sandbox::User=root
}
updated=()
update() {
  [[ " ${updated[*]} " == *" $1 "* ]] && return
  log "apt-get update ($1 from $uri, private lists)"
  apt_for "$1" apt-get update -qq >&2 || die "apt-get update of suite $1 failed"
  updated+=("$1")
}

# The versioned image package behind linux-image-cloud-ARCH (cloud kernels: small, built for VMs).
for spec in "${need[@]}"; do
  suite=${spec%%:*} arch=${spec##*:}
  update "$suite"
  pkg=$(apt_for "$suite" apt-cache depends "linux-image-cloud-$arch:$arch" 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }')
  [ -n "$pkg" ] || die "no linux-image-cloud-$arch in $suite"
  x=$tmp/x-$suite-$arch
  mkdir -p "$x"
  # Newer suites moved the image out of linux-image-VERSION into linux-binary-VERSION.
  img=
  for p in "$pkg" "${pkg/linux-image-/linux-binary-}"; do
    log "$suite/$arch: $p"
    (cd "$tmp/debs" && apt_for "$suite" apt-get download -qq "$p:$arch" >&2) || die "apt-get download $p:$arch failed"
    dpkg-deb -x "$tmp"/debs/"${p}"_*_"$arch".deb "$x"
    img=$(ls "$x"/boot/vmlinuz-* "$x"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -1 || true)
    if [ -n "$img" ]; then break; fi
  done
  [ -n "$img" ] || die "neither $pkg nor its linux-binary package has a vmlinuz"
  dir=$CACHE/$suite-$arch
  mkdir -p "$dir"
  cp "$img" "$dir/vmlinuz.tmp" && mv -f "$dir/vmlinuz.tmp" "$dir/vmlinuz"
  case "$img" in # /boot/vmlinuz-RELEASE or /usr/lib/modules/RELEASE/vmlinuz
    */boot/vmlinuz-*) basename "$img" | sed 's/^vmlinuz-//' ;;
    *) basename "$(dirname "$img")" ;;
  esac > "$dir/release"
  rm -rf "$x" "$tmp"/debs/*.deb
done

# arm64 userland for the guest: busybox-static and glibc (the arm64 tracer's libraries).
if [ $arm64_root -eq 1 ]; then
  suite=bookworm
  update "$suite"
  (cd "$tmp/debs" && apt_for "$suite" apt-get download -qq busybox-static:arm64 libc6:arm64 >&2) || die "apt-get download of arm64 busybox-static/libc6 failed"
  rm -rf "$CACHE/arm64-root.tmp"
  mkdir -p "$CACHE/arm64-root.tmp"
  for deb in "$tmp"/debs/*_arm64.deb; do dpkg-deb -x "$deb" "$CACHE/arm64-root.tmp"; done
  rm -rf "$CACHE/arm64-root"
  mv "$CACHE/arm64-root.tmp" "$CACHE/arm64-root"
fi
