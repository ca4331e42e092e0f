# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._os_catalog import (
    CatalogError,
    merge_layers,
)


def os_catalog(layers):
    try:
        return merge_layers(layers)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_catalog: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'os_catalog': os_catalog}
