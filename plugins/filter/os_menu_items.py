# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._os_catalog import (
    CatalogError,
    menu_items,
)


def os_menu_items(catalog, mirrors=None, base_url=None, name='os catalog', mirrors_name='os mirrors'):
    try:
        return menu_items(catalog, mirrors, base_url=base_url, name=name, mirrors_name=mirrors_name)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_menu_items: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'os_menu_items': os_menu_items}
