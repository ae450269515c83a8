#!/usr/bin/env bash
# The main job on a scratch repository: queue a task and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/taskq.mjs ] || npm run build --silent
taskq() { node "$PWD/dist/taskq.mjs" "$@"; }

work="$(mktemp -d /tmp/taskq-demo.XXXXXX)"
git init -q -b main "$work/repo"
echo "# demo" >"$work/repo/README.md"
git -C "$work/repo" add README.md
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com commit -q -m init
export TASKQ_QUEUE_DIR="$work/queue"
cat >"$work/hello.md" <<MD
---
id: T-001
repo: ./repo
---
Create hello.txt containing "hello from taskq".
MD

echo "\$ taskq add --task-file $work/hello.md"; taskq add --task-file "$work/hello.md"
echo "\$ taskq status"; taskq status
echo "\$ taskq status --id T-001"; taskq status --id T-001
echo
echo "The queue lives in $TASKQ_QUEUE_DIR (tasks.jsonl, tasks/T-001.md)."
