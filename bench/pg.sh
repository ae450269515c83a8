#!/usr/bin/env bash
# The PostgreSQL queue's figures, on the throwaway cluster of scripts/ensure-postgres.sh:
#  1. claim throughput: 8 runner processes claim (FOR UPDATE SKIP LOCKED) 1,000 tasks until none is
#     left; claims per second over the whole race, and a check that no task was claimed twice;
#  2. `taskq status` latency on a 10,000-task queue, PostgreSQL next to JSONL (median of N runs).
# RUNNERS=8 TASKS=1000 STATUS_TASKS=10000 N=11 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
RUNNERS="${RUNNERS:-8}"; TASKS="${TASKS:-1000}"; STATUS_TASKS="${STATUS_TASKS:-10000}"; N="${N:-11}"
base="$(bash scripts/ensure-postgres.sh)"
[ -f dist/taskq.mjs ] || npm run build --silent
dir="$(mktemp -d)"
s1="bench_claims_$$"; s2="bench_status_$$"
cleanup() { psql "$base" -qc "DROP SCHEMA IF EXISTS $s1 CASCADE; DROP SCHEMA IF EXISTS $s2 CASCADE" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
psql "$base" -qc "CREATE SCHEMA $s1; CREATE SCHEMA $s2" >/dev/null
url_of() { node -e 'const u = new URL(process.argv[1]); u.searchParams.set("options", `-c search_path=${process.argv[2]}`); console.log(u.toString().replace(/\+/g, "%20"))' "$base" "$1"; }
u1="$(url_of "$s1")"; u2="$(url_of "$s2")"
node -e 'require("esbuild").buildSync({ entryPoints: ["bench/pgClaims.ts"], outfile: process.argv[1], bundle: true,
  platform: "node", format: "esm", target: "node22", logLevel: "warning", external: ["dockerode"],
  banner: { js: "import { createRequire as __cr } from \"node:module\"; const require = __cr(import.meta.url);" } })' "$dir/claims.mjs"

# 1. claims
node "$dir/claims.mjs" seed "$u1" "$TASKS"
start=$(( $(date +%s%3N) + 4000 ))
for i in $(seq "$RUNNERS"); do BENCH_START_MS=$start node "$dir/claims.mjs" claim "$u1" "runner-$i" >"$dir/r$i.json" & done
wait
node -e '
const fs = require("node:fs"); const [dir, n, tasks] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])]
const rs = Array.from({ length: n }, (_, i) => JSON.parse(fs.readFileSync(`${dir}/r${i + 1}.json`, "utf8")))
const ids = rs.flatMap((r) => r.ids); const distinct = new Set(ids).size
const secs = (Math.max(...rs.map((r) => r.lastMs)) - Math.min(...rs.map((r) => r.firstMs))) / 1000
console.log(`claims: ${n} runner processes, ${tasks} tasks: ${ids.length} claims (${distinct} distinct, ${ids.length - distinct} double) in ${secs.toFixed(2)} s = ${Math.round(ids.length / secs)} claims/s; per runner ${rs.map((r) => r.ids.length).join(" ")}`)
if (ids.length !== tasks || distinct !== tasks) { console.error("claims: WRONG: a task was claimed twice or not at all"); process.exit(1) }
' "$dir" "$RUNNERS" "$TASKS"

# 2. status on a big queue: the same 10,000 records in PostgreSQL and in tasks.jsonl
node dist/taskq.mjs db migrate --queue-url "$u2" >/dev/null
psql "$u2" -qc "INSERT INTO taskq_tasks (id, status, record)
  SELECT id, st, jsonb_build_object('id', id, 'repo', '/src/app', 'base', 'main', 'branch', 'taskq/' || id,
    'worktree_path', '/q/worktrees/' || id, 'status', st, 'attempt', 1 + i % 3,
    'created_at', '2026-11-26T08:00:00.000Z', 'updated_at', '2026-11-26T09:00:00.000Z', 'task_file', '/q/tasks/' || id || '.md')
  FROM (SELECT i, 'T-' || lpad(i::text, 5, '0') AS id,
          (ARRAY['todo','review','done','failed','cancelled'])[i % 5 + 1] AS st FROM generate_series(0, $STATUS_TASKS - 1) i) x" >/dev/null
mkdir -p "$dir/queue"
psql "$u2" -qAtc "SELECT record::text FROM taskq_tasks ORDER BY seq" >"$dir/queue/tasks.jsonl"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
node dist/taskq.mjs status --queue-dir "$dir/queue" >/dev/null; node dist/taskq.mjs status --queue-url "$u2" >/dev/null
: >"$dir/jsonl"; : >"$dir/pg"
for _ in $(seq "$N"); do
  ms node dist/taskq.mjs status --queue-dir "$dir/queue" >>"$dir/jsonl"
  ms node dist/taskq.mjs status --queue-url "$u2" >>"$dir/pg"
done
echo "status, $STATUS_TASKS tasks (median of $N): JSONL $(median <"$dir/jsonl") ms, PostgreSQL $(median <"$dir/pg") ms"
