#!/bin/sh
# Starts OpenCode headless with its start-up downloads turned off:
# - models catalog fetch and auto-update: OPENCODE_DISABLE_* in the image's environment;
# - the background `npm install @opencode-ai/plugin` it runs in every config dir: a node_modules
#   folder and a lock that already lists the plugin make it skip the install.
# Secrets (the server password, provider keys) come in a 0600 env file that taskq mounts read-only
# and names in TASKQ_ENV_FILE, so they never show in `docker inspect`. Without TASKQ_ENV_FILE
# (older taskq, a manual `docker run`) nothing is read; when it is set, the file must be readable:
# a server silently started without its password would answer anyone.
set -eu
if [ -n "${TASKQ_ENV_FILE:-}" ]; then
  if [ ! -r "$TASKQ_ENV_FILE" ]; then
    echo "taskq-entrypoint: cannot read TASKQ_ENV_FILE=$TASKQ_ENV_FILE (uid $(id -u)); refusing to start" >&2
    exit 78
  fi
  set -a
  . "$TASKQ_ENV_FILE"
  set +a
fi
for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/opencode" ${OPENCODE_CONFIG_DIR:-}; do
  mkdir -p "$dir/node_modules" 2>/dev/null || continue
  [ -f "$dir/package-lock.json" ] || \
    printf '%s\n' '{"packages":{"":{"dependencies":{"@opencode-ai/plugin":"*"}}}}' >"$dir/package-lock.json" 2>/dev/null || true
done
exec opencode serve --port "${OPENCODE_PORT:-4096}" --hostname 0.0.0.0 --print-logs "$@"
