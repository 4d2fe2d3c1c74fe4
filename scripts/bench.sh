#!/usr/bin/env bash
# npm run bench: build ./tracer, install what the workloads and peers need (bpftrace,
# libbpf-tools' execsnoop, auditd, gcc, make, static libc), then run bench/run.ts (arguments are
# passed on; see its header). Root only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

missing=()
command -v bpftrace >/dev/null || missing+=(bpftrace)
[ -x /usr/sbin/execsnoop ] || missing+=(libbpf-tools)
command -v auditd >/dev/null || missing+=(auditd)
command -v gcc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
[ "$(dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null)" = "install ok installed" ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "bench: error: need root to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

exec node_modules/.bin/bun bench/run.ts "$@"
