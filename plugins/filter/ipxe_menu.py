# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._ipxe_script import (
    IpxeScriptError,
    render_menu,
)


def ipxe_menu(items, title='Network boot', default=None, timeout=10, base_url=None, memdisk_url=None, name='menu items'):
    try:
        return render_menu(items, title=title, default=default, timeout=timeout, base_url=base_url,
                           memdisk_url=memdisk_url, name=name)
    except IpxeScriptError as exc:
        raise AnsibleFilterError(f'ipxe_menu: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'ipxe_menu': ipxe_menu}
