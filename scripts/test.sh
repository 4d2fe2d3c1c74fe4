#!/usr/bin/env bash
# Build if needed, then run the whole bun test suite (root: kernel tests load BPF). Args go to bun test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node_modules/.bin/bun test "$@"
