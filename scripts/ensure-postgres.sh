#!/usr/bin/env bash
# Makes sure a throwaway PostgreSQL cluster answers for the tests and benchmarks, like ensure-docker
# does for dockerd: installs Debian's `postgresql` when the server binaries are missing, initdb's a
# cluster in a temp dir ($TASKQ_PG_DIR, default /tmp/taskq-pg), starts it in the background on a free
# 127.0.0.1 port and prints its URL on stdout. Idempotent: a cluster already running is reused.
#   export TASKQ_TEST_PG_URL="$(bash scripts/ensure-postgres.sh)"
# `--stop` stops the cluster (its files stay until the temp dir goes).
set -euo pipefail
dir="${TASKQ_PG_DIR:-/tmp/taskq-pg}"
data="$dir/data"
user=taskq

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
bin="$(bindir || true)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "ensure-postgres: installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bin="$(bindir)"
fi

# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user then
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = "--stop" ]; then
  [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast stop >&2
  exit 0
fi

url() { echo "postgres://$user@127.0.0.1:$(cat "$dir/port")/postgres"; }

if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  url
  exit 0
fi

mkdir -p "$dir"
chmod 0755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
if [ ! -f "$data/PG_VERSION" ]; then
  echo "ensure-postgres: initdb in $data" >&2
  as_owner "$bin/initdb" -D "$data" -U "$user" -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
fi

# the first port from 54329 up that nothing listens on
port=54329
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
echo "$port" >"$dir/port"

echo "ensure-postgres: starting postgres on 127.0.0.1:$port (log: $dir/postgres.log)" >&2
# a throwaway cluster: no fsync; enough connections for 8 benchmark runners and the test suites
as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
  start >&2 || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
url
