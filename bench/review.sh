#!/usr/bin/env bash
# What tasks in review cost while nobody looks, and how fast `review` brings one back:
#   1. N tasks (default 50) run to review with the scripted model; the RAM their containers hold
#      then (docker stats), with taskq's default (stopped in review) and, for K of them (default 3),
#      with --keep-running (each container's RAM, times N, is what N kept-running tasks would hold);
#   2. `taskq review --print-url` of a stopped task: container start + server ready + session check.
# Needs dockerd and the worker image (bash scripts/test.sh); hold the shared Docker lock when others
# test on the same machine: flock /tmp/taskq-docker.lock bash bench/review.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -f dist/taskq.mjs ] || npm run build --silent
N="${N:-50}"
K="${K:-3}"
P="${P:-3}"
work="$(mktemp -d /tmp/taskq-bench-review.XXXXXX)"
export TASKQ_QUEUE_DIR="$work/queue"
taskq() { node dist/taskq.mjs "$@"; }
source scripts/lib/scripted-model.sh
start_scripted_model "$work"
cleanup_all() {
  kill "$MODEL_PID" 2>/dev/null || true
  trap - EXIT
  for id in $(seq -f "R-%03g" "$N") $(seq -f "K-%03g" "$K"); do
    docker ps -aq --filter "label=taskq.task=$id" | xargs -r docker rm -f >/dev/null
  done
  rm -rf "$work"
}
trap cleanup_all EXIT
mkdir -p "$TASKQ_QUEUE_DIR"
write_model_config "$TASKQ_QUEUE_DIR/opencode.json"
git init -q -b main "$work/repo"; echo x >"$work/repo/f"
git -C "$work/repo" add f; git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm init
prompt='Write hello.txt
MOCK_SCRIPT: [{"tool":"write","args":{"filePath":"hello.txt","content":"hi\n"}},{"text":"done"}]'
ms() { date +%s%3N; }
# total RAM (MiB) of the running containers of these task ids, as docker stats reports it
ram_of() {
  local names=() id
  for id in "$@"; do names+=($(docker ps -q --filter "label=taskq.task=$id")); done
  [ ${#names[@]} -eq 0 ] && { echo 0; return; }
  docker stats --no-stream --format '{{.MemUsage}}' "${names[@]}" | awk '{
    v=$1; u=v; gsub(/[0-9.]/,"",u); sub(/[A-Za-z]+$/,"",v)
    m = (u=="GiB") ? v*1024 : (u=="MiB") ? v : (u=="KiB") ? v/1024 : v/1048576; s+=m } END { printf "%.1f\n", s }'
}

ids=($(seq -f "R-%03g" "$N"))
for id in "${ids[@]}"; do taskq add --id "$id" --repo "$work/repo" --task "$prompt" >/dev/null; done
t0=$(ms); taskq run --max-parallel "$P" >/dev/null; t1=$(ms)
in_review=$(taskq status --json | node -pe 'JSON.parse(require("fs").readFileSync(0)).filter(t => t.status === "review").length')
echo "run: $N tasks (max-parallel $P) in $(( (t1 - t0) / 1000 )) s; $in_review in review"
echo "RAM of $N tasks in review (default: stopped): $(ram_of "${ids[@]}") MiB"

kept=($(seq -f "K-%03g" "$K"))
for id in "${kept[@]}"; do taskq add --id "$id" --repo "$work/repo" --task "$prompt" >/dev/null; done
taskq run --keep-running --max-parallel "$P" >/dev/null
sleep 2
kram=$(ram_of "${kept[@]}")
echo "RAM of $K tasks in review with --keep-running: $kram MiB (x $N/$K = $(awk -v r="$kram" -v n="$N" -v k="$K" 'BEGIN { printf "%.0f", r*n/k }') MiB for $N)"

lat=()
for id in "${ids[@]:0:5}"; do
  t0=$(ms); taskq review --id "$id" --print-url >/dev/null; lat+=($(( $(ms) - t0 )))
  docker stop -t 5 "$(taskq status --id "$id" --json | node -pe 'JSON.parse(require("fs").readFileSync(0)).container')" >/dev/null
done
echo "review of a stopped task (start, server ready, session checked): ${lat[*]} ms"
