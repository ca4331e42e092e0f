"""The ipxe role's staging plan: the whole menu, memdisk, directories and packaged copies."""

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.staging import StagingError, staging

ROOTS = {'tftp_root': '/srv/tftp', 'http_root': '/srv/http', 'package_dir': '/usr/lib/ipxe'}
SHELL = {'key': 'shell', 'label': 'Shell', 'type': 'shell'}
ISO = {'key': 'rescue', 'label': 'Rescue', 'type': 'iso', 'url': 'http://10.0.0.2/os/rescue.iso'}
OS_ITEM = {'key': 'debian-13', 'label': 'Debian 13', 'kernel': 'os/debian-13/linux'}


def test_the_catalog_follows_the_menu_under_its_heading():
    result = staging([SHELL], binaries=[], os_items=[OS_ITEM], os_heading='Installers', **ROOTS)
    assert result['menu_items'] == [SHELL, {'type': 'gap', 'label': 'Installers'}, OS_ITEM]


def test_without_catalog_items_the_menu_has_no_heading():
    assert staging([SHELL], binaries=[], os_heading='Installers', **ROOTS)['menu_items'] == [SHELL]


@pytest.mark.parametrize('menu, hosts, needed', [
    ([SHELL], [], False),
    ([ISO], [], True),
    ([SHELL], [{'mac': '52:54:00:00:00:01', 'items': [ISO]}], True),
    # A machine that installs an os boots the catalog's kernel, never its own items.
    ([SHELL], [{'mac': '52:54:00:00:00:01', 'os': 'debian-13', 'items': [ISO]}], False),
    ([SHELL], [{'mac': '52:54:00:00:00:01'}], False),
])
def test_memdisk_is_staged_only_for_an_iso(menu, hosts, needed):
    result = staging(menu, binaries=['snponly.efi'], hosts=hosts, memdisk_file='/usr/lib/syslinux/memdisk', **ROOTS)
    assert result['needs_memdisk'] is needed
    assert ('/srv/http/ipxe/memdisk' in result['copies']) is needed


def test_each_binary_is_copied_into_both_roots_from_the_package():
    copies = staging([], binaries=['undionly.kpxe', 'snponly.efi'], **ROOTS)['copies']
    assert copies == {
        '/srv/tftp/undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe',
        '/srv/tftp/snponly.efi': '/usr/lib/ipxe/snponly.efi',
        '/srv/http/ipxe/undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe',
        '/srv/http/ipxe/snponly.efi': '/usr/lib/ipxe/snponly.efi',
    }


def test_directories_are_the_roots_then_each_asset_directory_once():
    assets = [{'dest': '/srv/http/os/debian-13/linux'}, {'dest': '/srv/http/os/debian-13/initrd.gz'},
              {'dest': '/srv/http/os/ubuntu/linux'}]
    assert staging([], binaries=[], os_assets=assets, **ROOTS)['directories'] == [
        '/srv/tftp', '/srv/http', '/srv/http/ipxe', '/srv/http/hosts', '/srv/http/os',
        '/srv/http/os/debian-13', '/srv/http/os/ubuntu']


@pytest.mark.parametrize('field, value, name', [
    ('menu_items', 'shell', 'ipxe_menu_items'),
    ('hosts', {'mac': 'x'}, 'ipxe_hosts'),
    ('binaries', 'snponly.efi', 'ipxe_binaries'),
])
def test_a_list_that_is_not_one_is_named(field, value, name):
    arguments = {'menu_items': [], 'binaries': [], **ROOTS, field: value}
    with pytest.raises(StagingError, match=name):
        staging(**arguments)
