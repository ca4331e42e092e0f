# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the ipxe role stages: the whole menu (its items, then the catalog's under a heading),
whether memdisk is needed, the directories it makes and the packaged files it copies.

Private module: its API may change without notice.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping


class StagingError(ValueError):
    """The role's variables do not describe what to stage."""


def _list(name, value):
    if not isinstance(value, list):
        raise StagingError(f'{name}: must be a list, got {value!r}')
    return value


def _uses_iso(items):
    return any(isinstance(item, Mapping) and item.get('type') == 'iso' for item in items)


def staging(menu_items, tftp_root, http_root, package_dir, binaries, os_items=None, os_assets=None, os_heading='',
            hosts=None, memdisk_file=''):
    """The ipxe role's staging: ``menu_items`` (the whole menu: ``menu_items``, then a gap labelled
    ``os_heading`` and ``os_items`` when there are any), ``needs_memdisk`` (an ``iso`` item in the menu
    or in a host's own items), ``directories`` (both roots, the HTTP root's ipxe/, hosts/ and os/, the
    directory of each catalog asset) and ``copies`` (destination to source: each packaged binary of
    ``package_dir`` under the TFTP root and the HTTP root's ipxe/, and memdisk when needed)."""
    menu = list(_list('ipxe_menu_items', menu_items))
    os_items = list(_list('os items', [] if os_items is None else os_items))
    if os_items:
        menu += [{'type': 'gap', 'label': os_heading}] + os_items
    own_items = [item for host in _list('ipxe_hosts', [] if hosts is None else hosts)
                 if isinstance(host, Mapping) and 'os' not in host for item in host.get('items') or []]
    needs_memdisk = _uses_iso(menu) or _uses_iso(own_items)
    directories = [tftp_root, http_root] + [f'{http_root}/{name}' for name in ('ipxe', 'hosts', 'os')]
    for asset in _list('os assets', [] if os_assets is None else os_assets):
        if not isinstance(asset, Mapping) or not isinstance(asset.get('dest'), str):
            raise StagingError(f'os assets: each must have a dest path, got {asset!r}')
        directory = posixpath.dirname(asset['dest'])
        if directory not in directories:
            directories.append(directory)
    copies = {}
    for root in (tftp_root, f'{http_root}/ipxe'):
        for binary in _list('ipxe_binaries', binaries):
            copies[f'{root}/{binary}'] = f'{package_dir}/{binary}'
    if needs_memdisk:
        copies[f'{http_root}/ipxe/memdisk'] = memdisk_file
    return {'menu_items': menu, 'needs_memdisk': needs_memdisk, 'directories': directories, 'copies': copies}
