# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._os_catalog import (
    CatalogError,
    asset_list,
)


def os_assets(catalog, http_root, mirrors=None, name='os catalog', mirrors_name='os mirrors'):
    try:
        return asset_list(catalog, http_root, mirrors, name=name, mirrors_name=mirrors_name)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_assets: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'os_assets': os_assets}
