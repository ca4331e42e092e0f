# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the server builds OS images and the agent boot image: the command lines (argument lists,
never a shell line of user input), the raw disk's layout, the agent's trimming, and the
initramfs archive format. Pure functions; the modules os_image and agent_image run them.

Private module: its API may change without notice.
"""

from __future__ import annotations

import hashlib
import json
import shlex

MIB = 1024 * 1024
SECTOR = 512
# Bumped when the code of a recipe changes what it builds; with the recipe's settings below they
# make the recipe's digest (os_recipe, agent_recipe), and a new digest rebuilds what was built before.
OS_RECIPE = 1
AGENT_RECIPE = 1

# --- OS images ----------------------------------------------------------------------------------

OS_PACKAGES = ('linux-image-amd64', 'systemd-sysv', 'udev', 'cloud-init', 'openssh-server', 'netbase', 'grub-pc-bin',
               'grub-efi-amd64-bin', 'grub2-common', 'initramfs-tools', 'zstd', 'iproute2', 'sudo', 'locales', 'tzdata',
               'e2fsprogs', 'dosfstools')
# A raw image's root partition grows to the disk at first boot (cloud-init's growpart, resize2fs).
RAW_PACKAGES = ('cloud-guest-utils',)
DOC_EXCLUDES = ('/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*')
SERIAL_ARGS = 'console=tty0 console=ttyS0,115200'
GRUB_DEFAULTS = (f'GRUB_CMDLINE_LINUX="{SERIAL_ARGS}"', 'GRUB_TERMINAL="console serial"', 'GRUB_TIMEOUT=1')
# mmdebstrap runs a hook with the root as $1; these are fixed text, no value from the inventory.
GRUB_DEFAULTS_HOOK = ('mkdir -p "$1/etc/default/grub.d" && printf "%s\\n" '
                      + ' '.join(shlex.quote(line) for line in GRUB_DEFAULTS)
                      + ' > "$1/etc/default/grub.d/netboot.cfg"')
# cloud-init renders its network configuration for systemd-networkd (ifupdown hung at boot).
NETWORKD_HOOK = 'chroot "$1" systemctl enable systemd-networkd.service'
# GPT partition types: EFI system, Linux root (x86-64).
ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'
ROOT_TYPE = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'
ESP_MIB = 64
# Room in the root file system beyond its files: ext4's metadata, journal, and the first boot.
ROOT_SLACK = 1.15
ROOT_ROOM_MIB = 320
# An archive's disk: BIOS boot and EFI system partitions as the agent makes them, then the root.
ARCHIVE_PARTITIONS_MIB = 1 + 512 + 1
ARCHIVE_ROOM_MIB = 1024
# mke2fs 1.47 may enable these; GRUB before 2.12 and e2fsck before 1.47 cannot read them.
EXT4_FEATURES = '^metadata_csum_seed,^orphan_file'


def _mib(value):
    return -(-int(value) // MIB)


def include(packages):
    """mmdebstrap's --include: the names once each, in the order given."""
    return '--include=' + ','.join(dict.fromkeys(packages))


def os_packages(form, extra):
    return list(OS_PACKAGES) + (list(RAW_PACKAGES) if form == 'raw' else []) + list(extra)


def mmdebstrap_os(suite, mirror, target, form, extra, keyring):
    """Build an OS root: ``target`` is root.tar.zst (archive, compressed by mmdebstrap) or a directory (raw)."""
    return (['mmdebstrap', '--variant=minbase', '--mode=root', f'--keyring={keyring}', include(os_packages(form, extra))]
            + [f'--dpkgopt=path-exclude={pattern}' for pattern in DOC_EXCLUDES]
            + [f'--customize-hook={GRUB_DEFAULTS_HOOK}', f'--customize-hook={NETWORKD_HOOK}', suite, target, mirror])


def tree_size(entries):
    """Bytes a tree takes in ext4 from ``entries`` [(is regular file, size)]: each file in 4 KiB
    blocks, every inode one more block."""
    return sum((-(-size // 4096) * 4096 if regular else 0) + 4096 for regular, size in entries)


def raw_layout(tree_bytes):
    """The raw disk, in MiB: GPT and alignment, the ESP, the root, the backup GPT."""
    root_mib = _mib(tree_bytes * ROOT_SLACK) + ROOT_ROOM_MIB
    return {'esp_start': 1, 'esp_mib': ESP_MIB, 'root_start': 1 + ESP_MIB, 'root_mib': root_mib,
            'disk_mib': 1 + ESP_MIB + root_mib + 1}


def sfdisk_script(layout):
    """The GPT of a raw disk: the ESP, then the root (GPT type root x86-64, which the agent looks for)."""
    per_mib = MIB // SECTOR
    return ('label: gpt\nunit: sectors\nsector-size: 512\nfirst-lba: 2048\n'
            f'start={layout["esp_start"] * per_mib}, size={layout["esp_mib"] * per_mib}, type={ESP_TYPE}, name="esp"\n'
            f'start={layout["root_start"] * per_mib}, size={layout["root_mib"] * per_mib}, type={ROOT_TYPE}, name="root"\n')


def esp_volume_id(root_uuid):
    """The ESP's FAT volume id (8 hex digits), from the root's UUID."""
    return root_uuid.replace('-', '')[-8:].upper()


def raw_fstab(root_uuid, volume_id):
    return (f'UUID={root_uuid} / ext4 errors=remount-ro 0 1\n'
            f'UUID={volume_id[:4]}-{volume_id[4:]} /boot/efi vfat umask=0077 0 2\n')


def standalone_grub_cfg(root_uuid):
    """The menu inside the ESP's GRUB: the root by UUID, its /vmlinuz and /initrd.img (kept current by
    the kernel's packages), the serial console."""
    return ('insmod part_gpt\ninsmod ext2\n'
            'serial --unit=0 --speed=115200\nterminal_input console serial\nterminal_output console serial\n'
            f'search --no-floppy --fs-uuid --set=root {root_uuid}\n'
            f'linux /vmlinuz root=UUID={root_uuid} ro {SERIAL_ARGS}\n'
            'initrd /initrd.img\nboot\n')


def grub_mkstandalone(root, output, config):
    """Run in the image's chroot: its own GRUB for UEFI, the menu ``config`` (a path inside it) embedded."""
    return ['chroot', root, 'grub-mkstandalone', '-O', 'x86_64-efi', '-o', output, '--locales=', '--fonts=',
            '--themes=', f'boot/grub/grub.cfg={config}']


def mkfs_ext4(directory, root_uuid, image, layout):
    return ['mkfs.ext4', '-q', '-F', '-b', '4096', '-O', EXT4_FEATURES, '-d', directory, '-U', root_uuid, '-L', 'root', image,
            f'{layout["root_mib"]}M']


def mkfs_esp(image, volume_id, layout):
    return ['mkfs.vfat', '-C', '-F', '32', '-n', 'ESP', '-i', volume_id, image, str(layout['esp_mib'] * 1024)]


def esp_copy(image, efi_file):
    """mtools: the removable-media path of UEFI, /EFI/BOOT/BOOTX64.EFI."""
    return [['mmd', '-i', image, '::/EFI', '::/EFI/BOOT'],
            ['mcopy', '-i', image, efi_file, '::/EFI/BOOT/BOOTX64.EFI']]


def truncate(path, layout):
    return ['truncate', '-s', f'{layout["disk_mib"]}M', path]


def place(image, disk, start_mib):
    return ['dd', f'if={image}', f'of={disk}', 'bs=1M', f'seek={start_mib}', 'conv=notrunc,sparse', 'status=none']


def zstd_file(source, output):
    return ['zstd', '-q', '-T0', '-10', '-f', '-o', output, source]


def archive_disk_size(unpacked_bytes):
    """The disk an archive needs: the agent's BIOS boot and EFI system partitions, its files with ext4's
    overhead, and room."""
    return (ARCHIVE_PARTITIONS_MIB + _mib(unpacked_bytes * ROOT_SLACK) + ARCHIVE_ROOM_MIB) * MIB


def tar_listing(path):
    """GNU tar lists the archive at ``path`` (it recognises the compression itself), owners as numbers."""
    return ['tar', '--numeric-owner', '-tvf', path]


def listing_entries(text):
    """(is a regular file, size) of each member in ``tar -tv`` output: its type is the first character of
    the mode, its size the third field (a device's "major,minor" counts as 0)."""
    for line in text.splitlines():
        fields = line.split(None, 3)
        if len(fields) < 3:
            continue
        regular = fields[0].startswith('-')
        yield regular, int(fields[2]) if regular and fields[2].isdigit() else 0


def zstd_unpack(path, output):
    """Decompress to a file; runs of zeros stay holes, so a raw disk costs only its data."""
    return ['zstd', '-dq', '--sparse', '-f', '-o', output, path]


def qcow2_info(path):
    return ['qemu-img', 'info', '--output=json', '-f', 'qcow2', path]


def check_qcow2(info_text, url):
    """The virtual size of a qcow2 image from ``qemu-img info --output=json``; an image that names
    other files (backing file, external data file) is refused: converting it would read them."""
    try:
        info = json.loads(info_text)
    except ValueError as exc:
        raise ValueError(f'{url}: qemu-img info gave no JSON: {exc}') from exc
    if not isinstance(info, dict) or info.get('format') != 'qcow2':
        raise ValueError(f'{url} is not a qcow2 image')
    data = (info.get('format-specific') or {}).get('data') or {}
    if info.get('backing-filename') or info.get('full-backing-filename') or data.get('data-file'):
        raise ValueError(f'{url} refers to another file (a backing or data file); only a self-contained qcow2 is converted')
    if not isinstance(info.get('virtual-size'), int) or info['virtual-size'] <= 0:
        raise ValueError(f'{url}: qemu-img info gave no virtual size')
    return info['virtual-size']


def qcow2_convert(source, output):
    return ['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', source, output]


# --- The agent boot image -----------------------------------------------------------------------

AGENT_PACKAGES = ('python3', 'util-linux', 'fdisk', 'e2fsprogs', 'dosfstools', 'xz-utils', 'zstd', 'gzip', 'iproute2',
                  'busybox', 'kmod', 'tar', 'efibootmgr')
AGENT_EXCLUDES = DOC_EXCLUDES + ('/usr/share/info/*',)
# The kernel package (Debian's signed kernel) is downloaded, not installed: its modules are chosen below.
KERNEL_DOWNLOAD_HOOK = 'chroot "$1" apt-get install --download-only --no-install-recommends --yes -q linux-image-amd64'
# The agent's files, by name, and where they go in the initramfs with their modes.
AGENT_FILES = {'agent-init': ('init', 0o755), 'netboot-agent.py': ('usr/lib/netboot-agent/agent.py', 0o644),
               'udhcpc.script': ('usr/lib/netboot-agent/udhcpc.script', 0o755)}
# Kernel modules the agent loads: network, storage, file systems it makes, and what they need.
AGENT_MODULES = (
    'kernel/drivers/net/ethernet', 'kernel/drivers/net/virtio_net.ko.xz', 'kernel/drivers/net/net_failover.ko.xz',
    'kernel/drivers/net/mii.ko.xz', 'kernel/drivers/net/phy', 'kernel/drivers/net/mdio', 'kernel/drivers/net/pcs',
    'kernel/drivers/virtio', 'kernel/drivers/block', 'kernel/drivers/nvme', 'kernel/drivers/ata', 'kernel/drivers/scsi',
    'kernel/drivers/message', 'kernel/drivers/usb/storage', 'kernel/drivers/usb/host', 'kernel/drivers/usb/common',
    'kernel/drivers/usb/core', 'kernel/drivers/ptp', 'kernel/drivers/pps', 'kernel/drivers/dca',
    'kernel/drivers/char/hw_random', 'kernel/drivers/cdrom', 'kernel/drivers/firmware', 'kernel/fs/ext4', 'kernel/fs/jbd2',
    'kernel/fs/mbcache.ko.xz', 'kernel/fs/fat', 'kernel/fs/nls', 'kernel/fs/efivarfs', 'kernel/lib', 'kernel/crypto',
    'kernel/arch/x86/crypto', 'kernel/net/core')
# Within those, what the agent never needs: Fibre Channel and iSCSI adapters, test modules, RAID.
AGENT_MODULES_SKIPPED = (
    'kernel/drivers/scsi/lpfc', 'kernel/drivers/scsi/qla2xxx', 'kernel/drivers/scsi/bfa', 'kernel/drivers/scsi/qedf',
    'kernel/drivers/scsi/qedi', 'kernel/drivers/scsi/bnx2fc', 'kernel/drivers/scsi/bnx2i', 'kernel/drivers/scsi/be2iscsi',
    'kernel/drivers/scsi/cxgbi', 'kernel/drivers/scsi/csiostor', 'kernel/drivers/scsi/fcoe', 'kernel/drivers/scsi/libfc',
    'kernel/drivers/scsi/fnic', 'kernel/drivers/scsi/snic', 'kernel/drivers/scsi/qla4xxx',
    'kernel/drivers/scsi/scsi_debug.ko.xz', 'kernel/drivers/scsi/pcmcia', 'kernel/lib/raid6', 'kernel/lib/test_*',
    'kernel/crypto/tcrypt.ko.xz')
AGENT_MODULE_FILES = ('modules.order', 'modules.builtin', 'modules.builtin.modinfo', 'modules.builtin.alias.bin')
# What the agent never runs or reads, removed from the root before it is packed (globs).
AGENT_TRIM = (
    'usr/bin/perl*', 'usr/lib/x86_64-linux-gnu/perl-base', 'usr/lib/x86_64-linux-gnu/perl', 'usr/share/perl5',
    'usr/share/perl', 'usr/lib/x86_64-linux-gnu/gconv', 'usr/bin/apt*', 'usr/lib/apt', 'usr/lib/x86_64-linux-gnu/libapt-*',
    'usr/bin/sqv', 'etc/apt', 'var/lib/apt', 'var/cache/apt', 'usr/bin/dpkg*', 'var/lib/dpkg', 'var/cache/debconf',
    'var/log/*', 'usr/bin/localedef', 'usr/lib/locale', 'usr/share/i18n', 'usr/share/zoneinfo', 'usr/share/lintian',
    'usr/share/bash-completion', 'usr/share/common-licenses', 'usr/share/info', 'usr/lib/x86_64-linux-gnu/libsqlite3.so*')
# Parts of Python's library that the agent does not import.
PYTHON_UNUSED = ('test', 'idlelib', 'ensurepip', 'pydoc_data', 'tkinter', 'lib2to3', 'turtledemo', 'venv', 'unittest',
                 'asyncio', 'sqlite3', 'multiprocessing', 'xml', '_pyrepl', 'config-*', 'doctest.py', 'pydoc.py',
                 'lib-dynload/_sqlite3*', 'lib-dynload/_tkinter*', 'lib-dynload/_test*', 'lib-dynload/_xxtest*',
                 'lib-dynload/_ctypes_test*')
INITRD_ZSTD = ['zstd', '-q', '-T0', '-12', '-f', '-o']  # then the output, then the cpio archive


def mmdebstrap_agent(suite, mirror, root, debs, extra, keyring):
    """Build the agent's root in the directory ``root``; the kernel package and its dependencies are
    downloaded inside and copied out to ``debs`` (a directory that exists)."""
    return (['mmdebstrap', '--variant=minbase', '--mode=root', f'--keyring={keyring}',
             include(list(AGENT_PACKAGES) + list(extra))]
            + [f'--dpkgopt=path-exclude={pattern}' for pattern in AGENT_EXCLUDES]
            + [f'--customize-hook={KERNEL_DOWNLOAD_HOOK}', f'--customize-hook=copy-out /var/cache/apt/archives {debs}',
               suite, root, mirror])


def is_kernel_package(file_name):
    """Whether a .deb is the kernel image itself (linux-image-6.12.1+deb13-amd64_...), not the
    linux-image-amd64 package that depends on it."""
    return file_name.startswith('linux-image-') and file_name[len('linux-image-'):][:1].isdigit() and file_name.endswith('.deb')


def trim_globs(python_dirs):
    """Globs, relative to the root, of what the agent's root loses; ``python_dirs`` are its usr/lib/python3.X."""
    return list(AGENT_TRIM) + [f'{directory}/{name}' for directory in python_dirs for name in PYTHON_UNUSED]


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(',', ':')).encode()).hexdigest()


def os_recipe():
    """The digest of how an OS image is built."""
    return _digest([OS_RECIPE, OS_PACKAGES, RAW_PACKAGES, DOC_EXCLUDES, GRUB_DEFAULTS_HOOK, NETWORKD_HOOK, ESP_MIB,
                    ROOT_SLACK, ROOT_ROOM_MIB, ARCHIVE_PARTITIONS_MIB, ARCHIVE_ROOM_MIB, EXT4_FEATURES,
                    standalone_grub_cfg('UUID')])


def agent_recipe():
    """The digest of how the agent's boot image is built."""
    return _digest([AGENT_RECIPE, AGENT_PACKAGES, AGENT_EXCLUDES, KERNEL_DOWNLOAD_HOOK, AGENT_FILES, AGENT_MODULES,
                    AGENT_MODULES_SKIPPED, AGENT_MODULE_FILES, AGENT_TRIM, PYTHON_UNUSED, INITRD_ZSTD])


def agent_version(inputs):
    """The agent's version: a digest of what it is built from."""
    return _digest(inputs)


# --- initramfs: the cpio "newc" format the kernel unpacks -------------------------------------

NEWC_MAGIC = b'070701'
NEWC_TRAILER = 'TRAILER!!!'


def _padding(length):
    return b'\0' * (-length % 4)


def newc_header(name, mode, size, ino, mtime=0, rdev=(0, 0), nlink=1):
    """One member's header and name, padded as the format wants; its data (``size`` bytes) follows,
    then newc_padding(size). Owner and group are root."""
    encoded = name.encode('utf-8', 'surrogateescape') + b'\0'
    fields = (ino, mode, 0, 0, nlink, max(0, min(int(mtime), 0xFFFFFFFF)), size, 0, 0, rdev[0], rdev[1], len(encoded), 0)
    header = NEWC_MAGIC + b''.join(b'%08X' % field for field in fields) + encoded
    return header + _padding(len(header))


def newc_padding(size):
    return _padding(size)


def newc_trailer():
    return newc_header(NEWC_TRAILER, 0, 0, 0)


def newc_fields(header):
    """The 13 numbers of a header (for tests and checks)."""
    if header[:6] != NEWC_MAGIC:
        raise ValueError('not a newc header')
    return tuple(int(header[6 + 8 * index:14 + 8 * index], 16) for index in range(13))
