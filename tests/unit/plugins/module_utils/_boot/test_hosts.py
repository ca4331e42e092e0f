# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import json
import re

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.access import render_nginx_access
from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import (
    CatalogError,
    host_items,
    merge_layers,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.grub import own_disk_config, render_grub_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import (
    KEYS,
    IpxeHostsError,
    answer_file_sources,
    answer_problems,
    host_plan,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.seed import locale_gen, seed
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script

from role_data import role_vars

ROLE_VARS = role_vars('ipxe')
BUILTIN_MIRRORS = ROLE_VARS['__ipxe_os_builtin_mirrors']
ANSWER_TEMPLATES = ROLE_VARS['__ipxe_answer_templates']
ANSWER_URL_FILES = ROLE_VARS['__ipxe_answer_url_files']
# As the role merges them: the user's mirrors over the built-in ones, unnormalized.
MIRRORS = dict(BUILTIN_MIRRORS, debian='http://mirror.lab/debian/')
CATALOG = merge_layers([
    ('__ipxe_os_builtin_entries', ROLE_VARS['__ipxe_os_builtin_entries']),
    ('ipxe_os_entries', [{'name': name, 'enabled': True}
                         for name in ('debian-13', 'ubuntu-24.04', 'fedora-44', 'memtest86plus')]),
])
BASE_URL = 'http://10.0.0.2/'
TITLE = 'Lab boot'

MAC = '52:54:00:12:34:56'
DEBIAN_ITEM = {'key': 'debian', 'label': 'Debian', 'kernel': 'debian/linux', 'initrd': 'debian/initrd.gz', 'args': 'quiet'}
LOCAL_ITEM = {'key': 'local', 'label': 'Local disk', 'type': 'exit'}
ITEMS_HOST = {'mac': MAC, 'items': [DEBIAN_ITEM, LOCAL_ITEM]}
OS_HOST = {'mac': MAC, 'os': 'debian-13'}


def plan(hosts, **kwargs):
    arguments = {'mirrors': MIRRORS, 'builtin_mirrors': BUILTIN_MIRRORS, 'base_url': BASE_URL,
                 'answer_templates': ANSWER_TEMPLATES, 'answer_url_files': ANSWER_URL_FILES, 'menu_title': TITLE}
    arguments.update(kwargs)
    catalog = arguments.pop('catalog', CATALOG)
    return host_plan(hosts, catalog, **arguments)


def os_script(os_name, answer_url, timeout=1, default=None):
    """The script of an os entry, as the role rendered it before the plan: host_items, then ipxe_menu."""
    items = host_items(CATALOG, os_name, answer_url, mirrors=MIRRORS, name='ipxe_hosts[0].os')
    return render_menu(items, title=TITLE, timeout=timeout, default=default, base_url=BASE_URL, name='ipxe_hosts[0].items')


def install(key, index, os_name, **fields):
    result = {'key': key, 'mac': key.replace('-', ':'), 'index': index, 'os': os_name,
              'hostname': 'host-' + key.replace('-', ''), 'kind': 'preseed', 'files': ['preseed.cfg'],
              'mirror': 'http://mirror.lab/debian/', 'template': '',
              'url': f'http://10.0.0.2/answers/{key}/preseed.cfg', 'build': 1, 'directory': key, 'done_url': ''}
    result.update(fields)
    # The role's template of each file, unless the test names them.
    result.setdefault('answer_files', [{'path': f'answers/{result["directory"]}/{name}', 'template': f'answers/{name}.j2'}
                                       for name in result['files']])
    return result


# --- good entries --------------------------------------------------------------------------------

def test_no_hosts():
    nothing = {'installs': [], 'scripts': {}, 'grub_configs': {}, 'nginx_access': render_nginx_access([]), 'discovery': {},
               'renew': []}
    assert plan([]) == nothing
    assert plan(None) == nothing


def test_items_entry_renders_its_menu_exactly():
    host = dict(ITEMS_HOST, default='local', timeout=5, ip='10.0.0.50', hostname='web1')
    result = plan([host])
    assert result['installs'] == []
    assert result['scripts'] == {'52-54-00-12-34-56': '\n'.join([
        '#!ipxe',
        '',
        ':start',
        'menu Lab boot',
        'item debian Debian',
        'item local Local disk',
        'choose --default local --timeout 5000 selected || goto start',
        'goto ${selected}',
        '',
        ':debian',
        'kernel http://10.0.0.2/debian/linux initrd=initrd.gz quiet || goto failed',
        'initrd http://10.0.0.2/debian/initrd.gz || goto failed',
        'boot || goto failed',
        '',
        ':local',
        'exit 1',
        '',
        ':failed',
        'echo Boot failed: ${errno}. Press a key to return to the menu.',
        'prompt',
        'goto start',
        '',
    ])}


def test_os_entry_renders_the_installer_with_its_answer_file():
    result = plan([dict(OS_HOST, mac='52-54-00-AB-CD-EF', hostname='web1')])
    assert result['installs'] == [install('52-54-00-ab-cd-ef', 0, 'debian-13', hostname='web1')]
    script = result['scripts']['52-54-00-ab-cd-ef']
    assert ('kernel http://10.0.0.2/os/debian-13/linux initrd=initrd.gz auto=true priority=critical netcfg/no_default_route=true '
            'url=http://10.0.0.2/answers/52-54-00-ab-cd-ef/preseed.cfg || goto failed') in script.split('\n')
    assert 'choose --default debian-13 --timeout 1000 selected || goto start' in script.split('\n')
    assert lint_script(script) == []


# (ipxe_hosts, expected installs, expected scripts: key -> (render_menu items or an os name, render arguments))
GOOD = [
    pytest.param([ITEMS_HOST], [], {'52-54-00-12-34-56': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1})}, id='items-defaults'),
    pytest.param([dict(ITEMS_HOST, timeout=0, default='debian')], [],
                 {'52-54-00-12-34-56': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 0, 'default': 'debian'})}, id='items-wait-forever'),
    pytest.param([dict(ITEMS_HOST, timeout='7')], [],
                 {'52-54-00-12-34-56': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 7})}, id='items-timeout-string'),
    pytest.param([dict(ITEMS_HOST, default=None)], [],
                 {'52-54-00-12-34-56': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1})}, id='items-default-null'),
    pytest.param([dict(ITEMS_HOST, mac='52-54-00-12-34-5F', answer_template='ignored.j2')], [],
                 {'52-54-00-12-34-5f': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1})}, id='items-mac-hyphens-upper'),
    pytest.param([dict(ITEMS_HOST, mac='5254.0012.345F')], [],
                 {'52-54-00-12-34-5f': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1})}, id='items-mac-cisco-dots'),
    pytest.param([dict(ITEMS_HOST, mac='52540012345f')], [],
                 {'52-54-00-12-34-5f': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1})}, id='items-mac-bare-digits'),
    pytest.param([OS_HOST], [install('52-54-00-12-34-56', 0, 'debian-13')],
                 {'52-54-00-12-34-56': ('debian-13', {})}, id='os-preseed'),
    pytest.param([dict(OS_HOST, os='ubuntu-24.04', answer_template='/tmp/my-user-data.j2', hostname='u1')],
                 [install('52-54-00-12-34-56', 0, 'ubuntu-24.04', hostname='u1', kind='autoinstall',
                          files=['user-data', 'meta-data', 'vendor-data'], mirror='http://releases.ubuntu.com',
                          template='/tmp/my-user-data.j2', url='http://10.0.0.2/answers/52-54-00-12-34-56/',
                          answer_files=[{'path': 'answers/52-54-00-12-34-56/user-data', 'template': '/tmp/my-user-data.j2'},
                                        {'path': 'answers/52-54-00-12-34-56/meta-data', 'template': 'answers/meta-data.j2'},
                                        {'path': 'answers/52-54-00-12-34-56/vendor-data', 'template': 'answers/vendor-data.j2'}])],
                 {'52-54-00-12-34-56': ('ubuntu-24.04', {})}, id='os-autoinstall-own-template'),
    pytest.param([dict(OS_HOST, os='fedora-44', timeout='3')],
                 [install('52-54-00-12-34-56', 0, 'fedora-44', kind='kickstart', files=['ks.cfg'],
                          mirror='https://download.fedoraproject.org/pub/fedora/linux',
                          url='http://10.0.0.2/answers/52-54-00-12-34-56/ks.cfg')],
                 {'52-54-00-12-34-56': ('fedora-44', {'timeout': 3})}, id='os-kickstart'),
    pytest.param([dict(OS_HOST, timeout=0, default='debian-13')], [install('52-54-00-12-34-56', 0, 'debian-13')],
                 {'52-54-00-12-34-56': ('debian-13', {'timeout': 0, 'default': 'debian-13'})}, id='os-default-and-timeout'),
    pytest.param([ITEMS_HOST, dict(OS_HOST, mac='52:54:00:00:00:02'), dict(OS_HOST, mac='52:54:00:00:00:03', os='fedora-44')],
                 [install('52-54-00-00-00-02', 1, 'debian-13'),
                  install('52-54-00-00-00-03', 2, 'fedora-44', kind='kickstart', files=['ks.cfg'],
                          mirror='https://download.fedoraproject.org/pub/fedora/linux',
                          url='http://10.0.0.2/answers/52-54-00-00-00-03/ks.cfg')],
                 {'52-54-00-12-34-56': ([DEBIAN_ITEM, LOCAL_ITEM], {'timeout': 1}),
                  '52-54-00-00-00-02': ('debian-13', {}), '52-54-00-00-00-03': ('fedora-44', {})}, id='mixed-in-order'),
]


@pytest.mark.parametrize('hosts, installs, scripts', GOOD)
def test_good_entries(hosts, installs, scripts):
    result = plan(copy.deepcopy(hosts))
    assert result['installs'] == installs
    assert list(result['scripts']) == list(scripts)
    for key, (items, arguments) in scripts.items():
        if isinstance(items, str):
            answer_url = next(entry['url'] for entry in installs if entry['key'] == key)
            expected = os_script(items, answer_url, **arguments)
        else:
            expected = render_menu(items, title=TITLE, base_url=BASE_URL, **arguments)
        assert result['scripts'][key] == expected
        assert lint_script(result['scripts'][key]) == []


def test_the_entries_are_left_unchanged():
    hosts = [dict(OS_HOST, mac='52-54-00-AB-CD-EF'), ITEMS_HOST]
    before = copy.deepcopy(hosts)
    plan(hosts)
    assert hosts == before


@pytest.mark.parametrize('mirrors, expected', [
    pytest.param(MIRRORS, 'http://mirror.lab/debian/', id='user-http-mirror-kept-as-given'),
    pytest.param(dict(MIRRORS, debian='https://mirror.lab/debian'), 'https://mirror.lab/debian', id='user-https-mirror'),
    pytest.param(dict(MIRRORS, debian='/srv/mirror/debian'), 'https://deb.debian.org/debian', id='local-mirror-falls-back-to-builtin'),
    pytest.param(BUILTIN_MIRRORS, 'https://deb.debian.org/debian', id='builtin'),
])
def test_the_installed_system_uses_an_http_mirror(mirrors, expected):
    (entry,) = plan([OS_HOST], mirrors=mirrors)['installs']
    assert entry['mirror'] == expected


@pytest.mark.parametrize('mirrors, expected', [
    pytest.param(BUILTIN_MIRRORS, 'http://deb.debian.org/debian', id='builtin-https-over-http'),
    pytest.param(dict(MIRRORS, debian='https://mirror.lab/debian'), 'http://mirror.lab/debian', id='user-https-over-http'),
    pytest.param(MIRRORS, 'http://mirror.lab/debian/', id='http-unchanged'),
])
def test_through_a_package_cache_the_mirror_is_reached_over_http(mirrors, expected):
    (entry,) = plan([OS_HOST], mirrors=mirrors, answers={'ipxe_answer_proxy': 'http://10.0.0.2:3142/'})['installs']
    assert entry['mirror'] == expected


def test_no_builtin_mirror_of_that_name_leaves_the_mirror_empty():
    (entry,) = plan([OS_HOST], mirrors=dict(MIRRORS, debian='/srv/mirror/debian'), builtin_mirrors={})['installs']
    assert entry['mirror'] == ''


@pytest.mark.parametrize('base_url', ['http://10.0.0.2', 'http://10.0.0.2/'])
def test_answer_url_with_or_without_a_trailing_slash(base_url):
    (entry,) = plan([OS_HOST], base_url=base_url)['installs']
    assert entry['url'] == 'http://10.0.0.2/answers/52-54-00-12-34-56/preseed.cfg'


def test_base_url_with_a_path():
    result = plan([OS_HOST, dict(ITEMS_HOST, mac='52:54:00:00:00:02')], base_url='https://boot.lab/netboot/')
    assert result['installs'][0]['url'] == 'https://boot.lab/netboot/answers/52-54-00-12-34-56/preseed.cfg'
    assert 'kernel https://boot.lab/netboot/debian/linux initrd=initrd.gz quiet || goto failed' in \
        result['scripts']['52-54-00-00-00-02'].split('\n')


def test_many_hosts():
    hosts = [dict(OS_HOST, mac=f'52:54:00:00:{index // 256:02x}:{index % 256:02x}') for index in range(300)]
    result = plan(hosts)
    assert [entry['index'] for entry in result['installs']] == list(range(300))
    assert len(result['scripts']) == 300


# --- bad entries ---------------------------------------------------------------------------------

KNOWN = 'known: mac, items, os, hostname, ip, ipv6, duid, uuid, default, timeout, answer_template'

# (ipxe_hosts, fragment of the message)
BAD = [
    pytest.param([dict(OS_HOST, ipv6='fe80::5')], "ipxe_hosts[0].ipv6: must be the machine's reserved IPv6 address (global or "
                 "unique local, without zone index), got 'fe80::5'", id='ipv6-link-local'),
    pytest.param([dict(OS_HOST, ipv6='fd00:10::5', duid='00:01')], "ipxe_hosts[0].duid: must be the machine's DHCPv6 DUID in "
                 "colon-separated hex", id='duid-short'),
    pytest.param([dict(OS_HOST, duid='00:04:aa:bb:cc')], 'ipxe_hosts[0].duid: only goes with "ipv6"', id='duid-alone'),
    pytest.param([dict(OS_HOST, ipv6='fd00:10::5', uuid='6e657462-6f6f-7436-8000-00000000001')],
                 "ipxe_hosts[0].uuid: must be the machine's system UUID", id='uuid-short'),
    pytest.param([dict(OS_HOST, uuid='6e657462-6f6f-7436-8000-000000000011')], 'ipxe_hosts[0].uuid: only goes with "ipv6"',
                 id='uuid-alone'),
    pytest.param([dict(OS_HOST, ipv6='fd00:10::5', uuid='6e657462-6f6f-7436-8000-000000000011', duid='00:04:aa:bb:cc')],
                 'ipxe_hosts[0]: give "duid" or "uuid"', id='duid-and-uuid'),
    pytest.param('52:54:00:12:34:56', "ipxe_hosts: must be a list of entries, got '52:54:00:12:34:56'", id='not-a-list'),
    pytest.param({'mac': MAC, 'os': 'debian-13'}, 'ipxe_hosts: must be a list of entries', id='a-mapping'),
    pytest.param([MAC], "ipxe_hosts[0]: must be a mapping with a \"mac\" and \"items\", \"os\" or \"image\", got '52:54:00:12:34:56'",
                 id='entry-not-a-mapping'),
    pytest.param([dict(OS_HOST, hostnmae='web1')], f'ipxe_hosts[0]: unknown key(s) hostnmae (did you mean hostname?); {KNOWN}',
                 id='unknown-key-typo'),
    pytest.param([dict(OS_HOST, kernel='x', zz=1)], f'ipxe_hosts[0]: unknown key(s) kernel, zz; {KNOWN}', id='unknown-keys'),
    pytest.param([dict(OS_HOST, **{'answer-template': 'x'})],
                 'ipxe_hosts[0]: unknown key(s) answer-template (did you mean answer_template?)', id='unknown-key-hyphen'),
    pytest.param([{3: 'x', 'mac': MAC, 'os': 'debian-13'}], 'ipxe_hosts[0]: unknown key(s) 3; known:', id='unknown-key-number'),
    pytest.param([{'os': 'debian-13'}], "ipxe_hosts[0]: needs a \"mac\" like 52:54:00:12:34:56, got {'os': 'debian-13'}",
                 id='mac-missing'),
    pytest.param([dict(OS_HOST, mac='52:54:00:12:34:56\n')], "ipxe_hosts[0].mac: '52:54:00:12:34:56\\n' is not a MAC address",
                 id='mac-trailing-newline'),
    pytest.param([dict(OS_HOST, mac='\n52:54:00:12:34:56')], "ipxe_hosts[0].mac: '\\n52:54:00:12:34:56'", id='mac-leading-newline'),
    pytest.param([dict(OS_HOST, mac='52:54-00:12-34:56')], "ipxe_hosts[0].mac: '52:54-00:12-34:56' is not a MAC address like",
                 id='mac-mixed-separators'),
    pytest.param([dict(OS_HOST, mac='52:54:00:13')], "ipxe_hosts[0].mac: '52:54:00:13' is not a MAC address like 52:54:00:12:34:56",
                 id='mac-short'),
    pytest.param([dict(OS_HOST, mac='52:54:00:12:34:56:78')], "ipxe_hosts[0].mac: '52:54:00:12:34:56:78'", id='mac-long'),
    pytest.param([dict(OS_HOST, mac='52:54:00:zz:34:56')], "ipxe_hosts[0].mac: '52:54:00:zz:34:56'", id='mac-not-hex'),
    pytest.param([dict(OS_HOST, mac='5254.0012.34567')], "ipxe_hosts[0].mac: '5254.0012.34567'", id='mac-cisco-dots-long'),
    pytest.param([dict(OS_HOST, mac=' 52:54:00:12:34:56')], "ipxe_hosts[0].mac: ' 52:54:00:12:34:56'", id='mac-leading-space'),
    pytest.param([dict(OS_HOST, mac=41135040005)],
                 'ipxe_hosts[0].mac: 41135040005 is not a MAC address like 52:54:00:12:34:56, 52-54-00-12-34-56, '
                 '5254.0012.3456 or 525400123456; quote it in YAML',
                 id='mac-read-as-sexagesimal-number'),
    pytest.param([dict(OS_HOST, mac=None)], 'ipxe_hosts[0].mac: None is not a MAC address', id='mac-null'),
    pytest.param([ITEMS_HOST, dict(ITEMS_HOST, mac='52-54-00-12-34-56')],
                 "ipxe_hosts[1].mac: '52-54-00-12-34-56' is the MAC of ipxe_hosts[0] too; each MAC may appear once",
                 id='mac-duplicate-two-spellings'),
    pytest.param([OS_HOST, dict(ITEMS_HOST, mac='52:54:00:00:00:01'), dict(OS_HOST, mac=MAC.upper())],
                 "ipxe_hosts[2].mac: '52:54:00:12:34:56' is the MAC of ipxe_hosts[0] too", id='mac-duplicate-upper-case'),
    pytest.param([dict(ITEMS_HOST, os='debian-13')], 'ipxe_hosts[0]: has both "items" and "os"; give the menu items or', id='items-and-os'),
    pytest.param([dict(ITEMS_HOST, os='debian-13')], "'os': 'debian-13'", id='items-and-os-shows-the-entry'),
    pytest.param([{'mac': MAC, 'hostname': 'web1'}], 'ipxe_hosts[0]: needs "items" (a non-empty list of menu items) or "os"',
                 id='neither-items-nor-os'),
    pytest.param([dict(ITEMS_HOST, items=[])], 'ipxe_hosts[0].items: must be a non-empty list of menu items, got []', id='items-empty'),
    pytest.param([dict(ITEMS_HOST, items=DEBIAN_ITEM)], 'ipxe_hosts[0].items: must be a non-empty list of menu items, got {',
                 id='items-a-mapping'),
    pytest.param([dict(ITEMS_HOST, items='debian')], "ipxe_hosts[0].items: must be a non-empty list of menu items, got 'debian'",
                 id='items-a-string'),
    pytest.param([dict(ITEMS_HOST, items=[{'key': 'debian', 'label': 'Debian'}])],
                 "ipxe_hosts[0].items[0] (key 'debian'): type boot needs a kernel", id='item-without-kernel'),
    pytest.param([dict(ITEMS_HOST, items=[dict(DEBIAN_ITEM, args='quiet || shell')])],
                 "ipxe_hosts[0].items[0] (key 'debian'): args has the word '||'", id='item-injection'),
    pytest.param([dict(ITEMS_HOST, items=[DEBIAN_ITEM, DEBIAN_ITEM])], 'ipxe_hosts[0].items: keys must be unique; duplicated: debian',
                 id='item-keys-duplicate'),
    pytest.param([dict(OS_HOST, os=['debian-13'])], "ipxe_hosts[0].os: must be the name of a catalog entry, got ['debian-13']",
                 id='os-a-list'),
    pytest.param([dict(OS_HOST, os='windows-11')],
                 "ipxe_hosts[0].os: 'windows-11' is not an enabled entry of the OS catalog; enabled: debian-13, ubuntu-24.04, fedora-44, "
                 "memtest86plus", id='os-unknown'),
    pytest.param([ITEMS_HOST, dict(OS_HOST, mac='52:54:00:00:00:02', os='debian-12')],
                 "ipxe_hosts[1].os: 'debian-12' is not an enabled entry of the OS catalog", id='os-disabled'),
    pytest.param([dict(OS_HOST, os='memtest86plus')], "ipxe_hosts[0].os: 'memtest86plus' does not install unattended (its answer is none)",
                 id='os-without-answer-file'),
    pytest.param([dict(OS_HOST, hostname='Web1')], "ipxe_hosts[0].hostname: 'Web1' is not a host name of at most 63 lowercase letters",
                 id='hostname-upper-case'),
    pytest.param([dict(OS_HOST, hostname='web1\n')], "ipxe_hosts[0].hostname: 'web1\\n' is not a host name", id='hostname-trailing-newline'),
    pytest.param([dict(OS_HOST, hostname='-web')], "ipxe_hosts[0].hostname: '-web'", id='hostname-leading-hyphen'),
    pytest.param([dict(OS_HOST, hostname='web-')], "ipxe_hosts[0].hostname: 'web-'", id='hostname-trailing-hyphen'),
    pytest.param([dict(OS_HOST, hostname='web_1')], "ipxe_hosts[0].hostname: 'web_1'", id='hostname-underscore'),
    pytest.param([dict(OS_HOST, hostname='web1.lab')], "ipxe_hosts[0].hostname: 'web1.lab'", id='hostname-dotted'),
    pytest.param([dict(OS_HOST, hostname='a' * 64)], f"ipxe_hosts[0].hostname: '{'a' * 64}'", id='hostname-too-long'),
    pytest.param([dict(OS_HOST, hostname='')], "ipxe_hosts[0].hostname: ''", id='hostname-empty'),
    pytest.param([dict(OS_HOST, hostname=None)], 'ipxe_hosts[0].hostname: None', id='hostname-null'),
    pytest.param([dict(OS_HOST, timeout=-1)], 'ipxe_hosts[0].timeout: must be a whole number of seconds >= 0 (0 waits forever), got -1',
                 id='timeout-negative'),
    pytest.param([dict(ITEMS_HOST, timeout='soon')], "ipxe_hosts[0].timeout: must be a whole number of seconds >= 0 (0 waits forever), "
                 "got 'soon'", id='timeout-word'),
    pytest.param([dict(ITEMS_HOST, timeout='5\n')], "ipxe_hosts[0].timeout: must be a whole number of seconds >= 0 (0 waits forever), "
                 "got '5\\n'", id='timeout-trailing-newline'),
    pytest.param([dict(ITEMS_HOST, timeout=True)], 'ipxe_hosts[0].timeout: must be a whole number of seconds >= 0 (0 waits forever), '
                 'got True', id='timeout-boolean'),
    pytest.param([dict(ITEMS_HOST, timeout=1.5)], 'ipxe_hosts[0].timeout: must be a whole number', id='timeout-float'),
    pytest.param([dict(ITEMS_HOST, default='windows')], "ipxe_hosts[0].default: 'windows' is not the key of one of its items; keys: debian, local",
                 id='default-unknown'),
    pytest.param([dict(ITEMS_HOST, default=1)], "ipxe_hosts[0].default: must be the key of one of the entry's items, got 1",
                 id='default-a-number'),
    pytest.param([dict(OS_HOST, default='debian')], "ipxe_hosts[0].default: 'debian' is not the key of one of its items; keys: debian-13",
                 id='default-of-an-os-entry'),
    pytest.param([dict(OS_HOST, answer_template='')], "ipxe_hosts[0].answer_template: must be the path of a template on the controller, got ''",
                 id='answer-template-empty'),
    pytest.param([dict(OS_HOST, answer_template=['a.j2'])], "ipxe_hosts[0].answer_template: must be the path of a template", id='answer-template-list'),
]


@pytest.mark.parametrize('hosts, message', BAD)
def test_bad_entries_name_the_variable_and_the_value(hosts, message):
    with pytest.raises(IpxeHostsError) as error:
        plan(copy.deepcopy(hosts))
    assert message in str(error.value)


def test_messages_name_the_variable_given():
    with pytest.raises(IpxeHostsError) as error:
        plan([dict(OS_HOST, hostnmae='web1')], name='lab_hosts')
    assert str(error.value).startswith('lab_hosts[0]: unknown key(s) hostnmae')


def test_errors_are_catalog_errors():
    assert issubclass(IpxeHostsError, CatalogError)
    assert KEYS == ('mac', 'items', 'os', 'hostname', 'ip', 'ipv6', 'duid', 'uuid', 'default', 'timeout', 'answer_template',
                    'build', 'secure_boot', 'image', 'disk')


def test_entries_are_checked_before_any_script_is_rendered():
    # The bad item of the first entry is found only when rendering; the repeated MAC comes first.
    hosts = [dict(ITEMS_HOST, items=[{'key': 'x'}]), dict(ITEMS_HOST, mac='52-54-00-12-34-56')]
    with pytest.raises(IpxeHostsError) as error:
        plan(hosts)
    assert str(error.value).startswith('ipxe_hosts[1].mac:')


@pytest.mark.parametrize('settings, message', [
    pytest.param({'base_url': ''}, "base_url: must be the http(s) URL of the HTTP root, got ''", id='base-url-empty'),
    pytest.param({'base_url': None}, 'base_url: must be the http(s) URL of the HTTP root, got None', id='base-url-missing'),
    pytest.param({'base_url': 'ftp://10.0.0.2'}, "base_url: must be the http(s) URL of the HTTP root, got 'ftp://10.0.0.2'", id='base-url-ftp'),
    pytest.param({'base_url': 'http://10.0.0.2/\n'}, "got 'http://10.0.0.2/\\n'", id='base-url-trailing-newline'),
    pytest.param({'base_url': 'http://10.0.0.2/${x'}, 'base_url: must be the http(s) URL', id='base-url-expansion'),
    # The security review's inputs: shell commands in the path, iPXE and GRUB commands in the port.
    pytest.param({'base_url': 'http://10.0.0.2/x$(touch${IFS}/tmp/PWNED)y'}, 'base_url: must be the http(s) URL',
                 id='base-url-shell'),
    pytest.param({'base_url': 'http://10.0.0.2:80;reboot;'}, 'base_url: must be the http(s) URL', id='base-url-port-command'),
    pytest.param({'base_url': 'http://10.0.0.2:8x'}, 'base_url: must be the http(s) URL', id='base-url-port-letters'),
    pytest.param({'catalog': {'debian-13': {}}}, 'os catalog: must be a list of entries', id='catalog-not-a-list'),
    pytest.param({'mirrors': ['http://m']}, "mirrors: must be a mapping, got ['http://m']", id='mirrors-not-a-mapping'),
    pytest.param({'builtin_mirrors': 'x'}, "builtin_mirrors: must be a mapping, got 'x'", id='builtin-mirrors-not-a-mapping'),
    pytest.param({'answer_templates': []}, 'answer_templates: must be a mapping', id='answer-templates-not-a-mapping'),
    pytest.param({'menu_title': '-x'}, 'menu title must not start with "-"', id='menu-title'),
])
def test_bad_settings(settings, message):
    with pytest.raises(IpxeHostsError) as error:
        plan([ITEMS_HOST], **settings)
    assert message in str(error.value)


GOOD_ANSWERS = {
    'ipxe_answer_locale': 'en_US.UTF-8', 'ipxe_answer_keyboard': 'us', 'ipxe_answer_timezone': 'America/New_York',
    'ipxe_answer_domain': 'lab.example', 'ipxe_answer_user': 'netboot',
    'ipxe_answer_password_hash': '$6$salt$0123456789abcdefABCDEF./',
    'ipxe_answer_ssh_keys': ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@lab'],
}


def test_good_answers_pass():
    assert answer_problems(GOOD_ANSWERS) == []
    assert answer_problems({'ipxe_answer_password_hash': '!'}) == []


@pytest.mark.parametrize('variable, value', [
    ('ipxe_answer_ssh_keys', ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0 admin\nd-i preseed/late_command string id']),
    ('ipxe_answer_ssh_keys', ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0 it\'s-me']),
    ('ipxe_answer_ssh_keys', ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0\r']),
    ('ipxe_answer_ssh_keys', ['not a key']),
    ('ipxe_answer_ssh_keys', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0'),
    ('ipxe_answer_user', 'root\nd-i preseed/late_command string id'),
    ('ipxe_answer_user', 'Admin User'),
    ('ipxe_answer_locale', 'en_US.UTF-8\n'),
    ('ipxe_answer_timezone', 'Etc/UTC; reboot'),
    ('ipxe_answer_domain', 'lab.'),
    ('ipxe_answer_keyboard', ''),
])
def test_answers_that_could_inject_are_refused(variable, value):
    problems = answer_problems(dict(GOOD_ANSWERS, **{variable: value}))
    assert len(problems) == 1 and problems[0].startswith(variable), problems
    assert repr(value[0] if isinstance(value, list) else value) in problems[0]


# A password given as it is typed, instead of its hash: the variable is named, the value never shown.
@pytest.mark.parametrize('value', ['correct horse battery staple', '$6$x"; rm -rf /', 'pa\nss', 12345678, ['hunter2 x'],
                                   'hunter2', 'Secret123', '$6$', '$9$abc', '!x'])
def test_a_refused_password_hash_is_named_without_its_value(value):
    problems = answer_problems(dict(GOOD_ANSWERS, ipxe_answer_password_hash=value))
    assert len(problems) == 1 and problems[0].startswith('ipxe_answer_password_hash '), problems
    assert 'not shown' in problems[0]
    for part in (value if isinstance(value, list) else [value]):
        assert str(part) not in problems[0] and repr(part) not in problems[0]
    with pytest.raises(IpxeHostsError) as error:
        host_plan([], [], base_url='http://10.0.0.2', answers={'ipxe_answer_password_hash': value})
    assert str(value if not isinstance(value, list) else value[0]) not in str(error.value)


def test_unknown_answer_variables_are_refused():
    assert answer_problems({'ipxe_answer_hostname': 'x'}) == ['answers: unknown variable(s) ipxe_answer_hostname']


def test_host_plan_refuses_bad_answers_first():
    with pytest.raises(IpxeHostsError, match="ipxe_answer_user must match"):
        host_plan([], [], base_url='http://10.0.0.2', answers={'ipxe_answer_user': 'a\nb'})


# --- builds ---------------------------------------------------------------------------------------

TOKEN = '0123456789abcdef0123456789abcdef'


def test_a_pending_build_finds_its_answers_under_its_token():
    key = MAC.replace(':', '-')
    result = plan([OS_HOST], builds={key: {'token': TOKEN, 'state': 'pending'}})
    (entry,) = result['installs']
    assert entry['url'] == f'http://10.0.0.2/answers/{TOKEN}/preseed.cfg'
    assert (entry['directory'], entry['done_url'], entry['build']) == (TOKEN, f'http://10.0.0.2/builds/{TOKEN}', 1)
    assert f'/answers/{TOKEN}/preseed.cfg' in result['scripts'][key]
    assert f'/answers/{key}/' not in result['scripts'][key]
    # The installer runs only while the marker is there; once deleted, the same script boots the disk.
    script = result['scripts'][key]
    assert f'imgfetch --name only-while http://10.0.0.2/builds/{TOKEN} || goto own-disk' in script
    assert script.index('only-while') < script.index(':start') < script.index(':own-disk')
    assert lint_script(script) == []


def test_without_builds_the_script_has_no_marker_to_check():
    script = plan([OS_HOST])['scripts'][MAC.replace(':', '-')]
    assert 'only-while' not in script and 'own-disk' not in script


def test_an_installed_build_boots_its_own_disk():
    key = MAC.replace(':', '-')
    result = plan([dict(OS_HOST, build=3)], builds={key: {'token': TOKEN, 'state': 'installed'}})
    assert result['installs'] == []
    script = result['scripts'][key]
    assert lint_script(script) == []
    assert 'build 3 installed' in script and 'sanboot --no-describe --drive 0x80' in script
    assert 'iseq ${platform} efi && exit 1' in script and 'kernel' not in script


@pytest.mark.parametrize('host, builds, message', [
    (OS_HOST, {}, 'ipxe_hosts[0]: no build is known for'),
    (dict(OS_HOST, build=0), None, 'ipxe_hosts[0].build: must be a whole number >= 1 (raise it to install again), got 0'),
    (dict(OS_HOST, build='2'), None, "ipxe_hosts[0].build: must be a whole number >= 1 (raise it to install again), got '2'"),
    ({'mac': MAC, 'items': [{'key': 'x', 'label': 'X', 'kernel': 'x'}], 'build': 2}, None,
     'ipxe_hosts[0].build: only goes with "os"'),
])
def test_builds_refused(host, builds, message):
    with pytest.raises(IpxeHostsError) as error:
        plan([host], builds=builds)
    assert str(error.value).startswith(message)


def test_a_secure_boot_machine_gets_no_ipxe_script():
    result = plan([{'mac': MAC, 'ip': '10.0.0.11', 'secure_boot': True}, ITEMS_HOST | {'mac': '52:54:00:12:34:57'}])
    assert list(result['scripts']) == ['52-54-00-12-34-57'] and result['installs'] == []
    assert result['grub_configs'] == {}


def test_a_secure_boot_machine_with_items_gets_a_grub_menu():
    signed = dict(DEBIAN_ITEM, signed=True)
    result = plan([{'mac': MAC, 'secure_boot': True, 'items': [signed, LOCAL_ITEM], 'default': 'local', 'timeout': 4}])
    assert result['scripts'] == {}
    assert result['grub_configs'] == {'52-54-00-12-34-56': render_grub_menu(
        [signed, LOCAL_ITEM], title=TITLE, default='local', timeout=4, base_url=BASE_URL, name='ipxe_hosts[0].items')}


def test_a_secure_boot_install_runs_while_its_marker_is_there():
    token = '0123456789abcdef0123456789abcdef'
    builds = {'52-54-00-12-34-56': {'token': token, 'state': 'pending'}}
    result = plan([{'mac': MAC, 'secure_boot': True, 'os': 'debian-13'}], builds=builds)
    assert result['scripts'] == {}
    [installed] = result['installs']
    assert installed['done_url'] == f'http://10.0.0.2/builds/{token}' and installed['directory'] == token
    config = result['grub_configs']['52-54-00-12-34-56']
    assert config.splitlines()[2:4] == [f'load_env --file (http,10.0.0.2)/builds/{token} netboot_pending',
                                        f'if [ "$netboot_pending" = "{token}" ]; then']
    assert '        linux (http,10.0.0.2)/os/debian-13/linux auto=true priority=critical netcfg/no_default_route=true ' \
           f'url=http://10.0.0.2/answers/{token}/preseed.cfg' in config.splitlines()


def test_an_installed_secure_boot_machine_boots_its_own_disk():
    builds = {'52-54-00-12-34-56': {'token': 'T0k3n', 'state': 'installed'}}
    result = plan([{'mac': MAC, 'secure_boot': True, 'os': 'debian-13', 'build': 3}], builds=builds)
    assert result == {'installs': [], 'scripts': {}, 'grub_configs': {'52-54-00-12-34-56': own_disk_config(MAC, 3)},
                      'nginx_access': render_nginx_access([]), 'discovery': {}, 'renew': []}


@pytest.mark.parametrize('host, message', [
    ({'mac': MAC, 'secure_boot': True, 'os': 'fedora-44'},
     "ipxe_hosts[0].os: 'fedora-44' has no kernel signed for Secure Boot"),
    ({'mac': MAC, 'secure_boot': True, 'items': [dict(DEBIAN_ITEM, args='a=$b', signed=True)]},
     'ipxe_hosts[0].items[0]: args must be plain words'),
    ({'mac': MAC, 'secure_boot': True, 'items': [DEBIAN_ITEM], 'default': 'nope'},
     "ipxe_hosts[0].default: 'nope' is not the key"),
    ({'mac': MAC, 'secure_boot': 1}, 'ipxe_hosts[0].secure_boot: must be true or false, got 1'),
    ({'mac': MAC, 'secure_boot': False}, 'ipxe_hosts[0]: needs "items"'),
])
def test_secure_boot_entries_refused(host, message):
    with pytest.raises(IpxeHostsError) as error:
        plan([host])
    assert message in str(error.value)


def test_answer_file_sources_follow_the_plan():
    hosts = [OS_HOST, dict(OS_HOST, mac='52:54:00:12:34:57', os='ubuntu-24.04', answer_template='/tmp/my-user-data.j2')]
    installs = plan(hosts)['installs']
    assert [(path, template, install['key']) for path, template, install in answer_file_sources(installs)] == [
        ('answers/52-54-00-12-34-56/preseed.cfg', 'answers/preseed.cfg.j2', '52-54-00-12-34-56'),
        ('answers/52-54-00-12-34-57/user-data', '/tmp/my-user-data.j2', '52-54-00-12-34-57'),
        ('answers/52-54-00-12-34-57/meta-data', 'answers/meta-data.j2', '52-54-00-12-34-57'),
        ('answers/52-54-00-12-34-57/vendor-data', 'answers/vendor-data.j2', '52-54-00-12-34-57'),
    ]


@pytest.mark.parametrize('installs, message', [
    pytest.param(['x'], "installs[0] must be an install of ipxe_host_plan, with answer_files (path and template of each), got 'x'",
                 id='not-a-mapping'),
    pytest.param([{'key': 'a'}], 'installs[0] must be an install of ipxe_host_plan', id='no-answer-files'),
    pytest.param([{'answer_files': [{'path': 'answers/a/preseed.cfg'}]}], 'installs[0] must be an install of ipxe_host_plan',
                 id='no-template'),
    pytest.param([{'answer_files': [{'path': 'answers/a/x', 'template': 't.j2'}]},
                  {'answer_files': [{'path': 'answers/a/x', 'template': 'u.j2'}]}],
                 'installs[1]: answer file answers/a/x is given twice', id='twice'),
])
def test_answer_file_sources_refuse(installs, message):
    with pytest.raises(IpxeHostsError, match='^' + re.escape(message)):
        answer_file_sources(installs)


# --- Who may fetch a machine's files (the security review: a build token is as public as a MAC)

PENDING_TOKEN = '0123456789abcdef0123456789abcdef'


def test_a_machine_with_a_reserved_address_gets_its_files_there_only():
    hosts = [{'mac': MAC, 'ip': '10.0.0.50', 'os': 'debian-13'}, {'mac': '52:54:00:12:34:57', 'os': 'debian-13'}]
    builds = {'52-54-00-12-34-56': {'token': PENDING_TOKEN, 'state': 'pending'},
              '52-54-00-12-34-57': {'token': 'f' * 32, 'state': 'pending'}}
    access = plan(hosts, builds=builds)['nginx_access']
    for path in ('= /hosts/52-54-00-12-34-56.ipxe', f'^~ /answers/{PENDING_TOKEN}/', f'= /builds/{PENDING_TOKEN}'):
        block = access.split(f'location {path} {{\n', 1)[1].split('\n}', 1)[0]
        assert block.split('\n')[:2] == ['    allow 10.0.0.50;', '    deny all;'], (path, block)
    assert 'dav_methods DELETE;' in access.split(f'location = /builds/{PENDING_TOKEN} {{', 1)[1].split('\n}', 1)[0]
    # The machine without an address: its token is in no location (its files are as public as its MAC).
    assert 'f' * 32 not in access and '52-54-00-12-34-57' not in access


def test_an_installed_machine_has_no_token_in_the_access_rules():
    builds = {'52-54-00-12-34-56': {'token': PENDING_TOKEN, 'state': 'installed'}}
    access = plan([{'mac': MAC, 'ip': '10.0.0.50', 'os': 'debian-13'}], builds=builds)['nginx_access']
    assert PENDING_TOKEN not in access
    assert 'location = /hosts/52-54-00-12-34-56.ipxe {\n    allow 10.0.0.50;\n    deny all;' in access


def test_a_secure_boot_machine_gets_its_grub_configuration_at_its_address_only():
    access = plan([{'mac': MAC, 'ip': '10.0.0.51', 'secure_boot': True, 'items': [dict(DEBIAN_ITEM, signed=True)]}])[
        'nginx_access']
    assert 'location = /grub/hosts/52-54-00-12-34-56.cfg {\n    allow 10.0.0.51;\n    deny all;' in access


@pytest.mark.parametrize('ip', ['10.0.0.256', '10.0.0.5; allow all', '10.0.0.5\n', 5, '10.0.0.0/24'])
def test_a_reserved_address_is_one_ipv4_address(ip):
    with pytest.raises(IpxeHostsError) as error:
        plan([dict(ITEMS_HOST, ip=ip)])
    assert str(error.value) == f"ipxe_hosts[0].ip: must be the machine's reserved IPv4 address, got {ip!r}"


def test_require_address_refuses_a_machine_whose_token_would_be_as_public_as_its_mac():
    with pytest.raises(IpxeHostsError) as error:
        plan([{'mac': MAC, 'os': 'debian-13'}], require_address=True)
    assert str(error.value).startswith('ipxe_hosts[0]: has no "ip"')
    assert plan([{'mac': MAC, 'ip': '10.0.0.50', 'os': 'debian-13'}], require_address=True)['installs']


# --- Image deploys: the netboot.pxe agent writes an OS image, under the same build lifecycle

IMAGES = ['trixie', 'web-raw']
IMAGE_HOST = {'mac': MAC, 'ip': '10.0.0.50', 'image': 'trixie'}
KEY = MAC.replace(':', '-')
PENDING = {KEY: {'token': TOKEN, 'state': 'pending'}}
SEED_ANSWERS = dict(GOOD_ANSWERS, ipxe_answer_proxy='http://10.0.0.2:3142/')


def image_plan(hosts, **kwargs):
    return plan(hosts, images=kwargs.pop('images', IMAGES), **kwargs)


def test_a_pending_image_deploy_boots_the_agent_with_its_job():
    result = image_plan([dict(IMAGE_HOST, hostname='web1', disk={'serial': 'S4EW 1', 'min_size': '1000', 'max_size': 2000})],
                        builds=PENDING, answers=SEED_ANSWERS)
    script = result['scripts'][KEY]
    assert lint_script(script) == []
    job_url = f'http://10.0.0.2/answers/{TOKEN}/job.json'
    assert script.split('\n')[:3] == ['#!ipxe', '', f'imgfetch --name only-while http://10.0.0.2/builds/{TOKEN} || goto own-disk']
    assert ('kernel http://10.0.0.2/agent/vmlinuz initrd=initrd.img console=tty0 console=ttyS0,115200 '
            f'BOOTIF=01-{KEY} netboot.job={job_url} || goto failed') in script.split('\n')
    assert 'initrd http://10.0.0.2/agent/initrd.img || goto failed' in script.split('\n')
    assert 'item deploy Deploy image trixie' in script.split('\n')
    (install,) = result['installs']
    install = dict(install)
    job = install.pop('answer_files')
    assert install == {'key': KEY, 'mac': MAC, 'index': 0, 'os': '', 'image': 'trixie', 'hostname': 'web1', 'kind': 'image',
                       'files': ['job.json'], 'mirror': '', 'template': '', 'url': job_url, 'build': 1,
                       'directory': TOKEN, 'done_url': f'http://10.0.0.2/builds/{TOKEN}'}
    assert [item['path'] for item in job] == [f'answers/{TOKEN}/job.json'] and 'template' not in job[0]
    assert job[0]['content'].endswith('}\n')
    assert json.loads(job[0]['content']) == {
        'version': 1, 'image': 'http://10.0.0.2/images/trixie/image.json',
        'disk': {'serial': 'S4EW 1', 'min_size': 1000, 'max_size': 2000},
        'seed': seed(SEED_ANSWERS, 'web1', TOKEN),
        'report_url': f'http://10.0.0.2/reports/{TOKEN}.json', 'done_url': f'http://10.0.0.2/builds/{TOKEN}',
        'on_failure': 'wait'}
    # The job, the marker and the report are the machine's alone.
    access = result['nginx_access']
    for path in (f'^~ /answers/{TOKEN}/', f'= /builds/{TOKEN}', f'= /reports/{TOKEN}.json', f'= /hosts/{KEY}.ipxe'):
        block = access.split(f'location {path} {{\n', 1)[1].split('\n}', 1)[0]
        assert block.split('\n')[:2] == ['    allow 10.0.0.50;', '    deny all;'], path
    # Rendered whole: not one of the files the answer_files lookup renders from a template.
    assert answer_file_sources(result['installs']) == []


def test_an_image_deploy_takes_the_agent_settings():
    result = image_plan([dict(IMAGE_HOST, disk=None)], builds=PENDING, agent_kernel='http://10.0.0.9/k/vmlinuz',
                        agent_initrd='boot/agent.img', agent_args='', deploy_on_failure='poweroff')
    script = result['scripts'][KEY]
    assert (f'kernel http://10.0.0.9/k/vmlinuz initrd=agent.img BOOTIF=01-{KEY} netboot.job=http://10.0.0.2/answers/{TOKEN}/job.json'
            ' || goto failed') in script.split('\n')
    job = json.loads(result['installs'][0]['answer_files'][0]['content'])
    assert (job['on_failure'], job['disk']) == ('poweroff', {})


def test_an_image_deploy_without_builds_is_checked_but_has_no_job_yet():
    result = image_plan([dict(IMAGE_HOST, build=2)])
    (install,) = result['installs']
    assert (install['answer_files'], install['directory'], install['done_url'], install['build']) == ([], KEY, '', 2)
    assert install['url'] == f'http://10.0.0.2/answers/{KEY}/job.json'
    assert 'only-while' not in result['scripts'][KEY]
    assert '/reports/' not in result['nginx_access'].split('location /reports/ {\n    deny all;\n}\n', 1)[1]


def test_an_installed_image_deploy_boots_its_own_disk():
    result = image_plan([dict(IMAGE_HOST, build=3)], builds={KEY: {'token': TOKEN, 'state': 'installed'}})
    assert result['installs'] == []
    assert 'build 3 installed' in result['scripts'][KEY] and 'agent' not in result['scripts'][KEY]
    assert TOKEN not in result['nginx_access']


def test_a_secure_boot_image_deploy_boots_the_signed_agent_kernel_from_grub():
    result = image_plan([dict(IMAGE_HOST, secure_boot=True)], builds=PENDING)
    assert result['scripts'] == {}
    config = result['grub_configs'][KEY]
    assert config.splitlines()[2:4] == [f'load_env --file (http,10.0.0.2)/builds/{TOKEN} netboot_pending',
                                        f'if [ "$netboot_pending" = "{TOKEN}" ]; then']
    assert ('        linux (http,10.0.0.2)/agent/vmlinuz console=tty0 console=ttyS0,115200 '
            f'BOOTIF=01-{KEY} netboot.job=http://10.0.0.2/answers/{TOKEN}/job.json') in config.splitlines()
    assert '        initrd (http,10.0.0.2)/agent/initrd.img' in config.splitlines()
    assert 'left out' not in config


BAD_IMAGES = [
    pytest.param([dict(IMAGE_HOST, os='debian-13')], 'ipxe_hosts[0]: has both "image" and "os"', id='image-and-os'),
    pytest.param([dict(IMAGE_HOST, items=[LOCAL_ITEM])], 'ipxe_hosts[0]: has both "image" and "items"', id='image-and-items'),
    pytest.param([{'mac': MAC, 'image': 'trixie'}],
                 'ipxe_hosts[0]: an "image" entry needs "ip", the machine\'s reserved address: its job, its report and its '
                 "build marker are served to that address only, got {'mac': '52:54:00:12:34:56', 'image': 'trixie'}", id='no-ip'),
    pytest.param([dict(IMAGE_HOST, image='bookworm')],
                 "ipxe_hosts[0].image: 'bookworm' is not an image of ipxe_images (the images the images role publishes, from "
                 'netboot_images); known: trixie, web-raw', id='image-unknown'),
    pytest.param([dict(IMAGE_HOST, image='Trixie')], "ipxe_hosts[0].image: must be the name of an image of ipxe_images "
                 "(lower-case letters, digits and \"-\"), got 'Trixie'", id='image-upper-case'),
    pytest.param([dict(IMAGE_HOST, image='trixie\n')], "ipxe_hosts[0].image: must be the name", id='image-newline'),
    pytest.param([dict(IMAGE_HOST, image=['trixie'])], "ipxe_hosts[0].image: must be the name", id='image-a-list'),
    pytest.param([dict(IMAGE_HOST, disk={'size': 1})], 'ipxe_hosts[0].disk: unknown key(s) size; known: path, serial, model, '
                 'min_size, max_size', id='disk-unknown-key'),
    pytest.param([dict(IMAGE_HOST, disk='/dev/sda')], "ipxe_hosts[0].disk: must be a mapping of path, serial, model, min_size, "
                 "max_size, got '/dev/sda'", id='disk-a-string'),
    pytest.param([dict(IMAGE_HOST, disk={'path': '/dev/disk/by-id/ata-X'})],
                 "ipxe_hosts[0].disk.path: '/dev/disk/by-id/ata-X' is not a disk as the kernel names it", id='disk-path-link'),
    pytest.param([dict(IMAGE_HOST, disk={'path': 'sda'})], "ipxe_hosts[0].disk.path: 'sda' is not a disk", id='disk-path-relative'),
    pytest.param([dict(IMAGE_HOST, disk={'path': '/dev/sda\n'})], "ipxe_hosts[0].disk.path: '/dev/sda\\n'", id='disk-path-newline'),
    pytest.param([dict(IMAGE_HOST, disk={'serial': 'S4EW\n"x": 1'})], 'ipxe_hosts[0].disk.serial: \'S4EW\\n"x": 1\' is not a disk '
                 'serial as the kernel reports it', id='disk-serial-newline'),
    pytest.param([dict(IMAGE_HOST, disk={'serial': 12345})], 'ipxe_hosts[0].disk.serial: 12345 is not a disk serial', id='disk-serial-number'),
    pytest.param([dict(IMAGE_HOST, disk={'model': ' QEMU '})], "ipxe_hosts[0].disk.model: ' QEMU ' is not a disk model", id='disk-model-spaces'),
    pytest.param([dict(IMAGE_HOST, disk={'min_size': 0})], 'ipxe_hosts[0].disk.min_size: must be a whole number of bytes >= 1, got 0',
                 id='disk-min-size-zero'),
    pytest.param([dict(IMAGE_HOST, disk={'max_size': True})], 'ipxe_hosts[0].disk.max_size: must be a whole number of bytes >= 1, '
                 'got True', id='disk-max-size-bool'),
    pytest.param([dict(IMAGE_HOST, disk={'max_size': '1 TB'})], "ipxe_hosts[0].disk.max_size: must be a whole number of bytes >= 1, "
                 "got '1 TB'", id='disk-max-size-words'),
    pytest.param([dict(IMAGE_HOST, disk={'min_size': 2000, 'max_size': 1000})],
                 'ipxe_hosts[0].disk: min_size 2000 is larger than max_size 1000', id='disk-min-above-max'),
    pytest.param([dict(OS_HOST, disk={'path': '/dev/sda'})], 'ipxe_hosts[0].disk: only goes with "image"', id='disk-without-image'),
    pytest.param([dict(IMAGE_HOST, answer_template='/tmp/x.j2')], 'ipxe_hosts[0].answer_template: only goes with "os"',
                 id='image-answer-template'),
    pytest.param([dict(IMAGE_HOST, default='trixie')], "ipxe_hosts[0].default: 'trixie' is not the key of one of its items; keys: "
                 'deploy', id='image-default'),
]


@pytest.mark.parametrize('hosts, message', BAD_IMAGES)
def test_bad_image_entries_name_the_variable_and_the_value(hosts, message):
    for builds in (None, PENDING):
        with pytest.raises(IpxeHostsError) as error:
            image_plan(copy.deepcopy(hosts), builds=builds)
        assert message in str(error.value)


@pytest.mark.parametrize('settings, message', [
    pytest.param({'images': 'trixie'}, "ipxe_images: must be a list of image names (lower-case letters, digits and \"-\"), "
                 "got 'trixie'", id='images-a-string'),
    pytest.param({'images': ['trixie', 'a b']}, "ipxe_images: must be a list of image names", id='images-bad-name'),
    pytest.param({'agent_kernel': '/srv/netboot/agent/vmlinuz'}, "ipxe_agent_kernel: must be a path under the HTTP root (like "
                 "agent/vmlinuz) or an http(s) URL, got '/srv/netboot/agent/vmlinuz'", id='kernel-absolute'),
    pytest.param({'agent_kernel': 'agent/../vmlinuz'}, 'ipxe_agent_kernel: must be a path', id='kernel-dot-dot'),
    pytest.param({'agent_initrd': 'agent/initrd.img || shell'}, 'ipxe_agent_initrd: must be a path', id='initrd-command'),
    pytest.param({'agent_args': 'quiet || shell'}, "ipxe_agent_args: must be plain kernel command-line words (letters, digits and "
                 "._,:/=@+-) one space apart, got 'quiet || shell'", id='args-command'),
    pytest.param({'agent_args': 'quiet\ninit=/bin/sh'}, 'ipxe_agent_args: must be plain', id='args-newline'),
    pytest.param({'agent_args': 'a=${x}'}, 'ipxe_agent_args: must be plain', id='args-expansion'),
    pytest.param({'deploy_on_failure': 'reboot'}, "ipxe_deploy_on_failure: must be one of wait, poweroff, got 'reboot'",
                 id='on-failure-reboot'),
])
def test_bad_agent_settings(settings, message):
    with pytest.raises(IpxeHostsError) as error:
        image_plan([IMAGE_HOST], **settings)
    assert message in str(error.value)


def test_answer_file_sources_skip_the_files_given_whole_and_never_show_them():
    installs = [{'answer_files': [{'path': 'answers/a/preseed.cfg', 'template': 'answers/preseed.cfg.j2'},
                                  {'path': 'answers/a/job.json', 'content': '{"seed": "$6$hash"}'}]}]
    assert [source[:2] for source in answer_file_sources(installs)] == [('answers/a/preseed.cfg', 'answers/preseed.cfg.j2')]
    for files in ([{'path': 'answers/a/job.json', 'content': '$6$hash', 'template': 'x.j2'}],
                  [{'path': 'answers/a/job.json', 'content': ['$6$hash']}]):
        with pytest.raises(IpxeHostsError) as error:
            answer_file_sources([{'answer_files': files}])
        assert str(error.value).startswith('installs[0] must be an install of ipxe_host_plan') and '$6$hash' not in str(error.value)
    with pytest.raises(IpxeHostsError, match='answer file answers/a/job.json is given twice'):
        answer_file_sources([{'answer_files': [{'path': 'answers/a/job.json', 'content': ''}]},
                             {'answer_files': [{'path': 'answers/a/job.json', 'template': 'x.j2'}]}])


@pytest.mark.parametrize('locale, line', [
    ('en_US.UTF-8', 'en_US.UTF-8 UTF-8\n'),
    ('ca_ES.UTF-8@valencia', 'ca_ES.UTF-8@valencia UTF-8\n'),
    ('de_DE', 'de_DE UTF-8\n'),
    ('C.UTF-8', ''),
    ('POSIX', ''),
])
def test_the_seed_makes_debian_generate_the_locale(locale, line):
    assert locale_gen(locale) == line


@pytest.mark.parametrize('renew, keys', [
    (None, []),
    ([], []),
    (['52-54-00-12-34-56', '5254.0012.3456', '52:54:00:12:34:56'], ['52-54-00-12-34-56']),
    (['52:54:00:12:34:56', '52:54:00:12:34:57'], ['52-54-00-12-34-56', '52-54-00-12-34-57']),
])
def test_renew_names_the_installs_by_key(renew, keys):
    hosts = [OS_HOST, {'mac': '52:54:00:12:34:57', 'ip': '10.0.0.51', 'image': 'trixie'}]
    assert plan(hosts, renew=renew, images=['trixie'])['renew'] == keys


@pytest.mark.parametrize('renew, message', [
    ('52:54:00:12:34:56', "ipxe_renew_builds: must be a list of MACs of ipxe_hosts entries with \"os\" or \"image\", "
                          "got '52:54:00:12:34:56'"),
    (['node1'], "ipxe_renew_builds[0]: 'node1' is not a MAC address like 52:54:00:12:34:56"),
    ([MAC, '52:54:00:12:34:58'], "ipxe_renew_builds[1]: '52:54:00:12:34:58' is not the MAC of an ipxe_hosts entry with "
                                 "\"os\" or \"image\" (nothing to install again)"),
    (['52:54:00:12:34:59'], "ipxe_renew_builds[0]: '52:54:00:12:34:59' is not the MAC of an ipxe_hosts entry"),
])
def test_renew_refuses_what_is_no_install(renew, message):
    hosts = [OS_HOST, {'mac': '52:54:00:12:34:59', 'items': [LOCAL_ITEM]}]
    with pytest.raises(IpxeHostsError) as error:
        plan(hosts, renew=renew)
    assert str(error.value).startswith(message)
