#!/usr/bin/env bash
# Start-up time of the CLI: `taskq --version` and `taskq status` against `node -e 0`, median of N runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -f dist/taskq.mjs ] || npm run build --silent
N="${N:-20}"
q="$(mktemp -d)/queue"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
  for _ in $(seq "$N"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))
  done | median
}
echo "node $(node --version), $N runs each, median ms"
echo "node -e 0:           $(measure node -e 0)"
echo "taskq --version:     $(measure node dist/taskq.mjs --version)"
echo "taskq status:        $(measure node dist/taskq.mjs status --queue-dir "$q")"
