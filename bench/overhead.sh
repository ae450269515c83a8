#!/usr/bin/env bash
# Per-task overhead of `taskq run`: one task through taskq vs the same git/docker/opencode steps by
# hand (worktree, container, health poll, session, prompt, wait for idle), with the scripted model.
# Prints the median of N runs of each. Needs dockerd and the worker image (bash scripts/test.sh).
# A third variant runs taskq with the isolation it can turn off turned off (Docker's default bridge, no
# memory or pids limit): the difference is what the task network and the limits cost per task. The
# server password and the env file cannot be turned off; they are in both taskq figures.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -f dist/taskq.mjs ] || npm run build --silent
N="${N:-3}"
work="$(mktemp -d /tmp/taskq-bench.XXXXXX)"
source scripts/lib/scripted-model.sh
start_scripted_model "$work"
trap 'kill $MODEL_PID 2>/dev/null; docker ps -aq --filter label=taskq.bench=1 | xargs -r docker rm -f >/dev/null' EXIT
write_model_config "$work/opencode.json"
prompt='Write hello.txt\nMOCK_SCRIPT: [{"tool":"write","args":{"filePath":"hello.txt","content":"hi\\n"}},{"text":"done"}]'
ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
repo() { git init -q -b main "$1"; echo x >"$1/f"; git -C "$1" add f; git -C "$1" -c user.name=b -c user.email=b@b commit -qm init; }

by_hand() {
  local d="$work/hand-$1"; repo "$d/repo"; mkdir -p "$d/cfg" "$d/data"; chmod 777 "$d/cfg" "$d/data"
  cp "$work/opencode.json" "$d/cfg/opencode.json"
  local t0; t0=$(ms)
  git -C "$d/repo" worktree add -q -b taskq/h "$d/wt" main; chown -R 1000:1000 "$d/wt" "$d/repo/.git/worktrees"
  docker run -d -q --name "bench-$1-$RANDOM" --label taskq.bench=1 --init --user 1000:1000 --cap-drop ALL --security-opt no-new-privileges \
    -p 127.0.0.1::4096 --add-host host.docker.internal:host-gateway -v "$d/wt:$d/wt" -v "$d/repo/.git:$d/repo/.git" \
    -v "$d/cfg:/home/agent/.config/opencode" -v "$d/data:/home/agent/.local/share/opencode" -w "$d/wt" sisifo/opencode:latest >"$d/cid"
  local p; p=$(docker port "$(cat "$d/cid")" 4096 | head -1 | sed 's/.*://')
  until curl -sf -m 1 "http://127.0.0.1:$p/global/health" >/dev/null; do sleep 0.1; done
  local sid; sid=$(curl -sf -X POST "http://127.0.0.1:$p/session" -H 'content-type: application/json' -d '{"title":"bench"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
  local body; body=$(PROMPT="$(printf "$prompt")" node -pe 'JSON.stringify({ parts: [{ type: "text", text: process.env.PROMPT }] })')
  curl -sf -X POST "http://127.0.0.1:$p/session/$sid/prompt_async" -H 'content-type: application/json' -d "$body"
  # done = the agent's file is there and the session is idle again
  until [ -f "$d/wt/hello.txt" ] && [ "$(curl -sf "http://127.0.0.1:$p/session/status")" = "{}" ]; do sleep 0.1; done
  echo $(( $(ms) - t0 ))
}

with_taskq() {
  local d="$work/taskq-$1"; shift; repo "$d/repo"; mkdir -p "$d/queue"; cp "$work/opencode.json" "$d/queue/opencode.json"
  local id; id="B-$(basename "$d")"
  TASKQ_QUEUE_DIR="$d/queue" node dist/taskq.mjs add --id "$id" --repo "$d/repo" --task "$(printf "$prompt")" >/dev/null
  local t0; t0=$(ms)
  TASKQ_QUEUE_DIR="$d/queue" node dist/taskq.mjs run "$@" >/dev/null
  echo $(( $(ms) - t0 ))
  docker rm -f "$(TASKQ_QUEUE_DIR="$d/queue" node dist/taskq.mjs status --id "$id" --json | node -pe 'JSON.parse(require("fs").readFileSync(0)).container')" >/dev/null
}

hand=(); tq=(); open=()
for i in $(seq "$N"); do
  hand+=("$(by_hand "$i")")
  tq+=("$(with_taskq "$i")")
  open+=("$(with_taskq "open-$i" --network bridge --memory-mb 0 --pids-limit 0)")
done
m_tq=$(printf '%s\n' "${tq[@]}" | median); m_open=$(printf '%s\n' "${open[@]}" | median)
echo "by hand (git + docker run + curl): ${hand[*]} ms -> median $(printf '%s\n' "${hand[@]}" | median) ms"
echo "taskq run:                         ${tq[*]} ms -> median $m_tq ms"
echo "taskq run, bridge and no limits:   ${open[*]} ms -> median $m_open ms"
echo "isolation (network + limits):      $(( m_tq - m_open )) ms per task"

# The agent's private git dir (README "Security model"), host side, side by side with what taskq did
# before it: worktree add + chown -R to the container uid, against worktree add + the box + bringing
# one agent commit back. BOX_FILES files in the repository (default 2000), BOX_RUNS runs.
node -e 'require("esbuild").buildSync({ entryPoints: ["bench/gitbox.ts"], outfile: process.argv[1], bundle: true,
  platform: "node", format: "esm", target: "node22", logLevel: "warning", external: ["dockerode"],
  banner: { js: "import { createRequire as __cr } from \"node:module\"; const require = __cr(import.meta.url);" } })' "$work/gitbox.mjs"
box=$(node "$work/gitbox.mjs" "$work/gitbox" "${BOX_FILES:-2000}" "${BOX_RUNS:-5}")
node -e 'const b = JSON.parse(process.argv[1]); console.log(`git box, ${b.files} files (median of ${b.runs}): before ${b.beforeSetupMs} ms | after ${b.afterSetupMs} ms setup + ${b.importMs} ms bringing the branch back -> ${b.addedPerTaskMs} ms per task`)' "$box"
