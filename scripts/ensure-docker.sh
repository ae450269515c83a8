#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket: installs Debian's docker.io when dockerd
# is missing and starts dockerd in the background when no live one runs. Idempotent.
set -euo pipefail
log="${TASKQ_DOCKERD_LOG:-/var/log/taskq-dockerd.log}"

if docker info >/dev/null 2>&1; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends docker.io iptables >&2
fi

# a live dockerd (not a zombie left by a killed session) is given time to come up
live_dockerd() { ps -C dockerd -o stat= 2>/dev/null | grep -qv '^Z'; }
if ! live_dockerd; then
  # pid files left by a dockerd (and its containerd) that were killed would stop new ones starting
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! ps -p "$(cat "$pidfile")" -o stat= 2>/dev/null | grep -qv '^Z'; then
      rm -f "$pidfile"
    fi
  done
  echo "ensure-docker: starting dockerd (log: $log)" >&2
  nohup dockerd >"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "ensure-docker: engine ready" >&2; exit 0; fi
  sleep 1
done
echo "ensure-docker: dockerd did not answer within 60 s; last log lines:" >&2
tail -n 20 "$log" >&2 || true
exit 1
