#!/usr/bin/env bash
# Builds the offline base image for the worker image (no registry here): debootstrap a minimal
# Debian bookworm and `docker import` it under the Dockerfile's default BASE_IMAGE tag. Idempotent.
set -euo pipefail
tag="${TASKQ_BASE_IMAGE:-local/debian:bookworm}"
mirror="${TASKQ_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then exit 0; fi
if ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends debootstrap >&2
fi
root="$(mktemp -d /tmp/taskq-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "build-base-image: debootstrap bookworm into $root" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
# the image's apt sources point at the same mirror over http (https needs the host's CA)
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$tag" >&2
echo "build-base-image: imported $tag" >&2
