#!/usr/bin/env bash
# Start-up time of the CLI beside `node -e 0`, in one run: `taskq --version`, and `taskq status` on a
# 10,000-task queue (the goal: status <= 5x node -e 0). Median wall time of N runs each, interleaved
# so that a busy machine slows all three alike. N=21 by default; TASKS=10000.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -f dist/taskq.mjs ] || npm run build --silent
N="${N:-21}"
TASKS="${TASKS:-10000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
q="$dir/queue"
mkdir -p "$q"
# a realistic queue: every status, a few runtime fields, written as taskq writes it (one JSON object a line)
node -e '
const [file, n] = [process.argv[1], Number(process.argv[2])]
const statuses = ["todo", "review", "done", "failed", "cancelled"]
const lines = []
for (let i = 0; i < n; i++) {
  const id = `T-${String(i).padStart(5, "0")}`
  const r = { id, repo: "/src/app", base: "main", branch: `taskq/${id}`, worktree_path: `/q/worktrees/${id}`,
    status: statuses[i % 5], attempt: 1 + (i % 3), created_at: "2026-11-26T08:00:00.000Z",
    updated_at: "2026-11-26T09:00:00.000Z", task_file: `/q/tasks/${id}.md` }
  if (r.status === "review") Object.assign(r, { container: `task-${id}-20261126T080000`, port: 32000 + (i % 1000) })
  if (r.status === "failed") r.error = "stage agent failed (exit 1): the agent stopped"
  lines.push(JSON.stringify(r))
}
require("node:fs").writeFileSync(file, lines.join("\n") + "\n")' "$q/tasks.jsonl" "$TASKS"
node dist/taskq.mjs status --queue-dir "$q" >/dev/null # warm the compile cache
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$dir/node"; : >"$dir/version"; : >"$dir/status"
for _ in $(seq "$N"); do
  ms node -e 0 >>"$dir/node"
  ms node dist/taskq.mjs --version >>"$dir/version"
  ms node dist/taskq.mjs status --queue-dir "$q" >>"$dir/status"
done
base=$(median <"$dir/node")
row() { local m; m=$(median <"$dir/$2"); printf '%-26s %5s ms  %5sx\n' "$1" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.1f", a / b}')"; }
echo "node $(node --version), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); median of $N runs"
row "node -e 0" node
row "taskq --version" version
row "taskq status ($TASKS tasks)" status
