#!/bin/sh
# Starts OpenCode headless with its start-up downloads turned off:
# - models catalog fetch and auto-update: OPENCODE_DISABLE_* in the image's environment;
# - the background `npm install @opencode-ai/plugin` it runs in every config dir: a node_modules
#   folder and a lock that already lists the plugin make it skip the install.
set -eu
for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/opencode" ${OPENCODE_CONFIG_DIR:-}; do
  mkdir -p "$dir/node_modules" 2>/dev/null || continue
  [ -f "$dir/package-lock.json" ] || \
    printf '%s\n' '{"packages":{"":{"dependencies":{"@opencode-ai/plugin":"*"}}}}' >"$dir/package-lock.json" 2>/dev/null || true
done
exec opencode serve --port "${OPENCODE_PORT:-4096}" --hostname 0.0.0.0 --print-logs "$@"
