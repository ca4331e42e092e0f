# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._os_catalog import (
    CatalogError,
    host_items,
)


def os_host_items(catalog, os_name, answer_url, mirrors=None, base_url=None, name='os',
                  catalog_name='os catalog', mirrors_name='os mirrors'):
    try:
        return host_items(catalog, os_name, answer_url, mirrors, name=name, base_url=base_url,
                          catalog_name=catalog_name, mirrors_name=mirrors_name)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_host_items: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'os_host_items': os_host_items}
