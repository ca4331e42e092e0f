# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import (
    PlanError,
    netboot_plan as _netboot_plan,
)
from ansible_collections.netboot.pxe.plugins.module_utils._proxy_dhcp import (
    ProxyDhcpError,
    proxy_dhcp_config as _proxy_dhcp_config,
)


def netboot_plan(variables, facts):
    try:
        return _netboot_plan(variables, facts)
    except PlanError as exc:
        raise AnsibleFilterError(f'netboot_plan: {exc}') from exc


def proxy_dhcp_config(interfaces, subnets, next_server, ipxe_script_url, boot_files, log=False, secure_boot_macs=None,
                      secure_boot_file=''):
    try:
        return _proxy_dhcp_config(interfaces, subnets, next_server, ipxe_script_url, boot_files, log=log,
                                  secure_boot_macs=secure_boot_macs, secure_boot_file=secure_boot_file)
    except ProxyDhcpError as exc:
        raise AnsibleFilterError(f'proxy_dhcp_config: {exc}') from exc


class FilterModule:
    def filters(self):
        return {'netboot_plan': netboot_plan, 'proxy_dhcp_config': proxy_dhcp_config}
