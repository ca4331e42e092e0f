#!/usr/bin/env bash
# What the BMC tests need on the host: libvirt's daemon running (QEMU without KVM is enough) and the
# emulators' virtual environment (.cache/bmc-venv: sushy-tools, virtualbmc, libvirt-python).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
"$(dirname "$0")/apt-install.sh" libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients \
  libvirt-dev pkg-config gcc python3-dev ovmf qemu-system-x86 qemu-utils tini
# /dev/kvm as Debian's udev rules leave it (group kvm, 0660), where no udev ran: else libvirt finds
# its QEMU capabilities outdated at every call (KVM usable when probed, not for its QEMU user) and
# probes QEMU again, seconds each time. The test domains run under TCG all the same.
if [ -c /dev/kvm ] && [ "$(stat -c %G /dev/kvm)" != kvm ] && getent group kvm >/dev/null; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  # No service manager here (a container or a CI machine): the daemons in the background. QEMU
  # daemonizes; tini reaps what libvirtd leaves (else each ended QEMU stays a zombie, and libvirtd
  # waits for it to go).
  mkdir -p /var/log/libvirt
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pkill -x libvirtd && sleep 2
  setsid tini -s -- libvirtd >/var/log/libvirt/libvirtd.out 2>&1 </dev/null &
  for _ in $(seq 60); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.5
  done
  virsh -c qemu:///system version >/dev/null
fi
"$(dirname "$0")/tool-venv.sh" "$top/.cache/bmc-venv" "$top/tests/bmc-requirements.txt"
