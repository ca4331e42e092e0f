# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._pxe_classes import (
    PxeClassError,
    client_classes,
)


def pxe_client_classes(boot_files, ipxe_script_url, next_server, http_base_url=None, ipxe_options=None,
                       name='boot files'):
    try:
        return client_classes(boot_files, ipxe_script_url, next_server, http_base_url, ipxe_options, name=name)
    except PxeClassError as exc:
        raise AnsibleFilterError(f'pxe_client_classes: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'pxe_client_classes': pxe_client_classes}
