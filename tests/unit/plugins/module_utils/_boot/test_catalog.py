# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import (
    CatalogError,
    asset_list,
    host_items,
    menu_items,
    merge_layers,
    validate_catalog,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.tests.lib.ipxe_lint import lint_script

from role_data import role_vars

ROLE_VARS = role_vars('ipxe')
BUILTIN = ROLE_VARS['__ipxe_os_builtin_entries']
BUILTIN_MIRRORS = ROLE_VARS['__ipxe_os_builtin_mirrors']

SHA256 = 'sha256:' + 'a' * 64
SUMS = '{mirror}/dists/trixie/main/installer-amd64/current/images/SHA256SUMS'
DEBIAN = {
    'name': 'debian-13',
    'label': 'Debian 13 installer',
    'family': 'debian',
    'version': '13',
    'kernel': {'url': '{mirror}/dists/trixie/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux',
               'checksum_url': SUMS, 'checksum_name': './netboot/debian-installer/amd64/linux'},
    'initrd': [{'url': '{mirror}/dists/trixie/main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz',
                'checksum_url': SUMS, 'checksum_name': './netboot/debian-installer/amd64/initrd.gz'}],
    'answer': 'preseed',
    'answer_args': 'auto=true priority=critical url={answer_url}',
    'enabled': False,
}
TOOL = {'name': 'tool', 'family': 'memtest', 'kernel': {'url': 'http://files.lab/tool.bin', 'checksum': SHA256}}
XYZ = {'name': 'netboot.xyz', 'family': 'chain', 'chain': 'https://boot.netboot.xyz', 'download': False}
MIRRORS = {'debian': 'http://mirror.lab/debian/'}


def merged(*user_layers, builtin=None):
    layers = [('__ipxe_os_builtin_entries', [DEBIAN] if builtin is None else builtin)]
    layers += [(f'layer{index}', layer) for index, layer in enumerate(user_layers)]
    return merge_layers(layers)


def by_name(catalog):
    return {entry['name']: entry for entry in catalog}


# --- merging -------------------------------------------------------------------------------

def test_builtin_entry_is_normalized_with_defaults():
    (entry,) = merged()
    assert entry == {
        'name': 'debian-13', 'label': 'Debian 13 installer', 'family': 'debian', 'version': '13',
        'architecture': 'x86_64', 'kernel': DEBIAN['kernel'], 'initrd': DEBIAN['initrd'],
        'args': '', 'answer': 'preseed', 'answer_args': 'auto=true priority=critical url={answer_url}',
        'download': True, 'enabled': False, 'signed': False, 'mirror': 'debian', 'packages': [], 'authenticity': 'unauthenticated',
    }


def test_normalizing_twice_changes_nothing():
    catalog = merged([TOOL, XYZ])
    assert merge_layers([('catalog', copy.deepcopy(catalog))]) == catalog


def test_override_a_field_keeps_the_others():
    (entry,) = merged([{'name': 'debian-13', 'enabled': True}])
    assert entry['enabled'] is True
    assert entry['kernel'] == DEBIAN['kernel'] and entry['answer'] == 'preseed'


def test_absent_removes_a_builtin_entry():
    assert merged([TOOL], [{'name': 'debian-13', 'state': 'absent'}]) == merged([TOOL], builtin=[])


def test_absent_of_an_unknown_name_is_no_error():
    assert [e['name'] for e in merged([{'name': 'nothing', 'state': 'absent'}])] == ['debian-13']


def test_group_then_host_precedence():
    group = [{'name': 'debian-13', 'label': 'Group label', 'args': 'console=ttyS0'}]
    host = [{'name': 'debian-13', 'label': 'Host label'}]
    (entry,) = merged(group, host)
    assert entry['label'] == 'Host label'
    assert entry['args'] == 'console=ttyS0'


def test_a_value_is_replaced_as_a_whole():
    (entry,) = merged([{'name': 'debian-13', 'kernel': {'url': 'http://m/linux', 'checksum': SHA256}}])
    assert entry['kernel'] == {'url': 'http://m/linux', 'checksum': SHA256}


def test_new_user_entry_is_enabled_by_default():
    entry = by_name(merged([TOOL]))['tool']
    assert entry['enabled'] is True and entry['download'] is True
    assert entry['architecture'] == 'x86_64' and entry['answer'] == 'none' and entry['label'] == 'tool'
    assert entry['kernel'] == {'url': 'http://files.lab/tool.bin', 'checksum': SHA256}


def test_order_is_first_seen_and_a_removed_entry_comes_back_last():
    catalog = merged([TOOL, XYZ], [{'name': 'debian-13', 'state': 'absent'}], [dict(DEBIAN, label='Again')])
    assert [entry['name'] for entry in catalog] == ['tool', 'netboot.xyz', 'debian-13']
    assert catalog[2]['label'] == 'Again'


def test_layers_as_mappings_and_null_entries():
    catalog = merge_layers([{'name': 'builtin', 'entries': [DEBIAN]}, {'name': 'ipxe_os_entries', 'entries': None}])
    assert [entry['name'] for entry in catalog] == ['debian-13']


def test_plain_string_file_is_a_url():
    (entry,) = merged([XYZ], builtin=[])
    assert entry['chain'] == {'url': 'https://boot.netboot.xyz'}


def test_enabled_entries():
    catalog = merged([TOOL])
    assert [entry['name'] for entry in validate_catalog(catalog) if entry['enabled']] == ['tool']


BAD_MD5 = dict(TOOL, name='tool2', kernel={'url': 'http://files.lab/tool.bin', 'checksum': 'md5:abc'})


@pytest.mark.parametrize('layer, message', [
    ([TOOL, BAD_MD5], "layer0[1].kernel.checksum: 'md5:abc' is not sha256:<64 hex> or sha512:<128 hex>"),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum': 'sha256:' + 'a' * 63})], 'layer0[0].kernel.checksum'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum': 'sha512:' + 'g' * 128})], 'is not sha256:<64 hex>'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum': SHA256, 'checksum_url': 'http://f/SUMS'})],
     'layer0[0].kernel: has both checksum and checksum_url'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum': SHA256, 'checksum_name': 't'})],
     'layer0[0].kernel.checksum_name: only goes with checksum_url'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum_url': 'http://f/SUMS', 'checksum_name': 'a b'})],
     'layer0[0].kernel.checksum_name: must be a file name'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'size': 3})], 'layer0[0].kernel: unknown field(s) size'),
    ([dict(TOOL, kernal='x')], "layer0[0]: unknown field(s) kernal; known: name"),
    ([dict(TOOL, family='gentoo')], "layer0[0].family: 'gentoo' is not one of debian, ubuntu, fedora, el"),
    ([dict(TOOL, architecture='riscv64')], "layer0[0].architecture: 'riscv64' is not one of x86_64, arm64"),
    ([dict(TOOL, answer='autoyast', answer_args='x={answer_url}')], "layer0[0].answer: 'autoyast' is not one of"),
    ([dict(TOOL, state='gone')], "layer0[0].state: 'gone' is not one of present, absent"),
    ([dict(TOOL, name='Tool')], "layer0[0].name: 'Tool' is not lowercase letters"),
    ([dict(TOOL, name='-tool')], "layer0[0].name: '-tool'"),
    ([{'family': 'memtest'}], 'layer0[0].name: None'),
    ([TOOL, dict(TOOL, label='again')], "layer0[1].name: 'tool' is already the name of layer0[0]"),
    ([{'name': 'x', 'kernel': 'http://f/k'}], "layer0[0] (name 'x'): needs a family"),
    ([dict(TOOL, version=13)], 'layer0[0].version: must be a string (quote numbers'),
    ([dict(TOOL, enabled='yes')], "layer0[0].enabled: must be true or false, got 'yes'"),
    ([dict(TOOL, kernel={'url': 'http://f/../etc/t', 'checksum': SHA256})], 'layer0[0].kernel.url: \'http://f/../etc/t\' has a ".." path'),
    ([dict(TOOL, kernel={'url': '/srv/%2E%2E/t'})], 'has a ".." path component'),
    ([dict(TOOL, kernel={'url': 'http://f/t', 'checksum_url': '{mirror}/a/../SUMS'})], 'layer0[0].kernel.checksum_url'),
    ([dict(TOOL, kernel={'url': 'ftp://f/t', 'checksum': SHA256})], "is not an http://, https:// or file:// URL or an absolute path"),
    ([dict(TOOL, kernel={'url': 'tools/t', 'checksum': SHA256})], 'is not an http://, https:// or file:// URL'),
    ([dict(TOOL, kernel={'url': 'http://f/{mirror}/t', 'checksum': SHA256})], 'has braces; only a leading {mirror}'),
    ([dict(TOOL, kernel={'url': '{mirror}t', 'checksum': SHA256})], 'must continue with "/" after {mirror}'),
    ([dict(TOOL, kernel={'url': 'http://f/a b', 'checksum': SHA256})], 'layer0[0].kernel.url'),
    ([dict(TOOL, kernel=['http://f/t'])], 'layer0[0].kernel: must be a URL or a mapping'),
    ([dict(TOOL, args='quiet\nshell')], "layer0[0].args: contains a control character '\\n'"),
    ([dict(TOOL, args='quiet || shell')], "layer0[0].args: has the word '||'"),
    ([dict(TOOL, args='quiet {answer_url}')], "layer0[0].args: unknown placeholder '{answer_url}'"),
    ([dict(TOOL, args='x={foo}')], "unknown placeholder '{foo}'"),
    ([dict(TOOL, label='a\tb')], 'layer0[0].label: contains a control character'),
    ([dict(TOOL, args='url={iso_url}')], '{iso_url} is used but the entry has no iso'),
    ([dict(TOOL, answer='preseed')], 'layer0[0].answer_args: answer preseed needs answer_args with {answer_url}'),
    ([dict(TOOL, answer_args='url={answer_url}')], 'layer0[0].answer_args: needs an answer kind'),
    ([dict(TOOL, kernel={'url': 'http://f/t'})],
     "layer0[0].kernel: 'http://f/t' is copied to the server (download: true) and needs a checksum or checksum_url"),
    ([dict(TOOL, download=False, kernel='/boot/tool.bin')], 'is a file on the server; clients can boot it only with download: true'),
    ([dict(TOOL, kernel='/boot/tool.bin', initrd=['http://f/a/x', {'url': 'http://f/b/x', 'checksum': SHA256}])],
     'layer0[0].initrd[0]: \'http://f/a/x\' is copied'),
    ([dict(TOOL, kernel='/boot/x', initrd=['/boot/x'])], "file name 'x' is also the one of kernel"),
    ([dict(TOOL, kernel='http://f/', download=False), dict(TOOL, name='t2', kernel={'url': 'http://f/', 'checksum': SHA256})],
     "layer0[1].kernel.url: 'http://f/' does not end in a file name"),
    ([dict(XYZ, download=True, chain={'url': 'https://boot.netboot.xyz', 'checksum': SHA256})], 'does not end in a file name'),
    ([{'name': 'x', 'family': 'chain'}], 'needs a kernel, an iso or a chain URL'),
    ([dict(XYZ, kernel='http://f/k')], 'a chain entry has no kernel or iso'),
    ([{'name': 'x', 'family': 'chain', 'chain': 'http://f/c', 'download': False, 'args': 'quiet'}],
     'args and answer need a kernel'),
    ([{'name': 'x', 'family': 'chain', 'iso': 'http://f/c.iso', 'download': False, 'initrd': 'http://f/i'}],
     'layer0[0].initrd: only goes with a kernel'),
    ([dict(TOOL, mirror='Lab Mirror')], "layer0[0].mirror: 'Lab Mirror' is not a mirror name"),
    ([dict(TOOL, packages='memtest86+')], 'layer0[0].packages: must be a list of Debian package names'),
    ('not a list', "layer0: must be a list of entries, got 'not a list'"),
    (['debian'], "layer0[0]: must be a mapping, got 'debian'"),
])
def test_refused_entries_name_the_variable(layer, message):
    with pytest.raises(CatalogError) as error:
        merged(layer, builtin=[])
    assert message in str(error.value)


def test_error_names_the_layer_that_set_the_field():
    with pytest.raises(CatalogError) as error:
        merged([{'name': 'debian-13', 'label': 'ok'}], [{'name': 'debian-13', 'args': 'a\nb'}])
    assert str(error.value).startswith('layer1[0].args: contains a control character')
    with pytest.raises(CatalogError) as error:
        merged([{'name': 'debian-13', 'answer': 'none'}])
    assert str(error.value).startswith('__ipxe_os_builtin_entries[0].answer_args: needs an answer kind')


@pytest.mark.parametrize('layers, message', [
    ('builtin', 'catalog layers must be a list'),
    ([('a', [], 'extra')], 'each catalog layer must be (variable name, entries)'),
    ([('', [])], 'a catalog layer needs the name of its variable'),
])
def test_refused_layers(layers, message):
    with pytest.raises(CatalogError) as error:
        merge_layers(layers)
    assert message in str(error.value)


# --- files to copy ---------------------------------------------------------------------------

def test_asset_list_with_mirror_substitution():
    catalog = merged([{'name': 'debian-13', 'enabled': True}, TOOL, XYZ,
                      {'name': 'memtest', 'family': 'memtest', 'kernel': '/boot/memtest86+x64.bin',
                       'kernel_efi': 'file:///boot/memtest86+x64.efi', 'enabled': False}])
    base = 'http://mirror.lab/debian/dists/trixie/main/installer-amd64/current/images'
    assert asset_list(catalog, '/srv/netboot/', MIRRORS) == [
        {'entry': 'debian-13', 'url': f'{base}/netboot/debian-installer/amd64/linux', 'dest': '/srv/netboot/os/debian-13/linux',
         'checksum_url': f'{base}/SHA256SUMS', 'checksum_name': './netboot/debian-installer/amd64/linux'},
        {'entry': 'debian-13', 'url': f'{base}/netboot/debian-installer/amd64/initrd.gz', 'dest': '/srv/netboot/os/debian-13/initrd.gz',
         'checksum_url': f'{base}/SHA256SUMS', 'checksum_name': './netboot/debian-installer/amd64/initrd.gz'},
        {'entry': 'tool', 'url': 'http://files.lab/tool.bin', 'dest': '/srv/netboot/os/tool/tool.bin', 'checksum': SHA256},
    ]


def test_asset_list_local_files_and_own_mirror_name():
    catalog = merged([{'name': 'memtest', 'family': 'memtest', 'kernel': '/boot/memtest86+x64.bin',
                       'kernel_efi': 'file:///boot/memtest86+x64.efi'},
                      {'name': 'alma', 'family': 'el', 'mirror': 'almalinux',
                       'kernel': {'url': '{mirror}/10/vmlinuz', 'checksum_url': '{mirror}/10/.treeinfo'}}], builtin=[])
    assert asset_list(catalog, '/srv/netboot', {'almalinux': 'https://repo.almalinux.org/almalinux'}) == [
        {'entry': 'memtest', 'url': '/boot/memtest86+x64.bin', 'dest': '/srv/netboot/os/memtest/memtest86+x64.bin',
         'checksum': 'dpkg'},
        {'entry': 'memtest', 'url': 'file:///boot/memtest86+x64.efi', 'dest': '/srv/netboot/os/memtest/memtest86+x64.efi',
         'checksum': 'dpkg'},
        {'entry': 'alma', 'url': 'https://repo.almalinux.org/almalinux/10/vmlinuz', 'dest': '/srv/netboot/os/alma/vmlinuz',
         'checksum_url': 'https://repo.almalinux.org/almalinux/10/.treeinfo'},
    ]


@pytest.mark.parametrize('http_root, mirrors, message', [
    ('/srv/netboot', {}, "os catalog[0].kernel.url: '{mirror}/dists/trixie/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux' "
                         "needs os mirrors['debian'], which is not set"),
    ('/srv/netboot', {'debian': 'mirror.lab/debian'}, "os mirrors['debian']: 'mirror.lab/debian' is not an http://"),
    ('/srv/netboot', {'debian': 'http://m/{x}'}, "os mirrors['debian']: 'http://m/{x}' has braces; no placeholders"),
    ('/srv/netboot', {'Debian': 'http://m'}, "os mirrors: 'Debian' is not a mirror name"),
    ('/srv/netboot', ['http://m'], 'os mirrors: must be a mapping'),
    ('srv/netboot', MIRRORS, "http_root: must be an absolute path without \"..\", got 'srv/netboot'"),
    ('/srv/../etc', MIRRORS, 'http_root: must be an absolute path'),
])
def test_asset_list_refuses(http_root, mirrors, message):
    catalog = merged([{'name': 'debian-13', 'enabled': True}])
    with pytest.raises(CatalogError) as error:
        asset_list(catalog, http_root, mirrors)
    assert message in str(error.value)


def test_downstream_functions_validate_the_catalog_again():
    catalog = merged([TOOL], builtin=[])
    catalog[0]['kernel'] = {'url': 'http://f/t', 'checksum': 'md5:1'}
    with pytest.raises(CatalogError) as error:
        asset_list(catalog, '/srv', {}, name='__ipxe_os_catalog')
    assert str(error.value).startswith("__ipxe_os_catalog[0].kernel.checksum: 'md5:1'")


# --- menu items --------------------------------------------------------------------------------

def test_menu_items_local_and_remote_files():
    catalog = merged(
        [{'name': 'debian-13', 'enabled': True, 'args': 'console=ttyS0 preseed/url={entry_url}/p.cfg'},
         {'name': 'live', 'family': 'ubuntu', 'download': False, 'kernel': '{mirror}/netboot/linux',
          'initrd': '{mirror}/netboot/initrd', 'iso': '{mirror}/live.iso', 'args': 'ip=dhcp url={iso_url} m={mirror} b={base_url}'},
         {'name': 'rescue', 'family': 'chain', 'iso': {'url': 'http://f/rescue.iso', 'checksum': SHA256}},
         XYZ, dict(TOOL, enabled=False)])
    items = menu_items(catalog, {'debian': 'http://m/debian', 'ubuntu': 'http://u'}, base_url='http://10.0.0.2/')
    assert items == [
        {'key': 'debian-13', 'label': 'Debian 13 installer', 'type': 'boot', 'kernel': 'os/debian-13/linux',
         'initrd': ['os/debian-13/initrd.gz'], 'args': 'console=ttyS0 preseed/url=http://10.0.0.2/os/debian-13/p.cfg'},
        {'key': 'live', 'label': 'live', 'type': 'boot', 'kernel': 'http://u/netboot/linux', 'initrd': ['http://u/netboot/initrd'],
         'args': 'ip=dhcp url=http://u/live.iso m=http://u b=http://10.0.0.2'},
        {'key': 'rescue', 'label': 'rescue', 'type': 'iso', 'iso': 'os/rescue/rescue.iso'},
        {'key': 'netboot.xyz', 'label': 'netboot.xyz', 'type': 'chain', 'chain': 'https://boot.netboot.xyz'},
    ]
    assert lint_script(render_menu(items, base_url='http://10.0.0.2')) == []


def test_menu_items_downloaded_iso_url_is_absolute():
    catalog = merged([{'name': 'live', 'family': 'opensuse', 'kernel': {'url': 'http://f/linux', 'checksum': SHA256},
                       'iso': {'url': 'http://f/live.iso', 'checksum': SHA256}, 'args': 'root=live:{iso_url}'}], builtin=[])
    (item,) = menu_items(catalog, base_url='http://10.0.0.2')
    assert item['args'] == 'root=live:http://10.0.0.2/os/live/live.iso'
    with pytest.raises(CatalogError) as error:
        menu_items(catalog)
    assert 'os catalog[0].args: {iso_url} needs base_url' in str(error.value)


@pytest.mark.parametrize('entry, kwargs, message', [
    (dict(TOOL, args='x={base_url}'), {}, 'os catalog[0].args: {base_url} needs base_url, the URL of the HTTP root'),
    (dict(TOOL, args='x={mirror}'), {'base_url': 'http://s'}, "os catalog[0].args: {mirror} needs os mirrors['memtest'], which is not set"),
    (TOOL, {'base_url': 'ftp://s'}, "base_url: must be the http(s) URL of the HTTP root, got 'ftp://s'"),
])
def test_menu_items_refuses(entry, kwargs, message):
    with pytest.raises(CatalogError) as error:
        menu_items(merged([entry], builtin=[]), **kwargs)
    assert message in str(error.value)


# --- per-host install items --------------------------------------------------------------------

def test_host_items_add_the_answer_args():
    catalog = merged([{'name': 'debian-13', 'enabled': True, 'args': 'console=ttyS0'}])
    assert host_items(catalog, 'debian-13', 'http://10.0.0.2/answers/web1.cfg', MIRRORS, name='ipxe_hosts[0].os') == [
        {'key': 'debian-13', 'label': 'Debian 13 installer', 'type': 'boot', 'kernel': 'os/debian-13/linux',
         'initrd': ['os/debian-13/initrd.gz'], 'args': 'console=ttyS0 auto=true priority=critical url=http://10.0.0.2/answers/web1.cfg'},
    ]


@pytest.mark.parametrize('os_name, answer_url, message', [
    ('debian-12', 'http://s/a.cfg', "ipxe_hosts[0].os: 'debian-12' is not an enabled entry of the OS catalog; enabled: debian-13, tool"),
    ('netboot.xyz', 'http://s/a.cfg', "ipxe_hosts[0].os: 'netboot.xyz' is not an enabled entry"),
    ('tool', 'http://s/a.cfg', "ipxe_hosts[0].os: 'tool' does not install unattended (its answer is none)"),
    ('debian-13', 'a.cfg', "ipxe_hosts[0].os: the answer file URL must be an http(s) URL, got 'a.cfg'"),
    ('debian-13', 'http://s/a.cfg ; shell', 'must be an http(s) URL'),
    (None, 'http://s/a.cfg', "ipxe_hosts[0].os: None is not an enabled entry"),
])
def test_host_items_refuses(os_name, answer_url, message):
    catalog = merged([{'name': 'debian-13', 'enabled': True}, TOOL, dict(XYZ, enabled=False)])
    with pytest.raises(CatalogError) as error:
        host_items(catalog, os_name, answer_url, MIRRORS, name='ipxe_hosts[0].os')
    assert message in str(error.value)


# --- built-in entries ---------------------------------------------------------------------------

def all_builtin_enabled():
    return merge_layers([('__ipxe_os_builtin_entries', BUILTIN),
                         ('ipxe_os_entries', [{'name': entry['name'], 'enabled': True} for entry in BUILTIN])])


def test_builtin_entries_are_valid_and_all_disabled():
    catalog = merge_layers([('__ipxe_os_builtin_entries', BUILTIN)])
    assert len(catalog) == len(BUILTIN)
    assert [entry['name'] for entry in catalog if entry['enabled']] == []
    assert all(entry.get('enabled') is False for entry in BUILTIN)
    assert menu_items(catalog, BUILTIN_MIRRORS) == []


def test_builtin_downloaded_remote_files_use_the_distributions_checksum_lists():
    for entry in all_builtin_enabled():
        for field in ('kernel', 'kernel_efi', 'iso', 'chain'):
            files = [entry[field]] if field in entry else []
            for asset in files + (entry.get('initrd', []) if field == 'kernel' else []):
                if entry['download'] and asset['url'].startswith('{mirror}'):
                    assert asset['checksum_url'].startswith('{mirror}/') and asset['checksum_name'], entry['name']


def test_builtin_assets_have_unique_destinations():
    assets = asset_list(all_builtin_enabled(), '/srv/netboot', BUILTIN_MIRRORS)
    dests = [asset['dest'] for asset in assets]
    assert len(dests) == len(set(dests))
    assert {asset['entry'] for asset in assets} == {
        'debian-13', 'debian-12', 'fedora-44', 'almalinux-10', 'rocky-10', 'memtest86plus'}
    assert all(asset['url'].startswith(('https://', '/boot/')) for asset in assets)


@pytest.mark.parametrize('name', [entry['name'] for entry in BUILTIN])
def test_each_builtin_entry_renders_a_menu_that_lints_clean(name):
    catalog = [entry for entry in all_builtin_enabled() if entry['name'] == name]
    items = menu_items(catalog, BUILTIN_MIRRORS, base_url='http://10.0.0.2')
    assert [item['key'] for item in items] == [name]
    assert lint_script(render_menu(items, base_url='http://10.0.0.2', name='os menu')) == []


def test_all_builtin_entries_in_one_menu_lint_clean():
    items = menu_items(all_builtin_enabled(), BUILTIN_MIRRORS, base_url='http://10.0.0.2')
    items += [{'type': 'gap'}, {'key': 'local', 'type': 'exit'}]
    assert lint_script(render_menu(items, base_url='http://10.0.0.2')) == []


@pytest.mark.parametrize('name', [entry['name'] for entry in BUILTIN if entry.get('answer', 'none') != 'none'])
def test_each_builtin_installer_renders_a_host_script_that_lints_clean(name):
    answer_url = 'http://10.0.0.2/answers/52-54-00-12-34-56/'
    items = host_items(all_builtin_enabled(), name, answer_url, BUILTIN_MIRRORS, base_url='http://10.0.0.2')
    assert answer_url in items[0]['args']
    assert lint_script(render_menu(items, timeout=1, base_url='http://10.0.0.2')) == []


def test_builtin_installers_with_answer_files():
    answers = {entry['name']: entry['answer'] for entry in all_builtin_enabled()}
    assert answers == {
        'debian-13': 'preseed', 'debian-12': 'preseed', 'ubuntu-24.04': 'autoinstall', 'fedora-44': 'kickstart',
        'almalinux-10': 'kickstart', 'rocky-10': 'kickstart', 'opensuse-leap-16': 'none', 'archlinux': 'none',
        'memtest86plus': 'none', 'netboot.xyz': 'none',
    }


def test_builtin_mirror_points_a_family_at_a_lab_mirror():
    mirrors = dict(BUILTIN_MIRRORS, fedora='http://mirror.lab/fedora')
    items = by_name_items(menu_items(all_builtin_enabled(), mirrors, base_url='http://10.0.0.2'))
    assert 'inst.repo=http://mirror.lab/fedora/releases/44/Everything/x86_64/os/' in items['fedora-44']['args']
    assets = [a for a in asset_list(all_builtin_enabled(), '/srv/netboot', mirrors) if a['entry'] == 'fedora-44']
    assert assets[0]['url'] == 'http://mirror.lab/fedora/releases/44/Everything/x86_64/os/images/pxeboot/vmlinuz'
    assert assets[0]['checksum_url'] == 'http://mirror.lab/fedora/releases/44/Everything/x86_64/os/.treeinfo'


def by_name_items(items):
    return {item['key']: item for item in items}


# --- authenticity ------------------------------------------------------------------------------

KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
RELEASE = '{mirror}/dists/trixie/InRelease'


@pytest.mark.parametrize('override, expected', [
    ({}, 'unauthenticated'),
    ({'release_url': RELEASE, 'keyring': KEYRING}, 'authenticated'),
    ({'keyring': '/etc/keys/lab.gpg'}, 'authenticated'),      # clearsigned checksum lists
    ({'download': False}, 'not-downloaded'),
    ({'kernel': {'url': 'http://files.lab/linux', 'checksum': SHA256}, 'initrd': []}, 'authenticated'),
    ({'kernel': '/boot/vmlinuz', 'initrd': [], 'answer': 'none', 'answer_args': ''}, 'authenticated'),   # dpkg
    ({'release_url': RELEASE, 'keyring': KEYRING, 'authenticity': 'authenticated'}, 'authenticated'),
])
def test_authenticity_is_computed(override, expected):
    (entry,) = merged([{'name': 'debian-13', **override}])
    assert entry['authenticity'] == expected
    assert merge_layers([('catalog', copy.deepcopy([entry]))]) == [entry]


@pytest.mark.parametrize('override, message', [
    ({'authenticity': 'authenticated'}, "layer0[0].authenticity: is computed from the entry (unauthenticated), got 'authenticated'"),
    ({'release_url': RELEASE}, "layer0[0].release_url: '{mirror}/dists/trixie/InRelease' needs a keyring to check its signature"),
    ({'keyring': 'keys/lab.gpg'}, "layer0[0].keyring: must be the absolute path of an OpenPGP keyring on the server, got 'keys/lab.gpg'"),
    ({'keyring': '/etc/keys/../lab.gpg'}, 'layer0[0].keyring: must be the absolute path'),
    ({'keyring': '/etc/keys/lab key.gpg'}, 'layer0[0].keyring: must be the absolute path'),
    ({'keyring': ['/etc/keys/lab.gpg']}, 'layer0[0].keyring: must be the absolute path'),
    ({'release_url': '{mirror}/dists/bookworm/InRelease', 'keyring': KEYRING},
     "__ipxe_os_builtin_entries[0].kernel.checksum_url: '{mirror}/dists/trixie/main/installer-amd64/current/images/SHA256SUMS' "
     "is not below the directory of release_url '{mirror}/dists/bookworm/InRelease'"),
    ({'release_url': 'ftp://m/InRelease', 'keyring': KEYRING}, 'layer0[0].release_url:'),
])
def test_signature_fields_refused(override, message):
    with pytest.raises(CatalogError) as exc:
        merged([{'name': 'debian-13', **override}])
    assert message in str(exc.value)


def test_asset_list_passes_release_url_and_keyring():
    (entry,) = merged([{'name': 'debian-13', 'enabled': True, 'release_url': RELEASE, 'keyring': KEYRING}])
    items = asset_list([entry], '/srv/netboot', MIRRORS)
    assert [(i['release_url'], i['keyring']) for i in items] == [('http://mirror.lab/debian/dists/trixie/InRelease', KEYRING)] * 2
    assert all(i['checksum_url'].startswith('http://mirror.lab/debian/dists/trixie/') for i in items)


def test_builtin_debian_entries_are_authenticated_and_the_others_marked():
    marks = {entry['name']: entry['authenticity'] for entry in all_builtin_enabled()}
    assert marks == {'debian-13': 'authenticated', 'debian-12': 'authenticated', 'ubuntu-24.04': 'not-downloaded',
                     'fedora-44': 'unauthenticated', 'almalinux-10': 'unauthenticated', 'rocky-10': 'unauthenticated',
                     'opensuse-leap-16': 'not-downloaded', 'archlinux': 'not-downloaded',
                     'memtest86plus': 'authenticated', 'netboot.xyz': 'not-downloaded'}
