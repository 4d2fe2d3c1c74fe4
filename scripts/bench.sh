#!/usr/bin/env bash
# Benchmarks live in bench/; this runs bench/run.ts once it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f bench/run.ts ]; then
  echo "bench: not implemented yet (bench/run.ts is absent)" >&2
  exit 1
fi
bash scripts/build.sh
exec node_modules/.bin/bun bench/run.ts "$@"
