# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script

DEBIAN = {'key': 'debian', 'label': 'Debian installer', 'kernel': 'debian/linux',
          'initrd': 'debian/initrd.gz', 'args': 'priority=critical'}
LOCAL = {'key': 'local', 'label': 'Local disk', 'type': 'exit'}


def labels(script):
    return re.findall(r'^:(\S+)$', script, re.MULTILINE)


def test_full_menu_renders_every_item_type():
    items = [
        DEBIAN,
        {'key': 'xyz', 'label': 'netboot.xyz', 'type': 'chain', 'chain': 'https://boot.netboot.xyz'},
        {'key': 'iso', 'label': 'Rescue ISO', 'type': 'sanboot', 'sanboot': 'iso/rescue.iso'},
        {'type': 'gap', 'label': 'Tools'},
        {'type': 'gap'},
        {'key': 'shell', 'label': 'iPXE shell', 'type': 'shell', 'shortcut': 's'},
        LOCAL,
    ]
    script = render_menu(items, title='Lab', default='local', timeout=5, base_url='http://10.0.0.2/')
    assert script == '\n'.join([
        '#!ipxe',
        '',
        ':start',
        'menu Lab',
        'item debian Debian installer',
        'item xyz netboot.xyz',
        'item iso Rescue ISO',
        'item --gap -- Tools',
        'item --gap',
        'item --key s shell iPXE shell',
        'item local Local disk',
        'choose --default local --timeout 5000 selected || goto start',
        'goto ${selected}',
        '',
        ':debian',
        'kernel http://10.0.0.2/debian/linux initrd=initrd.gz priority=critical || goto failed',
        'initrd http://10.0.0.2/debian/initrd.gz || goto failed',
        'boot || goto failed',
        '',
        ':xyz',
        'chain --autofree https://boot.netboot.xyz || goto failed',
        '',
        ':iso',
        'sanboot --no-describe http://10.0.0.2/iso/rescue.iso || goto failed',
        '',
        ':shell',
        'shell',
        'goto start',
        '',
        ':local',
        'exit 1',
        '',
        ':failed',
        'echo Boot failed: ${errno}. Press a key to return to the menu.',
        'prompt',
        'goto start',
        '',
    ])


def test_one_label_per_item_and_every_goto_has_a_label():
    script = render_menu([DEBIAN, LOCAL, {'type': 'gap'}])
    found = labels(script)
    assert len(found) == len(set(found))
    for target in re.findall(r'goto (\S+)', script):
        assert target == '${selected}' or target in found


@pytest.mark.parametrize('item, kernel_line', [
    ({'key': 'a', 'kernel': 'k'}, 'kernel k || goto failed'),
    ({'key': 'a', 'kernel': 'k', 'initrd': ['i1.gz', 'x/i2.img']}, 'kernel k initrd=i1.gz initrd=i2.img || goto failed'),
    ({'key': 'a', 'kernel': 'k', 'initrd': 'i.gz', 'args': 'initrd=i.gz quiet'}, 'kernel k initrd=i.gz quiet || goto failed'),
    ({'key': 'a', 'kernel': 'http://m/k', 'args': 'url=http://10.0.0.2/preseed.cfg'},
     'kernel http://m/k url=http://10.0.0.2/preseed.cfg || goto failed'),
])
def test_kernel_line(item, kernel_line):
    assert kernel_line in render_menu([item]).splitlines()


@pytest.mark.parametrize('timeout, choose', [
    (0, 'choose --default a selected || goto start'),
    (1, 'choose --default a --timeout 1000 selected || goto start'),
    (10, 'choose --default a --timeout 10000 selected || goto start'),
])
def test_timeout_in_seconds(timeout, choose):
    assert choose in render_menu([{'key': 'a', 'type': 'exit'}], timeout=timeout).splitlines()


def test_default_is_the_first_selectable_item():
    script = render_menu([{'type': 'gap', 'label': 'x'}, LOCAL, DEBIAN])
    assert 'choose --default local --timeout 10000 selected || goto start' in script


@pytest.mark.parametrize('items, kwargs, message', [
    ([], {}, 'non-empty list'),
    ('debian', {}, 'non-empty list'),
    ([{'type': 'gap'}], {}, 'at least one item that is not a gap'),
    ([DEBIAN, dict(DEBIAN)], {}, 'duplicated: debian'),
    ([{'key': 'a'}], {}, "menu items[0] (key 'a'): type boot needs a kernel"),
    ([{'key': 'a', 'type': 'reboot'}], {}, "unknown type 'reboot'"),
    ([{'key': 'a', 'type': 'exit', 'kernel': 'k'}], {}, 'unknown field(s) kernel'),
    ([{'key': 'bad key', 'type': 'exit'}], {}, "got 'bad key'"),
    ([{'key': 'start', 'type': 'exit'}], {}, "got 'start'"),
    ([{'key': 'a', 'type': 'chain'}], {}, "menu items[0] (key 'a'): chain must be a non-empty URL"),
    ([{'key': 'a', 'kernel': 'k k'}], {}, "kernel must be a non-empty URL or path without spaces, got 'k k'"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'a\nshell'}], {}, "args contains a control character '\\n'"),
    ([{'key': 'a', 'label': 'x\rboot', 'type': 'exit'}], {}, "label contains a control character '\\r'"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'console="ttyS0'}], {}, 'unbalanced " quoting'),
    ([{'key': 'a', 'kernel': 'k', 'args': "x='y"}], {}, "unbalanced ' quoting"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'x=${net0/ip'}], {}, 'unclosed ${...} expansion'),
    ([{'key': 'a', 'kernel': 'k', 'initrd': {'x': 1}}], {}, 'initrd must be a string or a list'),
    ([{'key': 'a', 'type': 'exit', 'shortcut': 'ab'}], {}, "shortcut must be one letter or digit, got 'ab'"),
    ([{'key': 'a', 'type': 'exit', 'shortcut': 'x'}, {'key': 'b', 'type': 'exit', 'shortcut': 'x'}], {},
     'shortcuts must be unique'),
    (['a'], {}, "menu items[0]: must be a mapping, got 'a'"),
    ([LOCAL], {'default': 'nope'}, "menu default 'nope' is not the key of an item"),
    ([LOCAL], {'timeout': -1}, 'got -1'),
    ([LOCAL], {'timeout': '5'}, "got '5'"),
    ([LOCAL], {'title': 'a\x1bb'}, 'menu title contains a control character'),
    ([{'key': 'inst\n', 'label': 'chain http://elsewhere/x', 'type': 'exit'}], {}, "got 'inst\\n'"),
    ([{'key': 'a', 'label': 'Debian \\', 'type': 'exit'}], {}, 'label ends with a backslash, which joins the next line'),
    ([{'key': 'a', 'kernel': 'k', 'args': 'quiet \\'}], {}, 'args ends with a backslash'),
    ([{'key': 'a', 'type': 'exit', 'shortcut': 'x\n'}], {}, "shortcut must be one letter or digit"),
    ([{'key': 'own-disk', 'type': 'exit'}], {}, "got 'own-disk'"),
    ([LOCAL], {'only_while': 'http://x/m || shell'}, "menu only_while has the word '||'"),
    ([LOCAL], {'only_while': 'http://x/a b'}, 'menu only_while must be a non-empty URL or path without spaces'),
    ([LOCAL], {'only_while': '-x'}, 'menu only_while must not start with "-"'),
])
def test_refused_input(items, kwargs, message):
    with pytest.raises(MenuError) as error:
        render_menu(items, **kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize('items, kwargs, message', [
    ([{'key': 'a', 'type': 'exit'}, {'key': 'b'}], {'name': 'ipxe_menu_items'},
     "ipxe_menu_items[1] (key 'b'): type boot needs a kernel"),
    ([LOCAL, dict(LOCAL)], {'name': 'ipxe_hosts[0].items'}, 'ipxe_hosts[0].items: keys must be unique; duplicated: local'),
    ([{'type': 'gap'}], {'name': 'ipxe_menu_items'}, 'ipxe_menu_items: needs at least one item that is not a gap'),
    ([], {'name': 'ipxe_menu_items'}, 'ipxe_menu_items: must be a non-empty list'),
    ([{'key': 'a', 'type': 'iso'}], {'name': 'x'}, "x[0] (key 'a'): iso must be a non-empty URL"),
    ([{'key': 'a', 'type': 'iso', 'iso': 'i.iso', 'args': 'quiet'}], {}, 'type iso has unknown field(s) args'),
    ([{'key': 'a', 'kernel': 'k', 'kernel_efi': 'k e'}], {}, "(key 'a'): kernel_efi must be a non-empty URL"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'quiet || shell'}], {}, "args has the word '||'"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'quiet && shell'}], {}, "args has the word '&&'"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'quiet ; shell'}], {}, "args has the word ';'"),
    ([{'key': 'a', 'kernel': 'k', 'args': 'quiet #comment'}], {}, 'args has a word starting with "#"'),
    ([{'key': 'a', 'label': 'Rack #3', 'type': 'exit'}], {}, 'label has a word starting with "#"'),
    ([{'key': 'a', 'kernel': '#k'}], {}, 'kernel has a word starting with "#"'),
    ([LOCAL], {'title': 'a ; shell'}, "menu title has the word ';'"),
    ([LOCAL], {'title': '--name x'}, 'menu title must not start with "-"'),
    ([LOCAL], {'title': ' --name x'}, 'menu title must not start with "-", even after spaces'),
    ([{'key': 'a', 'kernel': 'k', 'initrd': '-x'}], {}, "(key 'a'): initrd must not start with \"-\" (iPXE would read an option)"),
    ([{'key': 'a', 'type': 'chain', 'chain': '--replace'}], {}, "(key 'a'): chain must not start with \"-\""),
    ([LOCAL], {'base_url': '-x'}, 'menu base_url must not start with "-"'),
    ([LOCAL], {'memdisk_url': '--name=x'}, 'menu memdisk_url must not start with "-"'),
    ([LOCAL], {'memdisk_url': 'a b'}, 'menu memdisk_url must be a non-empty URL'),
    ([{'key': '.a', 'type': 'exit'}], {}, "got '.a'"),
])
def test_refused_input_named(items, kwargs, message):
    with pytest.raises(MenuError) as error:
        render_menu(items, **kwargs)
    assert message in str(error.value)


ISO = {'key': 'rescue', 'label': 'Rescue ISO', 'type': 'iso', 'iso': 'iso/rescue.iso'}


@pytest.mark.parametrize('kwargs, memdisk', [
    ({'base_url': 'http://10.0.0.2'}, 'http://10.0.0.2/ipxe/memdisk'),
    ({'base_url': 'http://10.0.0.2/', 'memdisk_url': 'tools/memdisk'}, 'http://10.0.0.2/tools/memdisk'),
    ({'base_url': 'http://10.0.0.2', 'memdisk_url': 'http://other/memdisk'}, 'http://other/memdisk'),
    ({}, 'ipxe/memdisk'),
])
def test_iso_item_boots_memdisk_on_bios_and_sanboot_on_uefi(kwargs, memdisk):
    script = render_menu([ISO], **kwargs)
    iso = 'http://10.0.0.2/iso/rescue.iso' if 'base_url' in kwargs else 'iso/rescue.iso'
    body = script.split(':rescue\n', 1)[1].split('\n\n', 1)[0].splitlines()
    assert body == [
        f'iseq ${{platform}} pcbios || sanboot --no-describe {iso} || goto failed',
        'iseq ${platform} pcbios || goto start',
        f'kernel {memdisk} iso raw || goto failed',
        f'initrd {iso} || goto failed',
        'boot || goto failed',
    ]


def test_boot_item_with_uefi_kernel_loads_one_kernel_per_platform():
    item = {'key': 'memtest', 'kernel': 'os/m/memtest.bin', 'kernel_efi': 'os/m/memtest.efi', 'args': 'nosmp'}
    script = render_menu([item], base_url='http://s')
    body = script.split(':memtest\n', 1)[1].split('\n\n', 1)[0].splitlines()
    assert body == [
        'iseq ${platform} efi || kernel http://s/os/m/memtest.bin nosmp || goto failed',
        'iseq ${platform} pcbios || kernel http://s/os/m/memtest.efi nosmp || goto failed',
        'boot || goto failed',
    ]


def test_keys_may_have_dots():
    script = render_menu([{'key': 'netboot.xyz', 'type': 'chain', 'chain': 'https://boot.netboot.xyz'}])
    assert ':netboot.xyz' in script.splitlines()
    assert 'item netboot.xyz netboot.xyz' in script.splitlines()


@pytest.mark.parametrize('only_while, base_url, fetched', [
    ('http://10.0.0.2/builds/t1', None, 'http://10.0.0.2/builds/t1'),
    ('builds/t1', 'http://10.0.0.2/', 'http://10.0.0.2/builds/t1'),
])
def test_only_while_runs_the_menu_while_the_file_is_there_else_boots_the_own_disk(only_while, base_url, fetched):
    script = render_menu([DEBIAN], only_while=only_while, base_url=base_url)
    lines = script.splitlines()
    assert lines[:5] == ['#!ipxe', '', f'imgfetch --name only-while {fetched} || goto own-disk', 'imgfree only-while', '']
    assert lines[-3:] == [':own-disk', 'iseq ${platform} efi && exit 1 ||', 'sanboot --no-describe --drive 0x80 || exit 1']
    assert lint_script(script) == []
    assert 'own-disk' not in render_menu([DEBIAN])
