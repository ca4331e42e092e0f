"""A libvirt domain (QEMU without KVM) on a Docker test network, for the tests whose machines a BMC
emulator powers: sushy-tools (Redfish) and virtualbmc (IPMI) act on libvirt domains, not on QEMU
processes. The domain is defined shut off; its BMC starts it. Its serial console goes to a file that
is read as it grows, with the same lines and waits as vm.Machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from xml.sax.saxutils import escape, quoteattr

from vm import OVMF_CODE, OVMF_VARS, Console, bridge_of

LIBVIRT_URI = 'qemu:///system'


def virsh(*args, check=True):
    return subprocess.run(['virsh', '-q', '-c', LIBVIRT_URI, *args], capture_output=True, text=True, check=check)


def remove(name):
    """Stop and undefine the domain ``name`` if a former run left it."""
    virsh('destroy', name, check=False)
    virsh('undefine', '--nvram', name, check=False)


class Domain(Console):
    """One libvirt domain; use as a context manager (defined on enter, removed on exit)."""

    def __init__(self, name, network, firmware, mac, memory=512, disk_size=None, smbios=None):
        """``firmware``: bios (SeaBIOS) or uefi (OVMF, with PXE from its own network driver); the
        network first, then an empty disk of ``disk_size`` (qemu-img's notation: 8G); ``smbios``: the
        system's manufacturer, product and serial."""
        if firmware not in ('bios', 'uefi'):
            raise ValueError(f'unknown firmware {firmware!r}')
        super().__init__(name)
        self.domain = f'netboot-test-{name}'
        self.firmware = firmware
        self.mac = mac
        self.memory = memory
        self.disk_size = disk_size
        self.smbios = smbios or {}
        self.bridge = bridge_of(network)
        # libvirt runs QEMU as its own user: the files must be reachable for it.
        self.workdir = tempfile.mkdtemp(prefix=f'netboot-domain-{name}-')
        os.chmod(self.workdir, 0o755)
        self.serial_log = os.path.join(self.workdir, 'serial.log')
        self.disk = os.path.join(self.workdir, 'disk.qcow2') if disk_size else None
        self._stop = threading.Event()
        self._reader = None

    def xml(self):
        """The domain's libvirt XML."""
        os_lines = [f"<type arch='x86_64' machine='{'q35' if self.firmware == 'uefi' else 'pc'}'>hvm</type>"]
        if self.firmware == 'uefi':
            variables = os.path.join(self.workdir, 'OVMF_VARS.fd')
            shutil.copyfile(OVMF_VARS, variables)
            os_lines += [f"<loader readonly='yes' type='pflash'>{OVMF_CODE}</loader>",
                         f'<nvram>{escape(variables)}</nvram>']
        else:
            os_lines.append("<bios useserial='yes'/>")
        sysinfo = ''
        if self.smbios:
            os_lines.append("<smbios mode='sysinfo'/>")
            entries = ''.join(f'<entry name={quoteattr(key)}>{escape(value)}</entry>' for key, value in sorted(self.smbios.items()))
            sysinfo = f"<sysinfo type='smbios'><system>{entries}</system></sysinfo>"
        # No option ROM on UEFI: OVMF's own PXE client fetches iPXE over TFTP (as vm.Machine does).
        rom = "<rom enabled='no'/>" if self.firmware == 'uefi' else ''
        devices = [f"<interface type='bridge'><source bridge={quoteattr(self.bridge)}/><mac address={quoteattr(self.mac)}/>"
                   f"<model type='virtio'/>{rom}<boot order='1'/></interface>",
                   f"<serial type='file'><source path={quoteattr(self.serial_log)} append='on'/><target port='0'/></serial>",
                   "<console type='file'><target type='serial' port='0'/></console>"]
        if self.disk:
            devices.append(f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file={quoteattr(self.disk)}/>"
                           f"<target dev='vda' bus='virtio'/><serial>NETBOOT-{escape(self.name.upper()[:8])}</serial>"
                           "<boot order='2'/></disk>")
        return (f"<domain type='qemu'><name>{escape(self.domain)}</name><memory unit='MiB'>{self.memory}</memory>"
                f"<vcpu>1</vcpu>{sysinfo}<os>{''.join(os_lines)}</os><features><acpi/></features>"
                f"<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
                f"<devices>{''.join(devices)}</devices></domain>")

    def __enter__(self):
        remove(self.domain)
        if self.disk:
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', self.disk, self.disk_size], check=True)
        path = os.path.join(self.workdir, 'domain.xml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(self.xml())
        virsh('define', path)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        """Follow the serial log from the machine's first start."""
        offset = 0
        while not self._stop.is_set():
            size = os.path.getsize(self.serial_log) if os.path.exists(self.serial_log) else 0
            if size > offset:
                if self.started is None:
                    self.started = time.monotonic()
                with open(self.serial_log, 'rb') as log:
                    log.seek(offset)
                    chunk = log.read(size - offset)
                offset = size
                self._feed(chunk.decode(errors='replace'))
            else:
                time.sleep(0.2)

    def uuid(self):
        """libvirt's UUID of the domain (what sushy-tools names it by)."""
        return virsh('domuuid', self.domain).stdout.strip()

    def state(self):
        """libvirt's state of the domain: running, shut off, ..."""
        return virsh('domstate', self.domain, check=False).stdout.strip()

    def running(self):
        return self.state() == 'running'

    def _drain(self):
        time.sleep(0.5)

    def __exit__(self, *exc):
        self._stop.set()
        if self._reader:
            self._reader.join(5)
        remove(self.domain)
        return False
