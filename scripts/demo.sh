#!/usr/bin/env bash
# The main job, end to end, on the embedded defaults: a scratch git repository, a queued task, and
# `taskq run` turning it into a reviewed agent session in a container, with the real OpenCode talking
# to the scripted model (no LLM is reachable here). Installs what a fresh machine lacks first.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$(bash scripts/ensure-node.sh):$PATH"
bash scripts/ensure-docker.sh
bash scripts/build-base-image.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
taskq() { node "$root/dist/taskq.mjs" "$@"; }
docker image inspect sisifo/opencode:latest >/dev/null 2>&1 || taskq build-image --no-pull

work="$(mktemp -d /tmp/taskq-demo.XXXXXX)"
export TASKQ_QUEUE_DIR="$work/queue"

# the scripted model, on the Docker bridge so the container can reach it
source scripts/lib/scripted-model.sh
start_scripted_model "$work"

git init -q -b main "$work/repo"
printf '# demo\n' >"$work/repo/README.md"
git -C "$work/repo" add README.md
git -C "$work/repo" -c user.name=demo -c user.email=demo@example.com commit -q -m init

mkdir -p "$TASKQ_QUEUE_DIR"
write_model_config "$TASKQ_QUEUE_DIR/opencode.json"
cat >"$work/hello.md" <<'MD'
---
id: T-001
repo: ./repo
---
Create hello.txt saying hello, then check the work tree with git status.
MOCK_SCRIPT: [{"tool":"write","args":{"filePath":"hello.txt","content":"hello from the agent\n"}},{"tool":"bash","args":{"command":"git status --short","description":"check the work tree"}},{"text":"Created hello.txt."}]
MD

run() { echo; echo "\$ taskq $*"; taskq "$@"; }
run add --task-file "$work/hello.md"
run status
run run
run status --id T-001
wt="$(taskq status --id T-001 --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).worktree_path))')"
echo; echo "the agent's change in $wt:"
git -c safe.directory='*' -C "$wt" add -N .
git -c safe.directory='*' -C "$wt" --no-pager diff --stat
git -c safe.directory='*' -C "$wt" --no-pager diff
node_bin=$(command -v node) # the Node >= 22.19 that ensure-node.sh found or installed
cat <<TXT

Next steps (the container is stopped while nobody looks; review starts it again):
  export TASKQ_QUEUE_DIR=$TASKQ_QUEUE_DIR
  $node_bin $root/dist/taskq.mjs review --id T-001    # open the agent's session
  $node_bin $root/dist/taskq.mjs done --id T-001      # accept it
  $node_bin $root/dist/taskq.mjs cleanup              # remove container, worktree, agent state
TXT
if [ -t 0 ] && [ "${DEMO_EXIT:-}" != 1 ]; then
  echo
  echo "The scripted model keeps running, so the reviewed session still has a model behind it. Ctrl-C stops it."
  wait "$MODEL_PID" || true
fi
