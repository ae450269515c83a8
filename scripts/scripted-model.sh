#!/usr/bin/env bash
# `npm run scripted-model`: the scripted, OpenAI-compatible model server that the demo and the tests
# use, as a tool for trying every taskq command without a model key. It listens on the Docker bridge
# (task containers reach it as host.docker.internal), prints the opencode.json that points OpenCode
# at it, and runs until Ctrl-C. MOCK_PORT=4010 picks the port. A task's replies come from a line
# `MOCK_SCRIPT: [...]` in its prompt (see test/support/scriptedModel.ts); without one the model
# writes mock-output.txt and answers "Done".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
[ -d node_modules ] || npm ci --no-audit --no-fund >&2
work="$(mktemp -d /tmp/taskq-model.XXXXXX)"
source scripts/lib/scripted-model.sh
start_scripted_model "$work"
trap 'kill $MODEL_PID 2>/dev/null || true; rm -rf "$work"' EXIT
write_model_config "$work/opencode.json"
cat <<TXT
scripted model: $(cat "$work/model.url")/v1 (containers: http://host.docker.internal:$MODEL_PORT/v1), Ctrl-C stops it

Use it as queue/opencode.json (or in ~/.config/opencode/opencode.json):
$(cat "$work/opencode.json")
TXT
wait "$MODEL_PID"
