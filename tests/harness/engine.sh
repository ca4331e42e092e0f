#!/usr/bin/env bash
# Install Debian's container engine and start dockerd when none answers.
set -euo pipefail
log=${NETBOOT_DOCKERD_LOG:-/var/log/netboot-dockerd.log}

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io debootstrap iptables >/dev/null
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
nohup dockerd --storage-driver overlay2 >"$log" 2>&1 &
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
