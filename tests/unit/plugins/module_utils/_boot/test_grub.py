# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.grub import (
    GrubMenuError,
    grub_path,
    own_disk_config,
    render_grub_menu,
)

BASE = 'http://10.0.0.2/'
DEBIAN = {'key': 'debian', 'label': 'Debian installer', 'kernel': 'os/debian-13/linux', 'initrd': 'os/debian-13/initrd.gz',
          'args': 'auto=true priority=critical', 'signed': True}
FEDORA = {'key': 'fedora', 'label': 'Fedora installer', 'kernel': 'os/fedora/vmlinuz', 'initrd': 'os/fedora/initrd.img'}
LOCAL = {'key': 'local', 'label': 'Boot from the local disk', 'type': 'exit'}
SHELL = {'key': 'shell', 'label': 'iPXE shell', 'type': 'shell'}


def test_signed_kernels_boot_the_others_are_notes():
    text = render_grub_menu([DEBIAN, {'type': 'gap', 'label': 'tools'}, FEDORA, LOCAL, SHELL], title='Lab', timeout=5,
                            base_url=BASE)
    assert text.splitlines() == [
        '# Lab',
        'set default=0',
        'set timeout=5',
        '',
        "menuentry 'Debian installer' {",
        '    linux (http,10.0.0.2)/os/debian-13/linux auto=true priority=critical',
        '    initrd (http,10.0.0.2)/os/debian-13/initrd.gz',
        '}',
        '',
        "menuentry 'Fedora installer (left out: its kernel is not signed for Secure Boot)' {",
        "    echo 'Fedora installer: left out with Secure Boot, its kernel is not signed for Secure Boot.'",
        '    sleep 5',
        '}',
        '',
        "menuentry 'Boot from the local disk' {",
        '    exit 1',
        '}',
        '',
        "menuentry 'iPXE shell (left out: type shell needs iPXE)' {",
        "    echo 'iPXE shell: left out with Secure Boot, type shell needs iPXE.'",
        '    sleep 5',
        '}',
    ]


@pytest.mark.parametrize('kwargs, lines', [
    ({'default': 'local'}, ['set default=1']),
    ({'timeout': 0}, ['set timeout=-1']),
    ({}, ['set default=0', 'set timeout=10']),
])
def test_default_and_timeout(kwargs, lines):
    found = render_grub_menu([DEBIAN, LOCAL], base_url=BASE, **kwargs).splitlines()
    assert [line for line in lines if line not in found] == []


def test_the_default_is_the_first_item_that_can_boot():
    assert 'set default=1' in render_grub_menu([FEDORA, DEBIAN], base_url=BASE)


def test_uefi_kernel_and_several_initrds():
    item = dict(DEBIAN, kernel='k-bios', kernel_efi='http://files.lab:8080/k.efi', initrd=['a.gz', 'b.gz'], args='')
    text = render_grub_menu([item], base_url=BASE)
    assert '    linux (http,files.lab:8080)/k.efi' in text.splitlines()
    assert '    initrd (http,10.0.0.2)/a.gz (http,10.0.0.2)/b.gz' in text.splitlines()


@pytest.mark.parametrize('items, kwargs, message', [
    ([], {}, 'must be a non-empty list'),
    ([{'type': 'gap'}], {}, 'needs at least one item that is not a gap'),
    ([DEBIAN], {'default': 'nope'}, "menu default 'nope' is not the key"),
    ([DEBIAN], {'timeout': -1}, 'menu timeout must be a whole number'),
    ([dict(DEBIAN, label="the 'new' one")], {}, 'cannot go into a GRUB menu title'),
    ([dict(DEBIAN, label='a\\b')], {}, 'cannot go into a GRUB menu title'),
    ([dict(DEBIAN, args='x=$root')], {}, 'args must be plain words'),
    ([dict(DEBIAN, args='a;reboot')], {}, 'args must be plain words'),
    ([dict(DEBIAN, args='a "b c"')], {}, 'args must be plain words'),
    ([dict(DEBIAN, args='a {b}')], {}, 'args must be plain words'),
    ([dict(DEBIAN, kernel='https://files.lab/k')], {}, 'must be an http URL without query or fragment for GRUB'),
    ([dict(DEBIAN, kernel='http://files.lab/k?x=1')], {}, 'must be a whole http URL'),
    ([dict(DEBIAN, kernel='http://files.lab/k$x')], {}, 'must be a whole http URL'),
    ([dict(DEBIAN, kernel='http://user@files.lab/k')], {}, 'must be a whole http URL'),
    # GRUB commands through a port (the security review's input), and a port that is no number.
    ([dict(DEBIAN, kernel="http://10.0.0.2:80;};set;default=1;set;timeout=0;menuentry'x'{/vmlinuz")], {},
     'must be a whole http URL'),
    ([dict(DEBIAN, kernel='http://10.0.0.2:80;reboot;/vmlinuz')], {}, 'must be a whole http URL'),
    ([dict(DEBIAN, kernel='http://10.0.0.2:8x/vmlinuz')], {}, 'must be a whole http URL'),
    ([dict(DEBIAN, kernel='http://10.0.0.2:65536/vmlinuz')], {}, 'must be a whole http URL'),
    ([dict(DEBIAN, kernel='vmlinuz')], {'base_url': 'http://10.0.0.2:80;reboot;'}, 'must be a whole http URL'),
    ([dict(DEBIAN, signed='yes')], {}, 'signed must be true or false'),
    ([dict(DEBIAN, args='a || b')], {}, "has the word '||'"),
])
def test_refused(items, kwargs, message):
    with pytest.raises(GrubMenuError) as error:
        render_grub_menu(items, **dict({'base_url': BASE}, **kwargs))
    assert message in str(error.value)


@pytest.mark.parametrize('url, path', [
    ('http://10.0.0.2/boot-test/vmlinuz', '(http,10.0.0.2)/boot-test/vmlinuz'),
    ('http://10.0.0.2:8080/a', '(http,10.0.0.2:8080)/a'),
    ('http://mirror.lab', '(http,mirror.lab)/'),
])
def test_grub_path(url, path):
    assert grub_path('x', url) == path


TOKEN = '0123456789abcdef0123456789abcdef'


def test_only_while_its_marker_is_there():
    text = render_grub_menu([DEBIAN, LOCAL], base_url=BASE, timeout=1, only_while=f'builds/{TOKEN}')
    assert text.splitlines() == [
        '# Network boot',
        'set netboot_pending=',
        f'load_env --file (http,10.0.0.2)/builds/{TOKEN} netboot_pending',
        f'if [ "$netboot_pending" = "{TOKEN}" ]; then',
        '    set default=0',
        '    set timeout=1',
        '',
        "    menuentry 'Debian installer' {",
        '        linux (http,10.0.0.2)/os/debian-13/linux auto=true priority=critical',
        '        initrd (http,10.0.0.2)/os/debian-13/initrd.gz',
        '    }',
        '',
        "    menuentry 'Boot from the local disk' {",
        '        exit 1',
        '    }',
        'else',
        '    exit 1',
        'fi',
    ]


@pytest.mark.parametrize('only_while, message', [
    (f'https://10.0.0.2/builds/{TOKEN}', 'must be an http URL'),
    (f'http://10.0.0.2/builds/{TOKEN}?y', 'must be a whole http URL'),
    ('builds/$x', 'must be a whole http URL'),
    ('builds/not-a-token', 'must end in a build token (32 hexadecimal digits)'),
])
def test_only_while_must_be_a_marker_over_http(only_while, message):
    with pytest.raises(GrubMenuError) as error:
        render_grub_menu([DEBIAN], base_url=BASE, only_while=only_while)
    assert 'menu only_while' in str(error.value) and message in str(error.value)


def test_the_common_menu_asks_the_server_for_the_machines_own_configuration():
    lines = render_grub_menu([DEBIAN], base_url=BASE, own_configs=True).splitlines()
    # No MAC in the common menu: the server answers by the MAC GRUB booted with (and the address it asks from).
    assert lines[1:3] == ['configfile "(http,10.0.0.2)/grub/hosts/${net_default_mac}.cfg"', '']
    assert 'net_default_mac' not in render_grub_menu([DEBIAN], base_url=BASE)


@pytest.mark.parametrize('own_configs', ['yes', 1, ['52-54-00-00-00-01'], None])
def test_own_configs_is_true_or_false(own_configs):
    with pytest.raises(GrubMenuError) as error:
        render_grub_menu([DEBIAN], base_url=BASE, own_configs=own_configs)
    assert str(error.value).startswith('own_configs: must be true or false')


def test_own_disk_config():
    assert own_disk_config('52:54:00:12:34:56', 2) == '# 52:54:00:12:34:56: build 2 installed; this machine boots its own disk.\nexit 1\n'


# GRUB's own parser reads every kind of configuration this module writes.
CONFIGS = {
    'menu': lambda: render_grub_menu([DEBIAN, {'type': 'gap'}, FEDORA, LOCAL, SHELL], base_url=BASE, own_configs=True),
    'install': lambda: render_grub_menu([DEBIAN], base_url=BASE, only_while=f'http://10.0.0.2/builds/{TOKEN}', timeout=0),
    'own-disk': lambda: own_disk_config('52:54:00:12:34:56', 1),
}


@pytest.mark.skipif(not shutil.which('grub-script-check'), reason='needs grub-script-check (grub-common)')
@pytest.mark.parametrize('kind', list(CONFIGS))
def test_grub_script_check_reads_it(tmp_path, kind):
    path = tmp_path / 'grub.cfg'
    path.write_text(CONFIGS[kind]())
    result = subprocess.run(['grub-script-check', str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
