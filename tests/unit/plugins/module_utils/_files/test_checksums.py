# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import (
    BootAssetError,
    ChecksumEntry,
    file_digest,
    find_checksum,
    parse_checksum,
    parse_checksum_list,
)

H64 = '0123456789abcdef' * 4
H128 = 'fedcba9876543210' * 8
G64 = 'a' * 64


@pytest.mark.parametrize('text, expected', [
    # GNU coreutils, text and binary mode
    (f'{H64}  vmlinuz\n', [('vmlinuz', 'sha256', H64)]),
    (f'{H64} *initrd.img\n', [('initrd.img', 'sha256', H64)]),
    (f'{H128}  debian.iso\n', [('debian.iso', 'sha512', H128)]),
    (f'{H64}  ./netboot/debian-installer/amd64/linux\n', [('netboot/debian-installer/amd64/linux', 'sha256', H64)]),
    (f'{H64} *./mini.iso\r\n', [('mini.iso', 'sha256', H64)]),
    (f'{H64}  name with spaces.iso\n', [('name with spaces.iso', 'sha256', H64)]),
    (f'\\{H64}  back\\\\slash\n', [('back\\slash', 'sha256', H64)]),
    # uppercase hex is lowercased
    (f'{H64.upper()}  vmlinuz\n', [('vmlinuz', 'sha256', H64)]),
    # BSD tag (coreutils --tag, Fedora CHECKSUM, openssl dgst)
    (f'SHA256 (Fedora-Server-netinst-x86_64-40.iso) = {H64}\n', [('Fedora-Server-netinst-x86_64-40.iso', 'sha256', H64)]),
    (f'SHA512 (./alpine.iso) = {H128.upper()}\n', [('alpine.iso', 'sha512', H128)]),
    (f'SHA2-256(vmlinuz)= {H64}\n', [('vmlinuz', 'sha256', H64)]),
    (f'sha256 (x (1).iso) = {H64}\n', [('x (1).iso', 'sha256', H64)]),
    # .treeinfo [checksums]
    (f'[checksums]\nimages/pxeboot/vmlinuz = sha256:{H64}\nimages/install.img = SHA512:{H128}\n',
     [('images/pxeboot/vmlinuz', 'sha256', H64), ('images/install.img', 'sha512', H128)]),
    # malformed or foreign lines are ignored
    ('', []),
    ('# comment\n\n[general]\nname = Fedora 40\nkernel = images/pxeboot/vmlinuz\n', []),
    (f'{H64[:-1]}  short\n', []),
    (f'{H64}0  long\n', []),
    (f'{H64}\n', []),
    (f'{"g" * 64}  nothex\n', []),
    (f'SHA256 (vmlinuz) = {H128}\n', []),
    (f'SHA1 (vmlinuz) = {"a" * 40}\n', []),
    (f'MD5 (vmlinuz) = {"a" * 32}\n', []),
    (f'images/pxeboot/vmlinuz = sha256:{H128}\n', []),
    (f'images/pxeboot/vmlinuz = md5:{"a" * 32}\n', []),
    # a clearsigned CHECKSUM file keeps its entries
    ('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# Fedora-Server-40 x86_64 CHECKSUM\n'
     f'SHA256 (Fedora-Server-netinst-x86_64-40.iso) = {H64}\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEE\n=abcd\n'
     '-----END PGP SIGNATURE-----\n',
     [('Fedora-Server-netinst-x86_64-40.iso', 'sha256', H64)]),
])
def test_parse_checksum_list(text, expected):
    assert parse_checksum_list(text) == [ChecksumEntry(*e) for e in expected]


def test_parse_checksum_list_mixed_formats():
    text = (f'{H64}  ./a.iso\nSHA512 (b.iso) = {H128}\ngarbage line\n'
            f'[checksums]\nimages/c = sha256:{G64}\n')
    assert [e.name for e in parse_checksum_list(text)] == ['a.iso', 'b.iso', 'images/c']


LIST = [
    ChecksumEntry('vmlinuz', 'sha256', H64),
    ChecksumEntry('images/pxeboot/vmlinuz', 'sha256', G64),
    ChecksumEntry('images/pxeboot/initrd.img', 'sha256', H64),
    ChecksumEntry('netboot/debian-installer/amd64/linux', 'sha256', G64),
    ChecksumEntry('netboot/gtk/debian-installer/amd64/linux', 'sha256', H64),
    ChecksumEntry('both.iso', 'sha256', H64),
    ChecksumEntry('both.iso', 'sha512', H128),
    ChecksumEntry('twice.iso', 'sha256', G64),
    ChecksumEntry('twice.iso', 'sha256', G64),
]


@pytest.mark.parametrize('name, expected', [
    ('vmlinuz', ('sha256', H64)),                       # exact beats the suffix match
    ('./vmlinuz', ('sha256', H64)),
    ('images/pxeboot/vmlinuz', ('sha256', G64)),
    ('pxeboot/vmlinuz', ('sha256', G64)),               # suffix
    ('initrd.img', ('sha256', H64)),                    # unique suffix
    ('netboot/debian-installer/amd64/linux', ('sha256', G64)),
    ('gtk/debian-installer/amd64/linux', ('sha256', H64)),
    ('both.iso', ('sha512', H128)),                     # both algorithms listed: sha512
    ('twice.iso', ('sha256', G64)),                     # duplicate lines agree
])
def test_find_checksum(name, expected):
    assert find_checksum(LIST, name) == expected


@pytest.mark.parametrize('name, message', [
    ('missing.iso', "no checksum for 'missing.iso' in http://mirror/SHA256SUMS"),
    ('linux', "2 entries match 'linux' in http://mirror/SHA256SUMS: netboot/debian-installer/amd64/linux, "
              "netboot/gtk/debian-installer/amd64/linux"),
    ('debian-installer/amd64/linux', '2 entries match'),
    ('mlinuz', "no checksum for 'mlinuz'"),            # a suffix match is on whole path components
    ('conflict.iso', "listed with 2 different sha256 digests"),
])
def test_find_checksum_refuses(name, message):
    entries = LIST + [ChecksumEntry('conflict.iso', 'sha256', H64), ChecksumEntry('conflict.iso', 'sha256', G64)]
    with pytest.raises(BootAssetError) as exc:
        find_checksum(entries, name, 'http://mirror/SHA256SUMS')
    assert message in str(exc.value)


@pytest.mark.parametrize('value, expected', [
    (f'sha256:{H64}', ('sha256', H64)),
    (f'SHA256:{H64.upper()}', ('sha256', H64)),
    (f'sha512:{H128}', ('sha512', H128)),
])
def test_parse_checksum(value, expected):
    assert parse_checksum(value) == expected


@pytest.mark.parametrize('value', [H64, f'sha256:{H128}', f'sha512:{H64}', f'md5:{"a" * 32}', 'sha256:', f'sha256:{"z" * 64}'])
def test_parse_checksum_refuses(value):
    with pytest.raises(BootAssetError, match='sha256:<64 hex digits>'):
        parse_checksum(value)


@pytest.mark.parametrize('algorithm', ['sha256', 'sha512'])
def test_file_digest_in_chunks(tmp_path, algorithm):
    data = bytes(range(256)) * 1000
    path = tmp_path / 'f'
    path.write_bytes(data)
    assert file_digest(str(path), algorithm, chunk_size=4096) == hashlib.new(algorithm, data).hexdigest()


def test_file_digest_missing(tmp_path):
    with pytest.raises(BootAssetError, match='cannot read'):
        file_digest(str(tmp_path / 'nope'), 'sha256')


def test_file_digest_nofollow_refuses_links_and_fifos(tmp_path):
    target = tmp_path / 'target'
    target.write_bytes(b'secret')
    (tmp_path / 'link').symlink_to(target)
    os.mkfifo(tmp_path / 'fifo')
    assert file_digest(str(tmp_path / 'link'), 'sha256') == hashlib.sha256(b'secret').hexdigest()
    with pytest.raises(BootAssetError, match='cannot read .*link'):
        file_digest(str(tmp_path / 'link'), 'sha256', nofollow=True)
    with pytest.raises(BootAssetError, match='fifo is not a regular file'):
        file_digest(str(tmp_path / 'fifo'), 'sha256', nofollow=True)
