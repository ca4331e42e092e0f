#!/usr/bin/env bash
# Firmware, QEMU and guest files for the real-VM boot tests, from Debian's packages.
# Packages that only provide files for the guest are unpacked, not installed.
# Output (reused when present): .cache/vm/{vmlinuz,vmlinuz-unsigned,initrd.img,d-i/linux,d-i/initrd.gz}
# (vmlinuz is Debian's kernel, signed for Secure Boot; vmlinuz-unsigned the same with its signature removed.)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/.cache/vm"
marker=${NETBOOT_BOOT_MARKER:-NETBOOT-PXE-GUEST-UP}

"$(dirname "$0")/apt-install.sh" qemu-system-x86 qemu-utils ovmf ipxe-qemu ipxe busybox-static cpio sbsigntool

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt-get download drops privileges to _apt
cd "$work"

if [ ! -s "$out/vmlinuz" ]; then
  kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  apt-get download -q "$kernel_pkg" >/dev/null
  dpkg-deb -x ./*.deb kernel
  cp kernel/boot/vmlinuz-* "$out/vmlinuz"
  rm -f ./*.deb
fi

if [ ! -s "$out/vmlinuz-unsigned" ]; then
  cp "$out/vmlinuz" "$work/vmlinuz-unsigned"
  sbattach --remove "$work/vmlinuz-unsigned"
  cp "$work/vmlinuz-unsigned" "$out/vmlinuz-unsigned"
fi

if [ ! -s "$out/initrd.img" ]; then
  # A tiny initrd: prints the marker on the serial console, then powers off.
  mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev
  mknod initrd/dev/console c 5 1
  mknod initrd/dev/ttyS0 c 4 64
  cp /bin/busybox initrd/bin/busybox
  for tool in sh echo cat mount poweroff sleep; do ln -s busybox "initrd/bin/$tool"; done
  cat >initrd/init <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "$marker \$(cat /proc/cmdline)" > /dev/console
echo "$marker" > /dev/ttyS0 2>/dev/null
poweroff -f
INIT
  chmod +x initrd/init
  (cd initrd && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.img"
fi

if [ ! -s "$out/d-i/initrd.gz" ]; then
  apt-get download -q debian-installer-12-netboot-amd64 >/dev/null
  dpkg-deb -x ./debian-installer-12-netboot-amd64_*.deb d-i
  mkdir -p "$out/d-i"
  base=$(find d-i -path '*/debian-installer/amd64' -type d | head -n 1)
  cp "$base/linux" "$base/initrd.gz" "$out/d-i/"
fi
ls -l "$out" "$out/d-i"
