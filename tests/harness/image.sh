#!/usr/bin/env bash
# Build a systemd Debian base image with debootstrap, once; reuse it when present.
# Usage: image.sh <debian major version: 12|13>
set -euo pipefail
version=${1:?usage: image.sh 12|13}
case "$version" in
  12) suite=bookworm ;;
  13) suite=trixie ;;
  *) echo "image.sh: unsupported Debian version '$version' (expected 12 or 13)" >&2; exit 2 ;;
esac
image="netboot-pxe/debian:$version"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "image $image present, reused"
  exit 0
fi

# The mirror the host already uses (deb822 or one-line format).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -oE 'https?://[^ ]*/debian/?( |$)' | awk '!/security/ {print $1; exit}' || true)
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian*}/debian-security

rootfs=$(mktemp -d /var/tmp/netboot-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,sudo,systemd,systemd-sysv,dbus,iproute2,procps,ca-certificates \
  "$suite" "$rootfs" "$mirror" >/dev/null

cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
# Units that make no sense in a test container.
for unit in apt-daily.timer apt-daily-upgrade.timer getty.target console-getty.service \
            systemd-firstboot.service systemd-resolved.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/90no-recommends"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
# No package lists: make them look old, so the first apt run updates them.
touch -d @0 "$rootfs/var/lib/apt/lists"

tar -C "$rootfs" -c . | docker import \
  --change 'ENV container=docker' --change 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
echo "image $image built"
