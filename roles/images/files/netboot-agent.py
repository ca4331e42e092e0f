# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netboot.pxe agent: runs in the agent boot image, from its initramfs.

It fetches its job from the server (netboot.job=<URL> on the kernel command line) and runs it in
small steps, each logged with its result: inspect the machine, choose the disk, write the image
(a raw disk image streamed to the disk, or a root file-system archive unpacked onto file systems it
makes), install the boot loader from the image's own packages, write the cloud-init seed. It then
reports to the server under the build's token and, on success, deletes the build's marker and
reboots into the installed system. On failure it reports the step and the reason with the last
lines of its log, wipes what it wrote and waits (or powers off): a half-written disk never boots.
Its other job (discovery, ``"mode": "inspect"``) sends the facts only, then waits until the server
names the machine and reboots into what it has for it, or powers the machine off.

The agent trusts the server; the server trusts nothing the agent sends.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

CHUNK = 1024 * 1024
LOG_TAIL = 40
LINE_MAX = 300
REASON_MAX = 500
# GPT partition types: BIOS boot, EFI system, Linux root (x86-64), Linux file system.
BIOS_BOOT = '21686148-6449-6E6F-744E-656564454649'
ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'
ROOT_X86_64 = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'
LINUX_DATA = '0FC63DAF-8483-4772-8E79-3D69D8477DE4'
SECURE_BOOT_VAR = 'SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c'
# The installed system's UEFI boot entry: the removable-media loader of its EFI system partition.
BOOT_LABEL = 'netboot.pxe installed system'
UEFI_LOADER = '\\EFI\\BOOT\\BOOTX64.EFI'
# Block devices that are never a target: loop, RAM, optical, zram, device-mapper, md, floppy.
NOT_DISKS = re.compile(r'(loop|ram|sr|zram|dm-|md|fd|nbd)[0-9]')
DECOMPRESS = {'none': None, 'gz': ['gzip', '-dc'], 'xz': ['xz', '-dc'], 'zst': ['zstd', '-dcq']}
TAR_FLAGS = {'none': [], 'gz': ['--gzip'], 'xz': ['--xz'], 'zst': ['--zstd']}


class AgentError(Exception):
    """A step failed; the message is the reason reported to the server."""


class ChecksumError(AgentError):
    """What was written is not the image the server named."""


# --- The job and the log ------------------------------------------------------------------------

def cmdline_args(text):
    """{name: value} of the netboot.* and BOOTIF words of a kernel command line."""
    args = {}
    for word in text.split():
        name, sep, value = word.partition('=')
        if sep and (name.startswith('netboot.') or name == 'BOOTIF'):
            args[name] = value
    return args


def boot_mac(bootif):
    """The MAC of iPXE's BOOTIF=01-aa-bb-cc-dd-ee-ff, with colons; '' if there is none."""
    match = re.fullmatch(r'01-((?:[0-9a-fA-F]{2}-){5}[0-9a-fA-F]{2})', bootif or '')
    return match.group(1).replace('-', ':').lower() if match else ''


class Log:
    """Lines of what the agent did, printed to the console as they come; the last ones go with a report."""

    def __init__(self, out=None):
        self.lines = []
        self.out = out

    def __call__(self, line):
        line = f'netboot-agent: {line}'
        self.lines.append(line)
        if self.out is not None:
            print(line, file=self.out, flush=True)

    def tail(self, count=LOG_TAIL):
        """The last lines, each one line of printable text the server's reader takes."""
        return [one_line(line, LINE_MAX) for line in self.lines[-count:]]


def one_line(text, limit):
    """``text`` on one line of printable characters, at most ``limit`` long."""
    return re.sub(r'[^\x20-\x7e]+', ' ', text).strip()[:limit]


# --- inspect: what the machine is made of --------------------------------------------------------

def _read(path, default=''):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read().strip()
    except OSError:
        return default


def _int(text, default=None):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


# The server takes firmware texts of these characters only; others become "_".
TEXT_REFUSED = re.compile(r'[^A-Za-z0-9 ._,:/()+#@=-]')
ETHERNET_MAC = re.compile(r'[0-9a-f]{2}(?::[0-9a-f]{2}){5}')


def firmware_text(value, limit):
    """``value`` as the server takes a firmware text: its characters, single spaces, at most ``limit`` long."""
    return TEXT_REFUSED.sub('_', ' '.join(value.split()))[:limit].strip()


def nics(sys_root='/sys'):
    """Every physical Ethernet interface: name, mac, driver, link (up or down), speed (Mb/s or None)."""
    base = os.path.join(sys_root, 'class/net')
    found = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        path = os.path.join(base, name)
        if not os.path.exists(os.path.join(path, 'device')):
            continue
        mac = _read(os.path.join(path, 'address')).lower()
        if not ETHERNET_MAC.fullmatch(mac):
            continue
        driver = os.path.basename(os.path.realpath(os.path.join(path, 'device/driver')))
        speed = _int(_read(os.path.join(path, 'speed')))
        found.append({'name': name, 'mac': mac, 'driver': driver,
                      'link': 'up' if _read(os.path.join(path, 'carrier')) == '1' else 'down',
                      'speed': speed if speed is not None and speed > 0 else None})
    return found


def dmi(sys_root='/sys'):
    """The system's vendor, product, serial and UUID from the firmware's DMI tables."""
    base = os.path.join(sys_root, 'class/dmi/id')
    return {key: firmware_text(_read(os.path.join(base, name)), 128) for key, name in
            (('vendor', 'sys_vendor'), ('product', 'product_name'), ('serial', 'product_serial'), ('uuid', 'product_uuid'))}


def cpu(proc_root='/proc'):
    """The CPU model and the number of logical CPUs."""
    text = _read(os.path.join(proc_root, 'cpuinfo'))
    models = re.findall(r'^model name\s*:\s*(.*)$', text, re.MULTILINE)
    return {'model': firmware_text(models[0], 128) if models else '', 'count': len(re.findall(r'^processor\s*:', text, re.MULTILINE))}


def memory(proc_root='/proc'):
    """The memory size in bytes (MemTotal)."""
    match = re.search(r'^MemTotal:\s*([0-9]+) kB', _read(os.path.join(proc_root, 'meminfo')), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def disks(sys_root='/sys'):
    """Every disk: path, size (bytes), model, serial, rotational, removable."""
    base = os.path.join(sys_root, 'block')
    found = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if NOT_DISKS.match(name):
            continue
        path = os.path.join(base, name)
        serial = _read(os.path.join(path, 'serial')) or _read(os.path.join(path, 'device/serial'))
        found.append({'path': f'/dev/{name}', 'size': (_int(_read(os.path.join(path, 'size'))) or 0) * 512,
                      'model': firmware_text(_read(os.path.join(path, 'device/model')), 64), 'serial': firmware_text(serial, 64),
                      'rotational': _read(os.path.join(path, 'queue/rotational')) == '1',
                      'removable': _read(os.path.join(path, 'removable')) == '1'})
    return found


def firmware(sys_root='/sys'):
    """bios or uefi, and whether UEFI Secure Boot is on."""
    if not os.path.isdir(os.path.join(sys_root, 'firmware/efi')):
        return {'mode': 'bios', 'secure_boot': False}
    try:
        with open(os.path.join(sys_root, 'firmware/efi/efivars', SECURE_BOOT_VAR), 'rb') as handle:
            data = handle.read()
    except OSError:
        data = b''
    # Four bytes of attributes, then the value.
    return {'mode': 'uefi', 'secure_boot': len(data) >= 5 and data[4] == 1}


def inspect(sys_root='/sys', proc_root='/proc', mac=''):
    """The machine's facts, as the server's schema takes them."""
    return {'mac': mac, 'nics': nics(sys_root), 'system': dmi(sys_root), 'cpu': cpu(proc_root),
            'memory': memory(proc_root), 'disks': disks(sys_root), 'firmware': firmware(sys_root)}


# --- choose the disk -----------------------------------------------------------------------------

def choose_disk(found, rule, image_size):
    """The disk ``rule`` names (path, serial, model, min_size, max_size; all given must hold), else the
    smallest non-removable disk that holds ``image_size`` bytes. Raises AgentError naming the disks seen."""
    rule = rule or {}
    candidates = [disk for disk in found if disk['size'] >= image_size]
    if not rule.get('path'):
        candidates = [disk for disk in candidates if not disk['removable']]
    for key in ('path', 'serial', 'model'):
        if rule.get(key):
            candidates = [disk for disk in candidates if disk[key] == rule[key]]
    if rule.get('min_size'):
        candidates = [disk for disk in candidates if disk['size'] >= rule['min_size']]
    if rule.get('max_size'):
        candidates = [disk for disk in candidates if disk['size'] <= rule['max_size']]
    if not candidates:
        seen = ', '.join(f'{disk["path"]} ({disk["size"]} bytes, model {disk["model"] or "-"}, serial '
                         f'{disk["serial"] or "-"}{", removable" if disk["removable"] else ""})' for disk in found) or 'none'
        raise AgentError(f'no disk matched {json.dumps(rule, sort_keys=True)} holding {image_size} bytes; disks: {seen}')
    return min(candidates, key=lambda disk: (disk['size'], disk['path']))


def partition_path(disk, number):
    """/dev/vda, 2 -> /dev/vda2; /dev/nvme0n1, 2 -> /dev/nvme0n1p2."""
    return f'{disk}{"p" if disk[-1].isdigit() else ""}{number}'


# --- write the image -----------------------------------------------------------------------------

class Digest:
    """The checksum of what streams through, compared with the server's ``algorithm:hex``."""

    def __init__(self, checksum):
        algorithm, _colon, self.expected = checksum.partition(':')
        if algorithm not in ('sha256', 'sha512') or not re.fullmatch(r'[0-9a-f]+', self.expected):
            raise AgentError(f'unsupported checksum {checksum!r}')
        self.hash = hashlib.new(algorithm)
        self.size = 0

    def update(self, chunk):
        self.hash.update(chunk)
        self.size += len(chunk)

    def check(self, url):
        if self.hash.hexdigest() != self.expected:
            raise ChecksumError(f'checksum mismatch for {url}: got {self.hash.name}:{self.hash.hexdigest()} '
                                f'({self.size} bytes), expected {self.hash.name}:{self.expected}')


def stream(url, checksum, sink, opener=urllib.request.urlopen):
    """Copy ``url`` into ``sink`` (a binary file), hashing it on the way; raises ChecksumError after the
    last byte when it is not the image the server named. Returns the number of bytes."""
    digest = Digest(checksum)
    with opener(url, timeout=60) as response:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            sink.write(chunk)
    sink.flush()
    digest.check(url)
    return digest.size


class _Pipe:
    """A tool's input that, once the tool stops reading, takes the rest of the stream unwritten: the
    checksum of the whole download then says whether the image or the tool was at fault."""

    def __init__(self, stream_in):
        self.stream_in = stream_in
        self.broken = False

    def write(self, chunk):
        if not self.broken:
            try:
                self.stream_in.write(chunk)
            except BrokenPipeError:
                self.broken = True

    def flush(self):
        if not self.broken:
            try:
                self.stream_in.flush()
            except BrokenPipeError:
                self.broken = True

    def close(self):
        try:
            self.stream_in.close()
        except BrokenPipeError:
            self.broken = True


def _piped(command, url, checksum, opener, stdout=None):
    """Stream ``url`` into ``command``'s input; fails on the checksum first, then on the tool's exit status."""
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE) as process:
        pipe = _Pipe(process.stdin)
        try:
            size = stream(url, checksum, pipe, opener)
        finally:
            pipe.close()
        error = process.stderr.read().decode('utf-8', 'replace').strip()
        if process.wait() != 0 or pipe.broken:
            raise AgentError(f'{command[0]} failed on {url}: {error[-300:] or "exit status " + str(process.returncode)}')
    return size


def write_raw(url, checksum, compression, device, opener=urllib.request.urlopen):
    """Stream a raw disk image (plain or compressed) onto ``device``."""
    with open(device, 'r+b') as disk:
        if DECOMPRESS[compression] is None:
            size = stream(url, checksum, disk, opener)
        else:
            size = _piped(DECOMPRESS[compression], url, checksum, opener, stdout=disk)
        disk.flush()
        os.fsync(disk.fileno())
    return size


def partition_table():
    """The sfdisk script of an archive deploy: BIOS boot, EFI system, root (the rest of the disk)."""
    return ('label: gpt\n'
            f'size=1MiB, type={BIOS_BOOT}, name="bios"\n'
            f'size=512MiB, type={ESP}, name="esp"\n'
            f'type={ROOT_X86_64}, name="root"\n')


def fstab(root_uuid, esp_uuid):
    """The installed system's fstab: its file systems by UUID."""
    return (f'UUID={root_uuid} / ext4 errors=remount-ro 0 1\n'
            f'UUID={esp_uuid} /boot/efi vfat umask=0077 0 2\n')


def root_partition(table):
    """The number of the root partition in ``sfdisk --json``'s table: the Linux root, else the
    largest Linux file system partition."""
    partitions = table.get('partitiontable', {}).get('partitions', [])
    roots = [part for part in partitions if part.get('type', '').upper() == ROOT_X86_64]
    roots = roots or sorted((part for part in partitions if part.get('type', '').upper() == LINUX_DATA),
                            key=lambda part: -part.get('size', 0))
    if not roots:
        raise AgentError('the image has no Linux root partition (GPT type root x86-64 or Linux file system)')
    match = re.search(r'([0-9]+)$', roots[0]['node'])
    return int(match.group(1))


def esp_partition(table):
    """The number of the EFI system partition in ``sfdisk --json``'s table."""
    for part in table.get('partitiontable', {}).get('partitions', []):
        if part.get('type', '').upper() == ESP:
            return int(re.search(r'([0-9]+)$', part['node']).group(1))
    raise AgentError('the disk has no EFI system partition: a UEFI machine cannot boot it')


def boot_entries(text):
    """(BootCurrent, BootOrder, {entry: label}) from efibootmgr's listing."""
    current = re.search(r'^BootCurrent: ([0-9A-Fa-f]{4})\s*$', text, re.MULTILINE)
    order = re.search(r'^BootOrder: ([0-9A-Fa-f,]*)\s*$', text, re.MULTILINE)
    labels = {match.group(1).upper(): match.group(2).split('\t')[0].strip()
              for match in re.finditer(r'^Boot([0-9A-Fa-f]{4})\*? (.*)$', text, re.MULTILINE)}
    return (current.group(1).upper() if current else '',
            [entry.upper() for entry in order.group(1).split(',') if entry] if order else [], labels)


def boot_order(current, order, new):
    """The network entry that booted the agent first (a reinstall stays a network boot away), the
    installed system next, then the rest."""
    return ([current] if current else []) + [new] + [entry for entry in order if entry not in (current, new)]


def register_uefi_boot(machine, disk, table, label=BOOT_LABEL):
    """A UEFI boot entry for the installed system's removable-media loader, right after the network:
    firmware does not always look for that loader on a fixed disk by itself."""
    esp = esp_partition(table)
    current, _order, labels = boot_entries(machine.run(['efibootmgr']))
    for entry, name in labels.items():
        if name == label:
            machine.run(['efibootmgr', '--quiet', '--bootnum', entry, '--delete-bootnum'])
    _current, order, labels = boot_entries(machine.run(['efibootmgr', '--create', '--disk', disk, '--part', str(esp),
                                                        '--label', label, '--loader', UEFI_LOADER]))
    new = [entry for entry, name in labels.items() if name == label]
    if not new:
        raise AgentError(f'efibootmgr made no entry {label!r}')
    machine.run(['efibootmgr', '--quiet', '--bootorder', ','.join(boot_order(current, order, new[0]))])
    return new[0]


def bootloader_commands(root, disk, firmware_mode):
    """The boot loader installs the image's own packages make possible, in its chroot: GRUB for BIOS
    (into the disk) and for UEFI (the removable path, no firmware variables), then its menu."""
    commands = []
    if os.path.isdir(os.path.join(root, 'usr/lib/grub/i386-pc')):
        commands.append(['grub-install', '--target=i386-pc', disk])
    if os.path.isdir(os.path.join(root, 'usr/lib/grub/x86_64-efi')):
        commands.append(['grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--removable', '--no-nvram'])
    if not commands:
        raise AgentError('the image holds no GRUB for BIOS or UEFI (grub-pc-bin, grub-efi-amd64-bin)')
    if firmware_mode == 'uefi' and len(commands) == 1 and commands[0][1] == '--target=i386-pc':
        raise AgentError('this machine boots UEFI but the image holds GRUB for BIOS only (grub-efi-amd64-bin)')
    commands.append(['grub-mkconfig', '-o', '/boot/grub/grub.cfg'])
    return [['chroot', root] + command for command in commands]


def seed_files(seed):
    """The cloud-init NoCloud seed files: path under the root, content, mode."""
    files = []
    for name in ('meta-data', 'user-data', 'network-config'):
        if name in seed:
            files.append((f'var/lib/cloud/seed/nocloud/{name}', seed[name], 0o600))
    return files


# --- the machine --------------------------------------------------------------------------------

class Machine:
    """What the steps do to the machine: commands, mounts, files. Tests give a fake one."""

    def __init__(self, log):
        self.log = log

    def run(self, command, input_text=None):
        self.log('$ ' + ' '.join(command))
        result = subprocess.run(command, input=input_text, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AgentError(f'{command[0]} failed (exit status {result.returncode}): '
                             f'{(result.stderr or result.stdout).strip()[-300:]}')
        return result.stdout

    def write(self, path, content, mode):
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(content)
        os.chmod(path, mode)

    def wipe(self, disk):
        """Make a disk unbootable: no signatures, no partition table."""
        subprocess.run(['wipefs', '--all', '--force', disk], capture_output=True, check=False)
        with open(disk, 'r+b') as handle:
            handle.write(b'\0' * CHUNK)
            handle.flush()
            os.fsync(handle.fileno())


# --- the steps ----------------------------------------------------------------------------------

def deploy_archive(machine, image, disk, opener, target='/target'):
    machine.run(['wipefs', '--all', '--force', disk])
    machine.run(['sfdisk', '--quiet', '--wipe', 'always', disk], partition_table())
    machine.run(['blockdev', '--rereadpt', disk])
    esp, root = partition_path(disk, 2), partition_path(disk, 3)
    machine.run(['mkfs.vfat', '-F', '32', '-n', 'ESP', esp])
    machine.run(['mkfs.ext4', '-F', '-q', '-L', 'root', root])
    os.makedirs(target, exist_ok=True)
    machine.run(['mount', root, target])
    os.makedirs(os.path.join(target, 'boot/efi'), exist_ok=True)
    machine.run(['mount', esp, os.path.join(target, 'boot/efi')])
    machine.log(f'unpacking {image["url"]} onto {root}')
    _piped(['tar', '-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', target, '-f', '-']
           + TAR_FLAGS[image['compression']], image['url'], image['checksum'], opener)
    uuids = {part: machine.run(['blkid', '-s', 'UUID', '-o', 'value', part]).strip() for part in (root, esp)}
    machine.write(os.path.join(target, 'etc/fstab'), fstab(uuids[root], uuids[esp]), 0o644)
    return target


def install_bootloader(machine, target, disk, firmware_mode):
    for name in ('dev', 'proc', 'sys', 'run'):
        machine.run(['mount', '--rbind', f'/{name}', os.path.join(target, name)])
    for command in bootloader_commands(target, disk, firmware_mode):
        machine.run(command)


def deploy_raw(machine, image, disk, opener, target='/target'):
    machine.log(f'writing {image["url"]} to {disk}')
    write_raw(image['url'], image['checksum'], image['compression'], disk, opener)
    machine.run(['blockdev', '--rereadpt', disk])
    # The image's backup GPT sits where the image ended: move it to the end of the disk.
    machine.run(['sfdisk', '--quiet', '--relocate', 'gpt-bak-std', disk])
    machine.run(['blockdev', '--rereadpt', disk])
    root = partition_path(disk, root_partition(json.loads(machine.run(['sfdisk', '--json', disk]))))
    os.makedirs(target, exist_ok=True)
    machine.run(['mount', root, target])
    return target


def http(method, url, body=None, opener=urllib.request.urlopen):
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={'Content-Type': 'application/json'} if body is not None else {})
    with opener(request, timeout=30) as response:
        return response.status


def report(job, status, log, step='', reason='', facts=None, opener=urllib.request.urlopen):
    """Send the result to the server, under the build's token."""
    body = {'status': status, 'step': step, 'reason': one_line(reason, REASON_MAX), 'log': log.tail()}
    if facts is not None:
        body['facts'] = facts
    http('PUT', job['report_url'], json.dumps(body).encode(), opener)


def image_description(url, opener=urllib.request.urlopen):
    """The image the job names: its image.json, with the file's URL made absolute."""
    with opener(url, timeout=60) as response:
        image = json.loads(response.read(64 * 1024))
    if not isinstance(image, dict) or not isinstance(image.get('file'), str) or '/' in image['file']:
        raise AgentError(f'{url} does not describe an image (file, checksum, form, compression, size)')
    if image.get('form') not in ('archive', 'raw') or image.get('compression') not in DECOMPRESS:
        raise AgentError(f'{url}: unknown form {image.get("form")!r} or compression {image.get("compression")!r}')
    return dict(image, url=urllib.parse.urljoin(url, image['file']), size=int(image.get('size', 0)))


def run(job, log, machine, facts, opener=urllib.request.urlopen):
    """Run a deploy job; returns (status, step, reason)."""
    step = 'fetch image description'
    disk = None
    try:
        image = image_description(job['image'], opener)
        step = 'choose disk'
        disk = choose_disk(facts['disks'], job.get('disk'), image.get('size', 0))['path']
        log(f'step {step}: {disk}')
        step = 'write image'
        if image['form'] == 'archive':
            target = deploy_archive(machine, image, disk, opener)
            log(f'step {step}: done')
            step = 'install boot loader'
            install_bootloader(machine, target, disk, facts['firmware']['mode'])
        else:
            target = deploy_raw(machine, image, disk, opener)
        log(f'step {step}: done')
        if facts['firmware']['mode'] == 'uefi':
            # Not fatal: the image's removable-media loader boots where the firmware looks for it.
            try:
                entry = register_uefi_boot(machine, disk, json.loads(machine.run(['sfdisk', '--json', disk])))
                log(f'step register boot entry: Boot{entry}')
            except (AgentError, ValueError) as exc:
                log(f'step register boot entry: skipped ({exc})')
        step = 'write seed'
        for path, content, mode in seed_files(job.get('seed', {})):
            machine.write(os.path.join(target, path), content, mode)
        log(f'step {step}: done')
        machine.run(['umount', '--recursive', target])
        machine.run(['sync'])
        return 'deployed', '', ''
    except (AgentError, OSError, KeyError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, AgentError) else f'{type(exc).__name__}: {exc}'
        log(f'step {step} failed: {reason}')
        if disk is not None:
            log(f'wiping {disk}: it must not boot half written')
            machine.wipe(disk)
        return 'failed', step, reason


def status_of(url, opener=urllib.request.urlopen):
    """The HTTP status of a GET of ``url``, or None when the server cannot be reached."""
    try:
        with opener(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def enrolment(job, mac, opener=urllib.request.urlopen):
    """How the server names the machine now: ``script`` (its script is served to it), ``elsewhere``
    (its script is served to another address: the reservation it gets from its next lease),
    ``known`` (a reservation without a script: the menu), or None (not yet)."""
    key = mac.replace(':', '-')
    script = status_of(job['script_url'].replace('{key}', key), opener)
    if script == 200:
        return 'script'
    if script == 403:
        return 'elsewhere'
    if script == 404 and status_of(job['known_url'].replace('{key}', key), opener) == 200:
        return 'known'
    return None


def renew_lease(facts, log):
    """Ask DHCP again on the boot interface (the address of a new reservation)."""
    names = [nic['name'] for nic in facts['nics'] if nic['mac'] == facts['mac']]
    if not names:
        return
    result = subprocess.run(['busybox', 'udhcpc', '-i', names[0], '-n', '-q', '-t', '5', '-T', '2',
                             '-s', '/usr/lib/netboot-agent/udhcpc.script'], capture_output=True, text=True, check=False)
    log(f'renewed the lease on {names[0]} (exit status {result.returncode})')


def discover(job, log, facts, sleep=time.sleep, opener=urllib.request.urlopen, polls=None, renew=None):
    """The inspect job: send the facts, then wait until the machine is enrolled (0: reboot into it),
    or power it off (2). ``polls`` bounds the wait (tests); None waits as long as it takes. A script
    served to another address means a new reservation: the lease is renewed (``renew``) until the
    script is served to this machine, so that it boots with the address its script is for. It
    reboots on the same answer twice in a row (site.yml writes a new script before the locations
    that keep it to its machine)."""
    body = json.dumps(facts, sort_keys=True).encode()
    for attempt in range(5):
        try:
            http('PUT', job['report_url'], body, opener)
            log('inspected; the facts were sent to the server')
            break
        except OSError as exc:
            log(f'cannot send the facts (attempt {attempt + 1}): {exc}')
            sleep(5)
    else:
        return 1
    if job.get('after') == 'poweroff':
        return 2
    log('waiting to be enrolled (one line in ipxe_hosts with this MAC, then site.yml)')
    renew = renew or (lambda: renew_lease(facts, log))
    count, previous = 0, None
    while polls is None or count < polls:
        count += 1
        found = enrolment(job, facts['mac'], opener)
        # Twice the same answer: the server's files and locations are in place, not half written.
        if found in ('script', 'known') and found == previous:
            log('enrolled; rebooting into what the server has for this machine')
            return 0
        if found == 'elsewhere':
            renew()
        previous = found
        sleep(int(job.get('poll_seconds', 10)))
    return 1


def main():
    log = Log(sys.stdout)
    args = cmdline_args(_read('/proc/cmdline'))
    job_url = args.get('netboot.job', '')
    try:
        with urllib.request.urlopen(job_url, timeout=60) as response:
            job = json.loads(response.read(1024 * 1024))
    except (OSError, ValueError) as exc:
        log(f'cannot fetch the job at {job_url!r}: {exc}')
        return 1
    facts = inspect(mac=boot_mac(args.get('BOOTIF')))
    log(f'inspected: {json.dumps(facts, sort_keys=True)}')
    if job.get('mode') == 'inspect':
        return discover(job, log, facts)
    status, step, reason = run(job, log, Machine(log), facts)
    try:
        report(job, status, log, step, reason, facts)
        if status == 'deployed':
            http('DELETE', job['done_url'])
            log('deployed; rebooting into the installed system')
            return 0
    except OSError as exc:
        log(f'cannot report to the server: {exc}')
    log('waiting: nothing was booted from the disk (power the machine off, or enrol it again)')
    if job.get('on_failure') == 'poweroff':
        return 2
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    sys.exit(main())
