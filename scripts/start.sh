#!/usr/bin/env bash
# Build if needed, then run ./tracer with the given arguments (npm start -- ARGS).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./tracer "$@"
