# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the playbook netboot.pxe.site and the proxy_dhcp role: the network plan and the
dnsmasq proxyDHCP configuration (documented in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.proxy_dhcp import ProxyDhcpError
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.proxy_dhcp import proxy_dhcp_config as render_proxy_dhcp_config
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import PlanError
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import netboot_dhcp_vars as dhcp_vars
from ansible_collections.netboot.pxe.plugins.module_utils._netboot_plan import netboot_plan as plan
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors

netboot_plan = filter_errors('netboot_plan', PlanError)(plan)
netboot_dhcp_vars = filter_errors('netboot_dhcp_vars', PlanError)(dhcp_vars)


@filter_errors('proxy_dhcp_config', ProxyDhcpError)
def proxy_dhcp_config(interfaces, subnets, next_server, ipxe_script_url, boot_files, log=False, secure_boot_macs=None,
                      secure_boot_file=''):
    return render_proxy_dhcp_config(interfaces, subnets, next_server, ipxe_script_url, boot_files, log=log,
                                    secure_boot_macs=secure_boot_macs, secure_boot_file=secure_boot_file)


class FilterModule:
    def filters(self):
        return {'netboot_plan': netboot_plan, 'netboot_dhcp_vars': netboot_dhcp_vars, 'proxy_dhcp_config': proxy_dhcp_config}
