"""Boot a QEMU machine (software emulation) from a netboot server on a Docker test network.

The machine's NIC is a tap device joined to the bridge of the test network, so its DHCP,
TFTP and HTTP traffic reaches the server container and nothing else.  Serial console lines
are timestamped as they arrive; the QMP socket takes screenshots.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS.fd'
# Secure Boot enforced: the firmware with SMM, and variables with Microsoft's keys enrolled.
OVMF_CODE_SECURE = '/usr/share/OVMF/OVMF_CODE_4M.ms.fd'
OVMF_VARS_SECURE = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd'
IPXE_LKRN = '/usr/lib/ipxe/ipxe.lkrn'
# iPXE as a plain firmware PXE client: another user class, so that Kea answers it like any
# PXE ROM (with the TFTP boot file of its architecture), then chain that file over TFTP.
PLAIN_PXE_SCRIPT = 'set user-class PXEClient && dhcp && chain tftp://${next-server}/${filename}'


def bridge_of(network):
    """Linux bridge of a Docker network: br- and the first 12 characters of its id."""
    network_id = subprocess.check_output(['docker', 'network', 'inspect', '-f', '{{.Id}}', network], text=True)
    return 'br-' + network_id.strip()[:12]


class Console:
    """Serial console lines of a machine, timestamped as they arrive (seconds since its start)."""

    def __init__(self, name):
        self.name = name
        self.lines = []  # (seconds since start, text)
        self.partial = (0.0, '')  # the line being written
        self.started = None
        self._pending = ''
        self._echo = False

    def _feed(self, text):
        """Take a chunk of console output (iPXE draws its menu without ending the line)."""
        self._pending += text
        *complete, self._pending = self._pending.split('\n')
        for line in complete:
            self._add(line.rstrip('\r'))
        self.partial = (time.monotonic() - self.started, self._pending)

    def _add(self, line):
        self.lines.append((time.monotonic() - self.started, line))
        if self._echo:
            print(f'[{self.name} {self.lines[-1][0]:6.1f}s] {line}', flush=True)

    def echo(self, on=True):
        """Print serial lines live as they arrive."""
        self._echo = on

    def running(self):
        """Whether the machine still runs."""
        raise NotImplementedError

    def _drain(self):
        """Take the last console output of a machine that stopped."""
        raise NotImplementedError

    def wait_for(self, text, timeout):
        """Seconds after start at which ``text`` first appeared on the serial console, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first(text)
            if found is not None:
                return found
            if not self.running():
                self._drain()
                return self.first(text)
            time.sleep(0.2)
        return None

    def first(self, text):
        for seconds, line in list(self.lines) + [self.partial]:
            if text in line:
                return seconds
        return None


class Machine(Console):
    """One QEMU machine; use as a context manager."""

    def __init__(self, name, network, firmware, mac, memory=512, workdir=None, disk=None, reboot=False, cpus=1,
                 http_boot=False, smbios=None, ipv6_only=False):
        """``disk``: a qcow2 image as the machine's disk, tried after the network; ``reboot``: restart
        on reboot instead of stopping; ``http_boot``: UEFI HTTP boot, with OVMF's PXE turned off (UEFI
        only: over IPv4, then over IPv6 after about 60 s of unanswered DHCPv4 on an IPv6-only network);
        ``smbios``: the system's vendor, product and serial ({'manufacturer': ..., ...}); ``ipv6_only``:
        OVMF without IPv4 (its PXE over IPv6 only)."""
        if firmware not in ('uefi', 'uefi-secure-boot', 'bios', 'bios-plain-pxe'):
            raise ValueError(f'unknown firmware {firmware!r}')
        if (http_boot or ipv6_only) and not firmware.startswith('uefi'):
            raise ValueError('HTTP boot and IPv6 only go with the uefi firmware only')
        if http_boot and ipv6_only:
            # Debian 12's OVMF (edk2 2022.11) with IPv4 off starts HTTP boot over IPv6 but never sends
            # its DHCPv6 Solicit ("Could not retrieve NBP file size"); with IPv4 on it boots over IPv6.
            raise ValueError('HTTP boot over IPv6 needs OVMF with IPv4 on: leave ipv6_only off')
        if disk is not None and firmware == 'bios-plain-pxe':
            raise ValueError('the plain PXE machine boots iPXE as its kernel: it has no disk')
        super().__init__(name)
        self.smbios = smbios or {}
        self.http_boot = http_boot
        self.ipv6_only = ipv6_only
        self.disk = disk
        self.reboot = reboot
        self.cpus = cpus
        self.firmware = firmware
        self.mac = mac
        self.memory = memory
        self.bridge = bridge_of(network)
        self.tap = ('nbt' + name)[:15]
        self.workdir = workdir or tempfile.mkdtemp(prefix=f'netboot-vm-{name}-')
        self.serial_log = os.path.join(self.workdir, 'serial.log')
        self.qmp_path = os.path.join(self.workdir, 'qmp.sock')
        self.process = None
        self._reader = None

    def _command(self):
        command = ['qemu-system-x86_64', '-accel', 'tcg', '-m', str(self.memory), '-smp', str(self.cpus),
                   '-display', 'none', '-serial', 'stdio',
                   '-qmp', f'unix:{self.qmp_path},server=on,wait=off',
                   '-netdev', f'tap,id=net0,ifname={self.tap},script=no,downscript=no']
        if not self.reboot:
            command.append('-no-reboot')
        if self.firmware.startswith('uefi'):
            secure = self.firmware == 'uefi-secure-boot'
            variables = os.path.join(self.workdir, 'OVMF_VARS.fd')
            shutil.copyfile(OVMF_VARS_SECURE if secure else OVMF_VARS, variables)
            if secure:
                command += ['-machine', 'q35,smm=on', '-global', 'driver=cfi.pflash01,property=secure,value=on']
            else:
                command += ['-machine', 'q35']
            command += ['-drive', f'if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE_SECURE if secure else OVMF_CODE}',
                        '-drive', f'if=pflash,format=raw,unit=1,file={variables}',
                        # No option ROM: OVMF's own PXE client fetches iPXE over TFTP.
                        '-device', f'virtio-net-pci,netdev=net0,mac={self.mac},romfile=,bootindex=0']
            if self.http_boot:
                command += ['-fw_cfg', 'name=opt/org.tianocore/IPv4PXESupport,string=n',
                            '-fw_cfg', 'name=opt/org.tianocore/IPv6PXESupport,string=n']
            if self.ipv6_only:
                command += ['-fw_cfg', 'name=opt/org.tianocore/IPv4Support,string=n']
        else:
            sercon = os.path.join(self.workdir, 'sercon-port')
            with open(sercon, 'wb') as handle:
                handle.write(bytes([0xF8, 0x03, 0x00, 0x00]))  # SeaBIOS console on COM1
            command += ['-machine', 'pc', '-fw_cfg', f'name=etc/sercon-port,file={sercon}']
            if self.firmware == 'bios-plain-pxe':
                # iPXE as the kernel, not the NIC's ROM: no boot order that would put the ROM first.
                command += ['-device', f'virtio-net-pci,netdev=net0,mac={self.mac}',
                            '-kernel', IPXE_LKRN, '-append', PLAIN_PXE_SCRIPT]
            else:
                command += ['-device', f'virtio-net-pci,netdev=net0,mac={self.mac},bootindex=0']
        if self.disk:
            # Tried after the network: the machine's own disk.
            command += ['-drive', f'if=none,id=disk0,format=qcow2,file={self.disk}',
                        '-device', f'virtio-blk-pci,drive=disk0,bootindex=1,serial=NETBOOT-{self.name.upper()[:8]}']
        if self.smbios:
            command += ['-smbios', 'type=1,' + ','.join(f'{key}={value}' for key, value in sorted(self.smbios.items()))]
        return command

    def __enter__(self):
        subprocess.run(['ip', 'link', 'del', self.tap], stderr=subprocess.DEVNULL, check=False)
        subprocess.run(['ip', 'tuntap', 'add', 'dev', self.tap, 'mode', 'tap'], check=True)
        subprocess.run(['ip', 'link', 'set', self.tap, 'master', self.bridge], check=True)
        subprocess.run(['ip', 'link', 'set', self.tap, 'up'], check=True)
        self.started = time.monotonic()
        self.process = subprocess.Popen(self._command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, cwd=self.workdir)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        with open(self.serial_log, 'w', encoding='utf-8', errors='replace') as log:
            while True:
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    break
                text = chunk.decode(errors='replace')
                log.write(text)
                log.flush()
                self._feed(text)
            if self._pending:
                self._add(self._pending)

    def running(self):
        return self.process.poll() is None

    def _drain(self):
        self._reader.join(2)

    def screendump(self, path):
        """Save the screen as PNG through QMP."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as qmp:
            qmp.settimeout(10)
            qmp.connect(self.qmp_path)
            reader = qmp.makefile('r')
            reader.readline()  # greeting
            for command in ({'execute': 'qmp_capabilities'},
                            {'execute': 'screendump', 'arguments': {'filename': os.path.abspath(path), 'format': 'png'}}):
                qmp.sendall(json.dumps(command).encode() + b'\n')
                while True:
                    answer = json.loads(reader.readline())
                    if 'return' in answer or 'error' in answer:
                        break
                if 'error' in answer:
                    raise RuntimeError(f'QMP {command["execute"]} failed: {answer["error"]}')

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader:
            self._reader.join(5)
        subprocess.run(['ip', 'link', 'del', self.tap], stderr=subprocess.DEVNULL, check=False)
        return False
