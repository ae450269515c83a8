#!/usr/bin/env bash
# The test command for a fresh machine: installs what is missing (Node 24, a Docker engine, the
# offline base image), the project's dependencies, then typechecks, builds and runs the whole suite
# (the suite builds the worker image itself when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(bash scripts/ensure-node.sh):$PATH"
bash scripts/ensure-docker.sh
bash scripts/build-base-image.sh
# the PostgreSQL queue's tests run against a throwaway cluster
export TASKQ_TEST_PG_URL="${TASKQ_TEST_PG_URL:-$(bash scripts/ensure-postgres.sh)}"
# tmux plays the person at a terminal in the review test
command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; } >&2
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npm test
