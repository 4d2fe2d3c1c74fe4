#!/usr/bin/env bash
# Build the OCI image `tracer:<version>` (and `tracer:latest`): ./tracer and the glibc files its
# loader needs (ldd's list: the dynamic loader, libc, libm, libpthread, libdl) — no distro, no
# shell, nothing pulled. The root file system is assembled here and `docker import`ed (podman
# when no docker daemon answers); .output/tracer-image.tar is the same image as an archive for
# `docker load`, `podman load` or `ctr -n k8s.io images import` on other nodes.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
log() { echo "image: $*" >&2; }
die() { echo "image: error: $*" >&2; exit 1; }
trap 'echo "image: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

bash scripts/build.sh

if [ -x /usr/bin/docker ] && /usr/bin/docker info >/dev/null 2>&1; then ENGINE=/usr/bin/docker
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker
elif command -v podman >/dev/null; then ENGINE=podman
else die "needs a running docker daemon or podman to import the image (apt-get install docker.io, then start dockerd)"; fi

VERSION=$(node_modules/.bin/bun -e 'console.log(require("./package.json").version)')
NAME=${IMAGE_NAME:-tracer}
ROOT=.output/image/root
rm -rf .output/image
mkdir -p "$ROOT/tmp"
chmod 1777 "$ROOT/tmp" # the libbpf fallback (no memfd) unpacks into a private directory under /tmp
cp tracer "$ROOT/tracer"

# Every file the dynamic loader maps for ./tracer, at the path it looks for it (symlinks resolved:
# the image has no /lib64 → /lib/x86_64-linux-gnu links to follow). The embedded libbpf, libelf
# and libz need nothing beyond these (test/glibc-floor.test.ts checks it).
ldd tracer | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | while read -r lib; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
  log "+ $lib"
done
# Anything else the binary needs at run time would show here: it must start in this root alone,
# with /proc mounted as every runtime does (Bun finds its embedded code through /proc/self/exe).
mkdir -p "$ROOT/proc"
unshare --mount --propagation private sh -c "mount -t proc proc '$ROOT/proc' && chroot '$ROOT' /tracer --version" >/dev/null \
  || die "./tracer does not start inside the image's root file system"

tar --numeric-owner --owner=0 --group=0 -C "$ROOT" -cf .output/image/rootfs.tar .
"$ENGINE" import \
  --change 'ENTRYPOINT ["/tracer"]' \
  --change 'CMD ["--json"]' \
  --change "LABEL org.opencontainers.image.title=tracer org.opencontainers.image.version=$VERSION" \
  .output/image/rootfs.tar "$NAME:$VERSION" >/dev/null
"$ENGINE" tag "$NAME:$VERSION" "$NAME:latest"
"$ENGINE" save -o .output/tracer-image.tar "$NAME:$VERSION"
log "$NAME:$VERSION ($(du -h .output/image/rootfs.tar | cut -f1) uncompressed) with $ENGINE; archive: .output/tracer-image.tar"
