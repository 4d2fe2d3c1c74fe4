#!/usr/bin/env bash
# Build if needed, then run the whole bun test suite (root: kernel tests load BPF). Args go to bun test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# bunfig.toml's [test] timeout is not applied by bun 1.4: say it here too.
exec node_modules/.bin/bun test --timeout 300000 "$@"
