# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp4_subnets import subnet_problems


def kea_subnet_problems(subnets, name='subnets', pxe=True):
    return subnet_problems(subnets, name=name, pxe=pxe)


class FilterModule:
    def filters(self):
        return {'kea_subnet_problems': kea_subnet_problems}
