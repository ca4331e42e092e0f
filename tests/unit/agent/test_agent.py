"""The netboot.pxe agent's steps, on fake machines: inspect, choose the disk, write the image, report."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import lzma
import os
import pathlib
import shutil

import pytest

AGENT = pathlib.Path(__file__).resolve().parents[3] / 'roles' / 'images' / 'files' / 'netboot-agent.py'
SPEC = importlib.util.spec_from_file_location('netboot_agent', AGENT)
agent = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(agent)

GIB = 1024 ** 3


def disk(path, size, model='', serial='', removable=False):
    return {'path': path, 'size': size, 'model': model, 'serial': serial, 'rotational': False, 'removable': removable}


DISKS = [disk('/dev/sda', 480 * GIB, 'SSD-480', 'S1'), disk('/dev/sdb', 4000 * GIB, 'HDD-4T', 'H1'),
         disk('/dev/sdc', 32 * GIB, 'USB stick', 'U1', removable=True), disk('/dev/nvme0n1', 960 * GIB, 'NVMe', 'N1')]


# --- the job ---

def test_cmdline_args_take_the_netboot_words_and_bootif():
    args = agent.cmdline_args('console=ttyS0 netboot.job=http://10.0.0.2/answers/x/job.json BOOTIF=01-52-54-00-aa-bb-cc quiet')
    assert args == {'netboot.job': 'http://10.0.0.2/answers/x/job.json', 'BOOTIF': '01-52-54-00-aa-bb-cc'}


@pytest.mark.parametrize('bootif, mac', [
    ('01-52-54-00-AA-bb-cc', '52:54:00:aa:bb:cc'),
    ('52-54-00-aa-bb-cc', ''),
    ('01-52-54-00-aa-bb', ''),
    (None, ''),
])
def test_boot_mac(bootif, mac):
    assert agent.boot_mac(bootif) == mac


def test_log_tail_is_what_the_server_reader_takes():
    log = agent.Log()
    for number in range(50):
        log(f'line {number}')
    log('x' * 1000 + '\nsecond\tline\x1b[0m')
    tail = log.tail()
    assert len(tail) == agent.LOG_TAIL
    assert tail[0] == 'netboot-agent: line 11'
    assert all(len(line) <= agent.LINE_MAX and line.isprintable() for line in tail)


# --- inspect ---

def write(root, path, text):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def machine_tree(tmp_path):
    sys_root, proc_root = tmp_path / 'sys', tmp_path / 'proc'
    write(sys_root, 'class/dmi/id/sys_vendor', 'Acme\n')
    write(sys_root, 'class/dmi/id/product_name', 'Rack9\n')
    write(sys_root, 'class/dmi/id/product_serial', 'SN42\n')
    write(sys_root, 'class/dmi/id/product_uuid', '6e1c5b2a-0000-4000-8000-000000000001\n')
    for name, mac, carrier, speed in (('eno1', '52:54:00:AA:00:01', '1', '1000'), ('eno2', '52:54:00:aa:00:02', '0', '-1')):
        write(sys_root, f'class/net/{name}/address', mac + '\n')
        write(sys_root, f'class/net/{name}/carrier', carrier + '\n')
        write(sys_root, f'class/net/{name}/speed', speed + '\n')
        driver = sys_root / 'bus/pci/drivers/e1000e'
        driver.mkdir(parents=True, exist_ok=True)
        (sys_root / f'class/net/{name}/device').mkdir()
        os.symlink(driver, sys_root / f'class/net/{name}/device/driver')
    write(sys_root, 'class/net/lo/address', '00:00:00:00:00:00\n')
    write(sys_root, 'block/vda/size', str(8 * GIB // 512) + '\n')
    write(sys_root, 'block/vda/serial', 'DISK123\n')
    write(sys_root, 'block/vda/queue/rotational', '1\n')
    write(sys_root, 'block/vda/removable', '0\n')
    write(sys_root, 'block/sr0/size', '2097152\n')
    write(sys_root, 'block/loop0/size', '0\n')
    write(sys_root, 'block/nvme0n1/size', str(16 * GIB // 512) + '\n')
    write(sys_root, 'block/nvme0n1/device/model', 'QEMU NVMe Ctrl\n')
    write(sys_root, 'block/nvme0n1/device/serial', 'NV1\n')
    write(sys_root, 'block/nvme0n1/queue/rotational', '0\n')
    write(sys_root, 'block/nvme0n1/removable', '0\n')
    write(proc_root, 'cpuinfo', 'processor\t: 0\nmodel name\t: QEMU Virtual CPU\n\nprocessor\t: 1\nmodel name\t: QEMU Virtual CPU\n')
    write(proc_root, 'meminfo', 'MemTotal:        2035712 kB\nMemFree:          100 kB\n')
    return sys_root, proc_root


def test_inspect_reads_the_machine(machine_tree):
    sys_root, proc_root = machine_tree
    facts = agent.inspect(str(sys_root), str(proc_root), mac='52:54:00:aa:00:01')
    assert facts == {
        'mac': '52:54:00:aa:00:01',
        'nics': [{'name': 'eno1', 'mac': '52:54:00:aa:00:01', 'driver': 'e1000e', 'link': 'up', 'speed': 1000},
                 {'name': 'eno2', 'mac': '52:54:00:aa:00:02', 'driver': 'e1000e', 'link': 'down', 'speed': None}],
        'system': {'vendor': 'Acme', 'product': 'Rack9', 'serial': 'SN42', 'uuid': '6e1c5b2a-0000-4000-8000-000000000001'},
        'cpu': {'model': 'QEMU Virtual CPU', 'count': 2},
        'memory': 2035712 * 1024,
        'disks': [disk('/dev/nvme0n1', 16 * GIB, 'QEMU NVMe Ctrl', 'NV1'),
                  dict(disk('/dev/vda', 8 * GIB, '', 'DISK123'), rotational=True)],
        'firmware': {'mode': 'bios', 'secure_boot': False},
    }


@pytest.mark.parametrize('variable, secure_boot', [(None, False), (b'\x06\x00\x00\x00\x01', True), (b'\x06\x00\x00\x00\x00', False)])
def test_firmware_mode_and_secure_boot(tmp_path, variable, secure_boot):
    efivars = tmp_path / 'firmware/efi/efivars'
    efivars.mkdir(parents=True)
    if variable is not None:
        (efivars / agent.SECURE_BOOT_VAR).write_bytes(variable)
    assert agent.firmware(str(tmp_path)) == {'mode': 'uefi', 'secure_boot': secure_boot}


# --- choose the disk ---

@pytest.mark.parametrize('rule, size, chosen', [
    ({}, 10 * GIB, '/dev/sda'),
    ({}, 600 * GIB, '/dev/nvme0n1'),
    # The removable stick is never chosen by default, even when it is the smallest.
    ({}, 1 * GIB, '/dev/sda'),
    ({'path': '/dev/sdc'}, 1 * GIB, '/dev/sdc'),
    ({'serial': 'H1'}, 10 * GIB, '/dev/sdb'),
    ({'model': 'NVMe'}, 10 * GIB, '/dev/nvme0n1'),
    ({'min_size': 900 * GIB}, 10 * GIB, '/dev/nvme0n1'),
    ({'min_size': 900 * GIB, 'max_size': 1000 * GIB}, 10 * GIB, '/dev/nvme0n1'),
    ({'max_size': 500 * GIB}, 10 * GIB, '/dev/sda'),
])
def test_choose_disk(rule, size, chosen):
    assert agent.choose_disk(DISKS, rule, size)['path'] == chosen


@pytest.mark.parametrize('rule, size', [
    ({'serial': 'nope'}, 1),
    ({}, 5000 * GIB),
    ({'model': 'SSD-480', 'min_size': 500 * GIB}, 1),
])
def test_no_disk_matched_names_the_rule_and_the_disks(rule, size):
    with pytest.raises(agent.AgentError, match=r'no disk matched .* disks: /dev/sda \(515396075520 bytes, model SSD-480, serial S1\)'):
        agent.choose_disk(DISKS, rule, size)


@pytest.mark.parametrize('path, number, partition', [('/dev/vda', 3, '/dev/vda3'), ('/dev/nvme0n1', 2, '/dev/nvme0n1p2'),
                                                     ('/dev/mmcblk0', 1, '/dev/mmcblk0p1')])
def test_partition_path(path, number, partition):
    assert agent.partition_path(path, number) == partition


# --- the archive's disk ---

def test_partition_table_is_bios_boot_esp_and_root():
    assert agent.partition_table() == (
        'label: gpt\n'
        'size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="bios"\n'
        'size=512MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"\n'
        'type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"\n')


def test_fstab_names_the_file_systems_by_uuid():
    assert agent.fstab('1111-root', 'AB12-CD34').splitlines() == [
        'UUID=1111-root / ext4 errors=remount-ro 0 1', 'UUID=AB12-CD34 /boot/efi vfat umask=0077 0 2']


# Recorded from `sfdisk --json /dev/vda` after a raw image was written.
SFDISK_JSON = {'partitiontable': {'label': 'gpt', 'id': '0C2B3C5A-0000-4000-8000-000000000000', 'device': '/dev/vda',
                                  'unit': 'sectors', 'firstlba': 2048, 'lastlba': 8388574, 'sectorsize': 512,
                                  'partitions': [
                                      {'node': '/dev/vda1', 'start': 2048, 'size': 131072,
                                       'type': 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'uuid': 'A', 'name': 'esp'},
                                      {'node': '/dev/vda2', 'start': 133120, 'size': 4059136,
                                       'type': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', 'uuid': 'B', 'name': 'root'}]}}


def test_the_root_partition_of_a_raw_image():
    assert agent.root_partition(SFDISK_JSON) == 2
    data_only = json.loads(json.dumps(SFDISK_JSON).replace('4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
                                                           '0fc63daf-8483-4772-8e79-3d69d8477de4'))
    assert agent.root_partition(data_only) == 2
    no_root = json.loads(json.dumps(SFDISK_JSON).replace('4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', ESP_TYPE))
    with pytest.raises(agent.AgentError, match='no Linux root partition'):
        agent.root_partition(no_root)


ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'


@pytest.mark.parametrize('grubs, firmware, expected', [
    (['i386-pc', 'x86_64-efi'], 'bios', [['grub-install', '--target=i386-pc', '/dev/vda'],
                                         ['grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--removable',
                                          '--no-nvram']]),
    (['x86_64-efi'], 'uefi', [['grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--removable',
                               '--no-nvram']]),
    (['i386-pc'], 'bios', [['grub-install', '--target=i386-pc', '/dev/vda']]),
])
def test_the_boot_loaders_the_image_holds_are_installed(tmp_path, grubs, firmware, expected):
    for grub in grubs:
        (tmp_path / 'usr/lib/grub' / grub).mkdir(parents=True)
    commands = agent.bootloader_commands(str(tmp_path), '/dev/vda', firmware)
    assert commands == [['chroot', str(tmp_path)] + command
                        for command in expected + [['grub-mkconfig', '-o', '/boot/grub/grub.cfg']]]


def test_an_image_without_the_boot_loader_the_firmware_needs_fails(tmp_path):
    with pytest.raises(agent.AgentError, match='holds no GRUB'):
        agent.bootloader_commands(str(tmp_path), '/dev/vda', 'bios')
    (tmp_path / 'usr/lib/grub/i386-pc').mkdir(parents=True)
    with pytest.raises(agent.AgentError, match='boots UEFI but the image holds GRUB for BIOS only'):
        agent.bootloader_commands(str(tmp_path), '/dev/vda', 'uefi')


def test_the_seed_files_are_private():
    files = agent.seed_files({'meta-data': 'instance-id: a\n', 'user-data': '#cloud-config\n{}\n', 'junk': 'x'})
    assert files == [('var/lib/cloud/seed/nocloud/meta-data', 'instance-id: a\n', 0o600),
                     ('var/lib/cloud/seed/nocloud/user-data', '#cloud-config\n{}\n', 0o600)]


# --- streaming ---

class Response(io.BytesIO):
    status = 200


def opener_of(files):
    """An opener that serves ``files`` ({url: bytes}) and records the requests."""
    requests = []

    def opener(request, timeout=None):
        url = request if isinstance(request, str) else request.full_url
        requests.append((getattr(request, 'method', None) or 'GET', url, getattr(request, 'data', None)))
        if url not in files:
            raise OSError(f'404 {url}')
        return Response(files[url])
    opener.requests = requests
    return opener


def sha256(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


RAW = bytes(range(256)) * 4096


# The agent boot image holds gzip, xz and zstd; a test machine may lack all but gzip.
@pytest.mark.parametrize('compression, packed', [
    ('none', RAW), ('gz', gzip.compress(RAW)),
    pytest.param('xz', lzma.compress(RAW), marks=pytest.mark.skipif(shutil.which('xz') is None, reason='no xz here')),
])
def test_a_raw_image_is_streamed_to_the_disk(tmp_path, compression, packed):
    target = tmp_path / 'disk'
    target.write_bytes(b'\xff' * (len(RAW) + 4096))
    size = agent.write_raw('http://s/images/a/disk', sha256(packed), compression, str(target), opener_of({'http://s/images/a/disk': packed}))
    assert size == len(packed)
    assert target.read_bytes()[:len(RAW)] == RAW


def test_a_checksum_mismatch_fails_after_the_last_byte(tmp_path):
    target = tmp_path / 'disk'
    target.write_bytes(b'\0' * len(RAW))
    with pytest.raises(agent.ChecksumError, match=r'checksum mismatch for http://s/x: got sha256:[0-9a-f]{64} \(1048576 bytes\), '
                                                  r'expected sha256:0{64}'):
        agent.write_raw('http://s/x', 'sha256:' + '0' * 64, 'none', str(target), opener_of({'http://s/x': RAW}))


def test_a_broken_compressed_stream_fails_naming_the_tool(tmp_path):
    target = tmp_path / 'disk'
    target.write_bytes(b'\0' * 16)
    with pytest.raises(agent.AgentError, match='^gzip failed on http://s/x'):
        agent.write_raw('http://s/x', sha256(b'not gzip'), 'gz', str(target), opener_of({'http://s/x': b'not gzip'}))


@pytest.mark.parametrize('checksum', ['md5:abc', 'sha256:XYZ', 'sha256'])
def test_unsupported_checksums_are_refused(checksum):
    with pytest.raises(agent.AgentError, match='unsupported checksum'):
        agent.Digest(checksum)


# --- a whole run, on a fake machine ---

class FakeMachine:
    def __init__(self, log, outputs=None, fail=None):
        self.log = log
        self.commands = []
        self.files = {}
        self.wiped = []
        self.outputs = outputs or {}
        self.fail = fail

    def run(self, command, input_text=None):
        self.commands.append(command)
        if self.fail and command[0] == self.fail:
            raise agent.AgentError(f'{command[0]} failed (exit status 1): no space left')
        output = self.outputs.get(command[0], '')
        return output(command) if callable(output) else output

    def write(self, path, content, mode):
        self.files[path] = (content, mode)

    def wipe(self, path):
        self.wiped.append(path)


FACTS = {'disks': [disk('/dev/vda', 8 * GIB, serial='DISK123')], 'firmware': {'mode': 'uefi', 'secure_boot': False}}
SEED = {'meta-data': 'instance-id: netboot-1\n', 'user-data': '#cloud-config\n{"hostname": "web1"}\n'}


def raw_job(tmp_path, data, checksum=None):
    image = {'file': 'disk.raw', 'checksum': checksum or sha256(data), 'form': 'raw', 'compression': 'none', 'size': len(data)}
    files = {'http://s/images/a/image.json': json.dumps(image).encode(), 'http://s/images/a/disk.raw': data}
    job = {'version': 1, 'image': 'http://s/images/a/image.json', 'disk': {}, 'seed': SEED,
           'report_url': 'http://s/reports/t.json', 'done_url': 'http://s/builds/t'}
    return job, opener_of(files)


def test_a_raw_deploy_writes_the_image_then_the_seed(tmp_path, monkeypatch):
    target = tmp_path / 'vda'
    target.write_bytes(b'\0' * len(RAW))
    facts = {'disks': [disk(str(target), len(RAW))], 'firmware': {'mode': 'uefi', 'secure_boot': False}}
    job, opener = raw_job(tmp_path, RAW)
    log = agent.Log()
    machine = FakeMachine(log, outputs={'sfdisk': json.dumps(SFDISK_JSON), 'efibootmgr': Efibootmgr()})
    monkeypatch.setattr(agent.os, 'makedirs', lambda *args, **kwargs: None)
    assert agent.run(job, log, machine, facts, opener) == ('deployed', '', '')
    assert ['efibootmgr', '--quiet', '--bootorder', '0002,0004,0000,0001,0003'] in machine.commands
    assert target.read_bytes() == RAW
    assert ['sfdisk', '--quiet', '--relocate', 'gpt-bak-std', str(target)] in machine.commands
    assert ['mount', str(target) + '2', '/target'] in machine.commands
    assert machine.files == {'/target/var/lib/cloud/seed/nocloud/meta-data': (SEED['meta-data'], 0o600),
                             '/target/var/lib/cloud/seed/nocloud/user-data': (SEED['user-data'], 0o600)}
    assert machine.commands[-2:] == [['umount', '--recursive', '/target'], ['sync']]
    assert machine.wiped == []


def test_a_checksum_mismatch_wipes_the_disk_and_fails(tmp_path):
    target = tmp_path / 'vda'
    target.write_bytes(b'\0' * len(RAW))
    facts = {'disks': [disk(str(target), len(RAW))], 'firmware': {'mode': 'bios', 'secure_boot': False}}
    job, opener = raw_job(tmp_path, RAW, checksum='sha256:' + 'ab' * 32)
    log = agent.Log()
    machine = FakeMachine(log)
    status, step, reason = agent.run(job, log, machine, facts, opener)
    assert (status, step) == ('failed', 'write image')
    assert reason.startswith('checksum mismatch for http://s/images/a/disk.raw')
    assert machine.wiped == [str(target)]
    assert machine.files == {}


def test_no_disk_fails_before_anything_is_written(tmp_path):
    job, opener = raw_job(tmp_path, RAW)
    log = agent.Log()
    machine = FakeMachine(log)
    facts = {'disks': [disk('/dev/vda', 1024)], 'firmware': {'mode': 'bios', 'secure_boot': False}}
    status, step, reason = agent.run(job, log, machine, facts, opener)
    assert (status, step) == ('failed', 'choose disk')
    assert reason.startswith('no disk matched {} holding 1048576 bytes')
    assert machine.commands == [] and machine.wiped == []


def test_a_failed_boot_loader_install_wipes_the_disk(tmp_path):
    archive = gzip.compress(b'not really a tar')
    image = {'file': 'root.tar.gz', 'checksum': sha256(archive), 'form': 'archive', 'compression': 'gz', 'size': 1024}
    job = {'image': 'http://s/i/image.json', 'report_url': 'http://s/r', 'done_url': 'http://s/b'}
    opener = opener_of({'http://s/i/image.json': json.dumps(image).encode(), 'http://s/i/root.tar.gz': archive})
    log = agent.Log()
    machine = FakeMachine(log, fail='mkfs.ext4')
    status, step, reason = agent.run(job, log, machine, FACTS, opener)
    assert (status, step, reason) == ('failed', 'write image', 'mkfs.ext4 failed (exit status 1): no space left')
    assert machine.wiped == ['/dev/vda']


@pytest.mark.parametrize('image, message', [
    ({'file': '../x', 'form': 'raw', 'compression': 'none'}, 'does not describe an image'),
    ({'file': 'x', 'form': 'iso', 'compression': 'none'}, "unknown form 'iso'"),
    ({'file': 'x', 'form': 'raw', 'compression': 'bz2'}, "compression 'bz2'"),
    ([], 'does not describe an image'),
])
def test_a_bad_image_description_fails_first(image, message):
    job = {'image': 'http://s/i/image.json'}
    log = agent.Log()
    status, step, reason = agent.run(job, log, FakeMachine(log), FACTS, opener_of({'http://s/i/image.json': json.dumps(image).encode()}))
    assert (status, step) == ('failed', 'fetch image description')
    assert message in reason


def test_the_report_is_one_put_the_server_reader_takes():
    log = agent.Log()
    log('step write image failed: boom')
    opener = opener_of({'http://s/reports/t.json': b''})
    agent.report({'report_url': 'http://s/reports/t.json'}, 'failed', log, 'write image', 'gzip failed:\nline two\x00', opener=opener)
    method, url, body = opener.requests[0]
    assert (method, url) == ('PUT', 'http://s/reports/t.json')
    assert json.loads(body) == {'status': 'failed', 'step': 'write image', 'reason': 'gzip failed: line two',
                                'log': ['netboot-agent: step write image failed: boom']}


def test_a_corrupt_compressed_image_is_reported_as_a_checksum_mismatch_not_a_tool_error(tmp_path):
    packed = gzip.compress(RAW) + b'x'
    target = tmp_path / 'disk'
    target.write_bytes(b'\0' * len(RAW))
    with pytest.raises(agent.ChecksumError, match='checksum mismatch for http://s/x'):
        agent.write_raw('http://s/x', sha256(gzip.compress(RAW)), 'gz', str(target), opener_of({'http://s/x': packed}))


def test_a_tool_that_stops_reading_early_still_lets_the_whole_download_be_checked(tmp_path):
    garbage = os.urandom(3 * agent.CHUNK)
    target = tmp_path / 'disk'
    target.write_bytes(b'\0' * 16)
    with pytest.raises(agent.ChecksumError):
        agent.write_raw('http://s/x', 'sha256:' + '0' * 64, 'gz', str(target), opener_of({'http://s/x': garbage}))
    with pytest.raises(agent.AgentError, match='^gzip failed on http://s/x'):
        agent.write_raw('http://s/x', sha256(garbage), 'gz', str(target), opener_of({'http://s/x': garbage}))


# Recorded from efibootmgr in the agent on OVMF, booted over PXE (Boot0002).
EFIBOOTMGR = ('BootCurrent: 0002\nTimeout: 0 seconds\nBootOrder: 0002,0000,0001,0003\n'
              'Boot0000* UiApp\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)\n'
              'Boot0001* UEFI Misc Device\tPciRoot(0x0)/Pci(0x4,0x0)\n'
              'Boot0002* UEFI PXEv4 (MAC:525400772022)\tPciRoot(0x0)/Pci(0x3,0x0)/MAC(525400772022,1)/IPv4(0.0.0.0,0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)\n'
              'Boot0003* EFI Internal Shell\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(7c04a583-9e3e-4f1c-ad65-e05268d0b4d1)\n')
CREATED = EFIBOOTMGR.replace('BootOrder: 0002,0000,0001,0003', 'BootOrder: 0004,0002,0000,0001,0003') + (
    'Boot0004* netboot.pxe installed system\tHD(1,GPT,a,0x800,0x20000)/\\EFI\\BOOT\\BOOTX64.EFI\n')


class Efibootmgr:
    """efibootmgr's answers: the listing, then the listing with the entry it created."""

    def __call__(self, command):
        return CREATED if '--create' in command else EFIBOOTMGR


def test_boot_entries_read_efibootmgr():
    assert agent.boot_entries(EFIBOOTMGR) == ('0002', ['0002', '0000', '0001', '0003'], {
        '0000': 'UiApp', '0001': 'UEFI Misc Device', '0002': 'UEFI PXEv4 (MAC:525400772022)', '0003': 'EFI Internal Shell'})
    assert agent.boot_entries('') == ('', [], {})


@pytest.mark.parametrize('current, order, new, expected', [
    ('0002', ['0004', '0002', '0000'], '0004', ['0002', '0004', '0000']),
    ('', ['0004', '0000'], '0004', ['0004', '0000']),
    ('0001', ['0001'], '0007', ['0001', '0007']),
])
def test_the_network_stays_first_and_the_installed_system_comes_next(current, order, new, expected):
    assert agent.boot_order(current, order, new) == expected


def test_a_uefi_boot_entry_replaces_the_previous_one_and_follows_the_network():
    log = agent.Log()
    listing = EFIBOOTMGR + 'Boot0005* netboot.pxe installed system\tHD(1,GPT,b,0x800,0x20000)/\\EFI\\BOOT\\BOOTX64.EFI\n'
    machine = FakeMachine(log, outputs={'efibootmgr': lambda command: CREATED if '--create' in command else listing})
    assert agent.register_uefi_boot(machine, '/dev/vda', SFDISK_JSON) == '0004'
    assert machine.commands == [
        ['efibootmgr'],
        ['efibootmgr', '--quiet', '--bootnum', '0005', '--delete-bootnum'],
        ['efibootmgr', '--create', '--disk', '/dev/vda', '--part', '1', '--label', 'netboot.pxe installed system',
         '--loader', '\\EFI\\BOOT\\BOOTX64.EFI'],
        ['efibootmgr', '--quiet', '--bootorder', '0002,0004,0000,0001,0003']]


def test_a_disk_without_an_esp_cannot_boot_uefi():
    no_esp = json.loads(json.dumps(SFDISK_JSON).replace(ESP_TYPE, agent.LINUX_DATA))
    with pytest.raises(agent.AgentError, match='no EFI system partition'):
        agent.esp_partition(no_esp)


def test_a_boot_entry_the_firmware_refuses_does_not_fail_the_deploy(tmp_path, monkeypatch):
    target = tmp_path / 'vda'
    target.write_bytes(b'\0' * len(RAW))
    facts = {'disks': [disk(str(target), len(RAW))], 'firmware': {'mode': 'uefi', 'secure_boot': False}}
    job, opener = raw_job(tmp_path, RAW)
    log = agent.Log()
    machine = FakeMachine(log, outputs={'sfdisk': json.dumps(SFDISK_JSON)}, fail='efibootmgr')
    monkeypatch.setattr(agent.os, 'makedirs', lambda *args, **kwargs: None)
    assert agent.run(job, log, machine, facts, opener) == ('deployed', '', '')
    assert 'netboot-agent: step register boot entry: skipped (efibootmgr failed (exit status 1): no space left)' in log.lines
    assert machine.wiped == []


# --- discovery: the inspect job ---

DISCOVERY_JOB = {'version': 1, 'mode': 'inspect', 'report_url': 'http://s/discovery/report',
                 'script_url': 'http://s/hosts/{key}.ipxe', 'known_url': 'http://s/known/{key}', 'poll_seconds': 10,
                 'after': 'wait'}
INSPECTED = {'mac': '52:54:00:aa:00:01', 'nics': [], 'system': {}, 'cpu': {}, 'memory': 0, 'disks': [], 'firmware': {}}


def status_opener(statuses, enrol_after=None):
    """An opener answering each URL with its status in ``statuses`` (404 if absent); the report PUT
    takes 201. With ``enrol_after``, the host script appears after that many polls."""
    import urllib.error
    requests = []

    def opener(request, timeout=None):
        url = request if isinstance(request, str) else request.full_url
        method = getattr(request, 'method', None) or 'GET'
        requests.append((method, url, getattr(request, 'data', None)))
        if method == 'PUT':
            return Response(b'')
        polls = sum(1 for each in requests if each[1].endswith('.ipxe'))
        status = statuses.get(url, 404)
        if enrol_after is not None and url.endswith('.ipxe') and polls > enrol_after:
            status = 200
        if status == 200:
            return Response(b'#!ipxe\n')
        raise urllib.error.HTTPError(url, status, 'status', {}, None)
    opener.requests = requests
    return opener


def test_discovery_sends_the_facts_then_waits_to_be_enrolled():
    log, sleeps = agent.Log(), []
    opener = status_opener({}, enrol_after=2)
    assert agent.discover(DISCOVERY_JOB, log, INSPECTED, sleep=sleeps.append, opener=opener, polls=10) == 0
    method, url, body = opener.requests[0]
    assert (method, url, json.loads(body)) == ('PUT', 'http://s/discovery/report', INSPECTED)
    assert ('GET', 'http://s/known/52-54-00-aa-00-01', None) in opener.requests
    # Not yet, not yet, the script, the script again: then it reboots.
    assert sleeps == [10, 10, 10]
    assert log.lines[-1] == 'netboot-agent: enrolled; rebooting into what the server has for this machine'


SCRIPT, KNOWN = 'http://s/hosts/52-54-00-aa-00-01.ipxe', 'http://s/known/52-54-00-aa-00-01'


@pytest.mark.parametrize('statuses, found', [
    ({}, None),
    ({SCRIPT: 200, KNOWN: 200}, 'script'),       # its script, served to it
    ({SCRIPT: 403, KNOWN: 200}, 'elsewhere'),    # served to its reserved address, which it has yet to lease
    ({KNOWN: 200}, 'known'),                     # a reservation without a script: the menu
    ({SCRIPT: 500, KNOWN: 200}, None),           # the server is not sure: ask again
])
def test_enrolment_tells_how_the_server_names_the_machine(statuses, found):
    assert agent.enrolment(DISCOVERY_JOB, INSPECTED['mac'], status_opener(statuses)) == found


def test_a_script_for_a_new_reservation_waits_for_the_lease_of_that_address():
    """The script appears before its location keeps it to its reserved address, and before DHCP has the
    reservation: the agent renews its lease until the script is served to it twice, and reboots only then."""
    answers = iter([200, 403, 403, 200, 200])
    renewals = []

    def opener(request, timeout=None):
        import urllib.error
        url = request if isinstance(request, str) else request.full_url
        if getattr(request, 'method', None) == 'PUT':
            return Response(b'')
        status = next(answers) if url == SCRIPT else 200
        if status == 200:
            return Response(b'#!ipxe\n')
        raise urllib.error.HTTPError(url, status, 'status', {}, None)
    log = agent.Log()
    assert agent.discover(DISCOVERY_JOB, log, INSPECTED, sleep=lambda _s: None, opener=opener, polls=6,
                          renew=lambda: renewals.append(1)) == 0
    assert len(renewals) == 2 and log.lines[-1].endswith('rebooting into what the server has for this machine')


def test_discovery_powers_off_when_asked_and_gives_up_when_the_server_is_gone():
    opener = status_opener({})
    assert agent.discover(dict(DISCOVERY_JOB, after='poweroff'), agent.Log(), INSPECTED, sleep=lambda _s: None,
                          opener=opener) == 2
    assert [request[0] for request in opener.requests] == ['PUT']

    def unreachable(request, timeout=None):
        raise OSError('no route to host')
    log = agent.Log()
    assert agent.discover(DISCOVERY_JOB, log, INSPECTED, sleep=lambda _s: None, opener=unreachable) == 1
    assert log.lines[-1] == 'netboot-agent: cannot send the facts (attempt 5): no route to host'


@pytest.mark.parametrize('value, limit, sent', [
    ('Dell Inc.', 128, 'Dell Inc.'),
    ('Standard PC (i440FX + PIIX, 1996)', 128, 'Standard PC (i440FX + PIIX, 1996)'),
    ('  To Be  Filled\tBy O.E.M.  ', 128, 'To Be Filled By O.E.M.'),
    ("Vendor & Sons' $(reboot)", 128, 'Vendor _ Sons_ _(reboot)'),
    ('\ufffd\ufffd\ufffd', 128, '___'),
    ('x' * 70, 64, 'x' * 64),
    ('abc def', 4, 'abc'),
])
def test_firmware_texts_are_sent_as_the_server_takes_them(value, limit, sent):
    assert agent.firmware_text(value, limit) == sent


def test_an_interface_without_an_ethernet_address_is_left_out(machine_tree):
    sys_root, _proc_root = machine_tree
    infiniband = sys_root / 'class/net/ib0'
    (infiniband / 'device').mkdir(parents=True)
    (infiniband / 'address').write_text('80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c\n')
    assert 'ib0' not in [nic['name'] for nic in agent.nics(str(sys_root))]
    assert agent.nics(str(sys_root))
