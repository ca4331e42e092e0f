# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script


def script(*lines):
    return '\n'.join(('#!ipxe',) + lines) + '\n'


GOOD = {
    'empty': script(),
    'comments and blank lines': script('# a comment', '', '   # indented comment', ''),
    'menu': script(
        ':start',
        'menu Lab',
        'item --key d debian Debian installer',
        'item --gap -- Tools',
        'item --gap',
        'item shell iPXE shell',
        'choose --default debian --timeout 5000 selected || goto start',
        'goto ${selected}',
        ':debian',
        'kernel http://s/linux initrd=initrd.gz auto=true || goto failed',
        'initrd http://s/initrd.gz || goto failed',
        'boot || goto failed',
        ':shell',
        'shell',
        'goto start',
        ':failed',
        'echo Boot failed: ${errno}',
        'prompt',
        'goto start',
    ),
    'chains and trailing ||': script(
        'iseq ${platform} efi && set arch x64 ||',
        'isset ${net0/ip} || dhcp || goto end',
        'echo a ; echo b',
        ':end',
    ),
    'label with a command on the same line': script(':end echo done'),
    'backslash continuation': script('kernel http://s/linux \\', '  quiet || goto end', ':end'),
    'goto an expansion': script('goto ${target}'),
    'windows line ends': '#!ipxe\r\n:end\r\ngoto end\r\n',
    'quotes and expansions balanced': script('set x "a b"', "echo 'c' ${x:hex} ${${y}}"),
    'other commands': script('dhcp', 'ifopen net0', 'imgfree', 'sleep 3', 'cpuid --ext 29', 'params',
                             'param --params p key value', 'sanboot --no-describe http://s/x.iso', 'exit 1',
                             'chain --autofree http://s/menu.ipxe', 'imgfetch http://s/x', 'module http://s/y',
                             'sha256sum x', 'shim http://s/shim.efi', 'reboot', 'poweroff'),
}


@pytest.mark.parametrize('name', sorted(GOOD))
def test_good_scripts_pass(name):
    assert lint_script(GOOD[name]) == []


BAD = [
    ('no signature', 'kernel x\n', 'line 1: the first line must be "#!ipxe"'),
    ('gpxe signature', '#!gpxe\n', 'line 1: the first line must be "#!ipxe"'),
    ('unknown command', script('kernal http://s/linux'), "line 2: unknown command 'kernal'"),
    ('unknown command after ||', script('kernel x || shel'), "line 2: unknown command 'shel'"),
    ('unknown command after &&', script('iseq a b && bogus'), "line 2: unknown command 'bogus'"),
    ('unknown command after ;', script('echo a ; bogus'), "line 2: unknown command 'bogus'"),
    ('starts with ||', script('|| goto x', ':x'), "line 2: line starts with '||' instead of a command"),
    ('empty command in a chain', script('echo a || || echo b'), "line 2: no command between '||' and '||'"),
    ('goto without label', script('goto nowhere'), "line 2: goto 'nowhere' has no label :nowhere"),
    ('goto in a chain without label', script('kernel x || goto failed'), "goto 'failed' has no label :failed"),
    ('goto without target', script('goto'), 'line 2: goto takes 1 argument(s), got 0'),
    ('goto two targets', script('goto a b', ':a'), 'line 2: goto takes 1 argument(s), got 2'),
    ('iseq one value', script('iseq ${platform}'), 'line 2: iseq takes 2 argument(s), got 1'),
    ('duplicate label', script(':a', ':a'), "line 3: label 'a' is already defined on line 2"),
    ('empty label', script(':'), 'line 2: a label needs a name after ":"'),
    ('item without label', script('menu', 'item debian Debian', 'choose x'), "item 'debian' has no label :debian"),
    ('choose default not an item', script('menu', 'item a A', ':a', 'choose --default b x'),
     "choose --default 'b' is not the key of an item"),
    ('choose without setting', script('menu', 'item a A', ':a', 'choose'), 'choose takes 1 argument(s), got 0'),
    ('control character', script('echo a\x1bb'), "line 2: control character '\\x1b'"),
    ('carriage return inside', script('echo a\rb'), "line 2: control character '\\r'"),
    ('unbalanced double quote', script('echo "a'), 'line 2: unbalanced " quoting'),
    ("unbalanced single quote", script("echo a'"), "line 2: unbalanced ' quoting"),
    ('unclosed expansion', script('echo ${net0/ip'), 'line 2: unclosed ${...} expansion'),
    ('inline comment hides a failure handler', script('kernel x #c || goto f', ':f'),
     'line 2: a word starting with "#" comments out the rest of the line'),
    ('not text', None, 'script must be text'),
]


@pytest.mark.parametrize('name, text, problem', BAD, ids=[case[0] for case in BAD])
def test_bad_scripts_are_reported(name, text, problem):
    problems = lint_script(text)
    assert any(problem in found for found in problems), (name, problems)


def test_continuation_reports_the_first_line():
    assert lint_script(script('echo a', 'bogus \\', '  x')) == ["line 3: unknown command 'bogus'"]


ITEMS = [
    {'key': 'debian', 'label': 'Debian installer', 'kernel': 'debian/linux', 'initrd': ['debian/initrd.gz', 'x/fw.cpio.gz'],
     'args': 'auto=true url=http://10.0.0.2/p.cfg', 'shortcut': 'd'},
    {'key': 'memtest', 'kernel': 'os/m/memtest86+x64.bin', 'kernel_efi': 'os/m/memtest86+x64.efi'},
    {'key': 'rescue', 'label': 'Rescue ISO', 'type': 'iso', 'iso': 'iso/rescue.iso'},
    {'key': 'netboot.xyz', 'type': 'chain', 'chain': 'https://boot.netboot.xyz'},
    {'key': 'disk', 'type': 'sanboot', 'sanboot': 'iso/disk.img'},
    {'type': 'gap', 'label': 'Tools'},
    {'type': 'gap'},
    {'key': 'shell', 'label': 'iPXE shell', 'type': 'shell', 'shortcut': 's'},
    {'key': 'local', 'label': 'Local disk', 'type': 'exit'},
]


@pytest.mark.parametrize('kwargs', [
    {},
    {'base_url': 'http://10.0.0.2/', 'default': 'local', 'timeout': 0},
    {'base_url': 'http://10.0.0.2', 'memdisk_url': 'http://10.0.0.3/memdisk', 'title': 'Lab ${net0/mac}'},
])
def test_every_item_type_renders_a_script_that_lints_clean(kwargs):
    assert lint_script(render_menu(ITEMS, **kwargs)) == []


@pytest.mark.parametrize('item', ITEMS[:5] + ITEMS[7:], ids=lambda item: item['key'])
def test_each_item_alone_lints_clean(item):
    assert lint_script(render_menu([item], timeout=1)) == []
