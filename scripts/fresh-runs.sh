#!/usr/bin/env bash
# scripts/fresh-runs.sh [N] [COMMIT]: issue 12's check that the suite never flakes: `npm test` N
# times (default 10) in a row, each from a fresh clone of this repository at COMMIT (default
# HEAD) in a mode-0700 `mktemp -d` directory (the first under /root), in CI's environment, with a
# CPU hog (`yes`) beside it, under the suite lock. Logs and one summary line per run go to
# /tmp/fresh-runs/COMMIT/; exit status 0 when every run passed. Takes about an hour for 10.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
commit=$(git -C "$repo" rev-parse "${2:-HEAD}")
out=/tmp/fresh-runs/$commit
mkdir -p "$out"
failed=0
for i in $(seq 1 "$n"); do
  if [ "$i" = 1 ]; then dir=$(mktemp -d /root/tracer-clone.XXXXXX); else dir=$(mktemp -d /tmp/tracer-clone.XXXXXX); fi
  git clone -q "$repo" "$dir/tracer" && git -C "$dir/tracer" checkout -q "$commit"
  yes >/dev/null & hog=$!
  start=$(date +%s)
  (cd "$dir/tracer" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true \
    flock /tmp/tracer-suite.lock npm test </dev/null) >"$out/run$i.log" 2>&1
  rc=$?
  kill "$hog"
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
  echo "run $i rc=$rc $(($(date +%s) - start)) s $(grep -E '^ *[0-9]+ (pass|fail)$' "$out/run$i.log" | tr -s ' \n' ' ')" | tee -a "$out/summary"
  rm -rf "$dir"
done
echo "fresh-runs: $((n - failed)) of $n passed" | tee -a "$out/summary"
[ "$failed" -eq 0 ]
