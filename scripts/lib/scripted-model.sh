# Sourced by the demo and the benchmarks: starts the scripted model (test/support/scriptedModel.ts)
# on the Docker bridge, so task containers reach it as host.docker.internal, and writes an agent
# config template that points OpenCode at it.
#   start_scripted_model WORKDIR   -> sets MODEL_PID and MODEL_PORT; stops the model on exit
#   write_model_config FILE        -> the queue's opencode.json for that model

start_scripted_model() {
  local work="$1" bridge
  bridge="$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)"
  node -e 'require("esbuild").buildSync({entryPoints:["test/support/scriptedModelMain.ts"],outfile:process.argv[1],bundle:true,platform:"node",format:"esm",logLevel:"warning"})' "$work/model.mjs"
  MOCK_HOST="${bridge:-172.17.0.1}" node "$work/model.mjs" >"$work/model.url" &
  MODEL_PID=$!
  trap 'kill $MODEL_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -s "$work/model.url" ] && break; sleep 0.1; done
  MODEL_PORT="$(sed 's/.*://' "$work/model.url")"
}

write_model_config() {
  cat >"$1" <<JSON
{ "model": "mock/mock-model", "small_model": "mock/mock-model", "enabled_providers": ["mock"], "lsp": false, "formatter": false,
  "provider": { "mock": { "npm": "@ai-sdk/openai-compatible", "name": "Scripted model",
    "options": { "baseURL": "http://host.docker.internal:$MODEL_PORT/v1", "apiKey": "mock-key" },
    "models": { "mock-model": { "name": "Scripted model", "tool_call": true, "limit": { "context": 128000, "output": 4096 } } } } } }
JSON
}
