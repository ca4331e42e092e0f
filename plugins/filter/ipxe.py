# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the ipxe role: menus, per-host scripts, the OS catalog and the boot files DHCP offers
(documented in the sidecar files named after each filter)."""

from __future__ import annotations

from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import CatalogError, asset_list, menu_items, merge_layers
from ansible_collections.netboot.pxe.plugins.module_utils._boot.grub import GrubMenuError, render_grub_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.hosts import host_plan
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError
from ansible_collections.netboot.pxe.plugins.module_utils._boot.staging import StagingError, staging
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.pxe_classes import PxeClassError, boot_files
from ansible_collections.netboot.pxe.plugins.plugin_utils._filters import filter_errors


@filter_errors('ipxe_menu', MenuError)
def ipxe_menu(items, title='Network boot', default=None, timeout=10, base_url=None, memdisk_url=None, name='menu items'):
    return render_menu(items, title=title, default=default, timeout=timeout, base_url=base_url,
                       memdisk_url=memdisk_url, name=name)


grub_menu = filter_errors('grub_menu', GrubMenuError)(render_grub_menu)
ipxe_host_plan = filter_errors('ipxe_host_plan', CatalogError)(host_plan)
os_catalog = filter_errors('os_catalog', CatalogError)(merge_layers)
os_assets = filter_errors('os_assets', CatalogError)(asset_list)
os_menu_items = filter_errors('os_menu_items', CatalogError)(menu_items)
pxe_boot_files = filter_errors('pxe_boot_files', PxeClassError)(boot_files)
ipxe_staging = filter_errors('ipxe_staging', StagingError)(staging)


class FilterModule:
    def filters(self):
        return {
            'ipxe_menu': ipxe_menu,
            'grub_menu': grub_menu,
            'ipxe_host_plan': ipxe_host_plan,
            'os_catalog': os_catalog,
            'os_assets': os_assets,
            'os_menu_items': os_menu_items,
            'pxe_boot_files': pxe_boot_files,
            'ipxe_staging': ipxe_staging,
        }
