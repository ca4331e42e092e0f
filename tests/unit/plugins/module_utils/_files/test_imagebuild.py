# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files import imagebuild

UUID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'
KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'


def test_os_build_command():
    argv = imagebuild.mmdebstrap_os('trixie', 'http://mirror.lab/debian', '/cache/work/web/root.tar.zst', 'archive',
                                    ['nginx', 'zstd'], KEYRING)
    assert argv[:4] == ['mmdebstrap', '--variant=minbase', '--mode=root', f'--keyring={KEYRING}']
    assert argv[4] == ('--include=linux-image-amd64,systemd-sysv,udev,cloud-init,openssh-server,netbase,grub-pc-bin,'
                       'grub-efi-amd64-bin,grub2-common,initramfs-tools,zstd,iproute2,sudo,locales,tzdata,e2fsprogs,dosfstools,nginx')
    assert argv[5:8] == ['--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*',
                         '--dpkgopt=path-exclude=/usr/share/locale/*']
    assert argv[-3:] == ['trixie', '/cache/work/web/root.tar.zst', 'http://mirror.lab/debian']
    assert '--customize-hook=chroot "$1" systemctl enable systemd-networkd.service' in argv


def test_a_raw_build_adds_what_grows_its_root():
    argv = imagebuild.mmdebstrap_os('bookworm', 'https://deb.debian.org/debian', '/w/root', 'raw', [], KEYRING)
    assert argv[4].endswith(',zstd,iproute2,sudo,locales,tzdata,e2fsprogs,dosfstools,cloud-guest-utils')


def test_the_grub_defaults_hook_writes_the_serial_console_settings(tmp_path):
    """The hook is shell text for mmdebstrap: run it as mmdebstrap would, with the root as $1."""
    subprocess.run(['sh', '-c', imagebuild.GRUB_DEFAULTS_HOOK, 'exec', str(tmp_path)], check=True)
    assert (tmp_path / 'etc/default/grub.d/netboot.cfg').read_text() == (
        'GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"\nGRUB_TERMINAL="console serial"\nGRUB_TIMEOUT=1\n')


def test_raw_layout_and_partition_table():
    layout = imagebuild.raw_layout(1000 * imagebuild.MIB)
    assert layout == {'esp_start': 1, 'esp_mib': 64, 'root_start': 65, 'root_mib': 1150 + 320, 'disk_mib': 1 + 64 + 1470 + 1}
    assert imagebuild.sfdisk_script(layout) == (
        'label: gpt\nunit: sectors\nsector-size: 512\nfirst-lba: 2048\n'
        'start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"\n'
        f'start={65 * 2048}, size={1470 * 2048}, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"\n')
    # The partitions end before the backup GPT, in the last MiB.
    assert layout['root_start'] + layout['root_mib'] == layout['disk_mib'] - 1


@pytest.mark.skipif(not shutil.which('sfdisk'), reason='needs sfdisk')
def test_sfdisk_takes_the_table(tmp_path):
    layout = imagebuild.raw_layout(10 * imagebuild.MIB)
    disk = tmp_path / 'disk.raw'
    subprocess.run(imagebuild.truncate(str(disk), layout), check=True)
    subprocess.run(['sfdisk', '--quiet', str(disk)], input=imagebuild.sfdisk_script(layout), text=True, check=True)
    table = json.loads(subprocess.run(['sfdisk', '--json', str(disk)], capture_output=True, text=True, check=True).stdout)
    partitions = table['partitiontable']['partitions']
    assert [(part['start'], part['size'], part['type']) for part in partitions] == [
        (2048, 64 * 2048, imagebuild.ESP_TYPE), (65 * 2048, layout['root_mib'] * 2048, imagebuild.ROOT_TYPE)]


def test_tree_size_counts_blocks_and_inodes():
    assert imagebuild.tree_size([(True, 1), (True, 4096), (True, 4097), (False, 60)]) == 4096 * (1 + 1 + 2 + 0) + 4 * 4096


def test_raw_image_commands():
    layout = imagebuild.raw_layout(0)
    volume = imagebuild.esp_volume_id(UUID)
    assert volume == 'C3D2E1F0'
    assert imagebuild.raw_fstab(UUID, volume) == (f'UUID={UUID} / ext4 errors=remount-ro 0 1\n'
                                                  'UUID=C3D2-E1F0 /boot/efi vfat umask=0077 0 2\n')
    assert imagebuild.mkfs_ext4('/w/root', UUID, '/w/root.img', layout) == [
        'mkfs.ext4', '-q', '-F', '-b', '4096', '-O', '^metadata_csum_seed,^orphan_file', '-d', '/w/root', '-U', UUID,
        '-L', 'root', '/w/root.img', '320M']
    assert imagebuild.mkfs_esp('/w/esp.img', volume, layout) == [
        'mkfs.vfat', '-C', '-F', '32', '-n', 'ESP', '-i', 'C3D2E1F0', '/w/esp.img', str(64 * 1024)]
    assert imagebuild.esp_copy('/w/esp.img', '/w/BOOTX64.EFI') == [
        ['mmd', '-i', '/w/esp.img', '::/EFI', '::/EFI/BOOT'],
        ['mcopy', '-i', '/w/esp.img', '/w/BOOTX64.EFI', '::/EFI/BOOT/BOOTX64.EFI']]
    assert imagebuild.place('/w/root.img', '/w/disk.raw', 65) == [
        'dd', 'if=/w/root.img', 'of=/w/disk.raw', 'bs=1M', 'seek=65', 'conv=notrunc,sparse', 'status=none']
    assert imagebuild.grub_mkstandalone('/w/root', '/tmp/BOOTX64.EFI', '/tmp/netboot-grub.cfg') == [
        'chroot', '/w/root', 'grub-mkstandalone', '-O', 'x86_64-efi', '-o', '/tmp/BOOTX64.EFI', '--locales=', '--fonts=',
        '--themes=', 'boot/grub/grub.cfg=/tmp/netboot-grub.cfg']
    assert imagebuild.zstd_file('/w/disk.raw', '/w/disk.raw.zst') == [
        'zstd', '-q', '-T0', '-10', '-f', '-o', '/w/disk.raw.zst', '/w/disk.raw']


def test_the_standalone_menu_boots_the_root_by_uuid_on_the_serial_console():
    config = imagebuild.standalone_grub_cfg(UUID)
    assert f'search --no-floppy --fs-uuid --set=root {UUID}\n' in config
    assert f'linux /vmlinuz root=UUID={UUID} ro console=tty0 console=ttyS0,115200\n' in config
    assert config.endswith('initrd /initrd.img\nboot\n')


def test_archive_disk_size():
    assert imagebuild.archive_disk_size(1000 * imagebuild.MIB) == (514 + 1150 + 1024) * imagebuild.MIB


@pytest.mark.parametrize('line, entry', [
    ('-rw-r--r-- 0/0            5 2026-12-07 04:30 etc/hostname', (True, 5)),
    ('-rw-r--r-- 0/0         1234 2026-12-07 04:30 usr/share/doc/a file with spaces', (True, 1234)),
    ('drwxr-xr-x 0/0            0 2026-12-07 04:30 etc/', (False, 0)),
    ('lrwxrwxrwx 0/0            0 2026-12-07 04:30 bin -> usr/bin', (False, 0)),
    ('hrw-r--r-- 0/0            0 2026-12-07 04:30 usr/bin/b link to usr/bin/a', (False, 0)),
    ('crw-rw-rw- 0/0          1,3 2026-12-07 04:30 dev/null', (False, 0)),
])
def test_listing_entries(line, entry):
    assert list(imagebuild.listing_entries(line + '\n\n')) == [entry]


def test_listing_entries_of_a_real_archive(tmp_path):
    tree = tmp_path / 'tree'
    (tree / 'etc').mkdir(parents=True)
    (tree / 'etc/hostname').write_bytes(b'host\n')
    (tree / 'etc/empty').write_bytes(b'')
    (tree / 'link').symlink_to('etc/hostname')
    archive = tmp_path / 'root.tar.gz'
    subprocess.run(['tar', '-czf', str(archive), '-C', str(tree), 'etc', 'link'], check=True)
    listing = subprocess.run(imagebuild.tar_listing(str(archive)), check=True, capture_output=True, text=True).stdout
    assert sorted(imagebuild.listing_entries(listing)) == [(False, 0), (False, 0), (True, 0), (True, 5)]


@pytest.mark.parametrize('info, message', [
    ({'format': 'qcow2', 'virtual-size': 2147483648}, None),
    ({'format': 'raw', 'virtual-size': 1}, 'https://x/a.qcow2 is not a qcow2 image'),
    ({'format': 'qcow2', 'virtual-size': 1, 'backing-filename': '/etc/shadow'}, 'refers to another file'),
    ({'format': 'qcow2', 'virtual-size': 1, 'format-specific': {'type': 'qcow2', 'data': {'data-file': '/dev/sda'}}},
     'refers to another file'),
    ({'format': 'qcow2'}, 'qemu-img info gave no virtual size'),
])
def test_check_qcow2(info, message):
    if message is None:
        assert imagebuild.check_qcow2(json.dumps(info), 'https://x/a.qcow2') == 2147483648
    else:
        with pytest.raises(ValueError, match=message):
            imagebuild.check_qcow2(json.dumps(info), 'https://x/a.qcow2')
    with pytest.raises(ValueError, match='gave no JSON'):
        imagebuild.check_qcow2('qemu-img: error', 'https://x/a.qcow2')
    assert imagebuild.qcow2_convert('/d/a.part', '/w/disk.raw') == [
        'qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', '/d/a.part', '/w/disk.raw']


def test_agent_build_command():
    argv = imagebuild.mmdebstrap_agent('trixie', 'http://deb.debian.org/debian', '/w/root', '/w/debs', ['lvm2'], KEYRING)
    assert argv[4] == '--include=python3,util-linux,fdisk,e2fsprogs,dosfstools,xz-utils,zstd,gzip,iproute2,busybox,kmod,tar,efibootmgr,lvm2'
    assert '--dpkgopt=path-exclude=/usr/share/info/*' in argv
    assert argv[-5:] == ['--customize-hook=chroot "$1" apt-get install --download-only --no-install-recommends --yes -q '
                         'linux-image-amd64', '--customize-hook=copy-out /var/cache/apt/archives /w/debs',
                         'trixie', '/w/root', 'http://deb.debian.org/debian']


@pytest.mark.parametrize('name, kernel', [('linux-image-6.12.117+deb13-amd64_6.12.117-1_amd64.deb', True),
                                          ('linux-image-amd64_6.12.117-1_amd64.deb', False),
                                          ('initramfs-tools_0.148_all.deb', False),
                                          ('linux-image-6.1.0-40-amd64_6.1.153-1_amd64.deb.part', False)])
def test_is_kernel_package(name, kernel):
    assert imagebuild.is_kernel_package(name) is kernel


def test_trim_globs():
    globs = imagebuild.trim_globs(['usr/lib/python3.13'])
    assert 'usr/lib/x86_64-linux-gnu/perl-base' in globs and 'var/lib/dpkg' in globs
    assert 'usr/lib/python3.13/test' in globs and 'usr/lib/python3.13/lib-dynload/_sqlite3*' in globs
    # What the agent imports stays.
    for kept in ('email', 'http', 'urllib', 'json', 'hashlib.py', 'subprocess.py', 'encodings'):
        assert f'usr/lib/python3.13/{kept}' not in globs


def test_agent_version_is_a_digest_of_the_inputs():
    first = imagebuild.agent_version({'suite': 'trixie', 'files': {'a': '1'}})
    assert first == imagebuild.agent_version({'files': {'a': '1'}, 'suite': 'trixie'})
    assert first != imagebuild.agent_version({'suite': 'trixie', 'files': {'a': '2'}})
    assert len(first) == 64


def test_newc_header_layout():
    header = imagebuild.newc_header('init', 0o100755, 5, 7, mtime=1700000000)
    assert header[:6] == b'070701'
    assert imagebuild.newc_fields(header) == (7, 0o100755, 0, 0, 1, 1700000000, 5, 0, 0, 0, 0, 5, 0)
    assert header[110:] == b'init\0' + b'\0' * (-(110 + 5) % 4)
    assert len(header) % 4 == 0
    assert imagebuild.newc_padding(5) == b'\0' * 3 and imagebuild.newc_padding(8) == b''
    assert imagebuild.newc_fields(imagebuild.newc_header('dev/console', 0o20600, 0, 2, rdev=(5, 1)))[9:11] == (5, 1)
    trailer = imagebuild.newc_trailer()
    assert b'TRAILER!!!\0' in trailer and imagebuild.newc_fields(trailer)[6] == 0
    with pytest.raises(ValueError):
        imagebuild.newc_fields(b'070707' + b'0' * 104)


@pytest.mark.skipif(not shutil.which('cpio'), reason='needs cpio')
def test_cpio_reads_a_newc_archive(tmp_path):
    data = b'#!/bin/sh\necho hi\n'
    archive = (imagebuild.newc_header('usr', 0o40755, 0, 1) + imagebuild.newc_header('usr/init', 0o100755, len(data), 2)
               + data + imagebuild.newc_padding(len(data)) + imagebuild.newc_header('init', 0o120777, 8, 3)
               + b'usr/init' + imagebuild.newc_padding(8) + imagebuild.newc_trailer())
    out = tmp_path / 'out'
    out.mkdir()
    subprocess.run(['cpio', '-idm', '--quiet', '--no-absolute-filenames'], input=archive, cwd=out, check=True)
    assert (out / 'usr/init').read_bytes() == data
    assert (out / 'usr/init').stat().st_mode & 0o777 == 0o755
    assert (out / 'init').is_symlink() and (out / 'init').readlink().as_posix() == 'usr/init'


def test_a_changed_recipe_has_another_digest(monkeypatch):
    os_digest, agent_digest = imagebuild.os_recipe(), imagebuild.agent_recipe()
    assert len(os_digest) == len(agent_digest) == 64 and os_digest != agent_digest
    monkeypatch.setattr(imagebuild, 'AGENT_MODULES', imagebuild.AGENT_MODULES + ('kernel/drivers/md',))
    monkeypatch.setattr(imagebuild, 'OS_PACKAGES', imagebuild.OS_PACKAGES + ('lvm2',))
    assert (imagebuild.os_recipe(), imagebuild.agent_recipe()) != (os_digest, agent_digest)
    assert imagebuild.os_recipe() != os_digest and imagebuild.agent_recipe() != agent_digest
