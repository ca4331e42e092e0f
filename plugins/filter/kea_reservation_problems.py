# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._dhcp4_subnets import reservation_problems


def kea_reservation_problems(reservations, subnet, pools=(), name='reservations', pxe=True, other_subnets=()):
    return reservation_problems(reservations, subnet, pools=pools, name=name, pxe=pxe, other_subnets=other_subnets)


class FilterModule:
    def filters(self):
        return {'kea_reservation_problems': kea_reservation_problems}
