# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the ipxe role: menus, per-host scripts and the OS catalog (documented in the
sidecar files named after each filter)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.module_utils._grub_menu import GrubMenuError, render_grub_menu
from ansible_collections.netboot.pxe.plugins.module_utils._ipxe_hosts import host_plan
from ansible_collections.netboot.pxe.plugins.module_utils._ipxe_script import IpxeScriptError, render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._os_catalog import (
    CatalogError,
    asset_list,
    menu_items,
    merge_layers,
)


def ipxe_menu(items, title='Network boot', default=None, timeout=10, base_url=None, memdisk_url=None, name='menu items'):
    try:
        return render_menu(items, title=title, default=default, timeout=timeout, base_url=base_url,
                           memdisk_url=memdisk_url, name=name)
    except IpxeScriptError as exc:
        raise AnsibleFilterError(f'ipxe_menu: {exc}') from exc


def grub_menu(items, title='Network boot', default=None, timeout=10, base_url=None, name='menu items',
              only_while=None, own_configs=False):
    try:
        return render_grub_menu(items, title=title, default=default, timeout=timeout, base_url=base_url, name=name,
                                only_while=only_while, own_configs=own_configs)
    except GrubMenuError as exc:
        raise AnsibleFilterError(f'grub_menu: {exc}') from exc


def ipxe_host_plan(hosts, catalog, mirrors=None, builtin_mirrors=None, base_url=None, answer_templates=None,
                   answer_url_files=None, menu_title='Network boot', name='ipxe_hosts', answers=None, builds=None,
                   require_address=False):
    try:
        return host_plan(hosts, catalog, mirrors=mirrors, builtin_mirrors=builtin_mirrors, base_url=base_url,
                         answer_templates=answer_templates, answer_url_files=answer_url_files,
                         menu_title=menu_title, name=name, answers=answers, builds=builds,
                         require_address=require_address)
    except CatalogError as exc:
        raise AnsibleFilterError(f'ipxe_host_plan: {exc}') from exc


def os_catalog(layers):
    try:
        return merge_layers(layers)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_catalog: {exc}') from exc


def os_assets(catalog, http_root, mirrors=None, name='os catalog', mirrors_name='os mirrors'):
    try:
        return asset_list(catalog, http_root, mirrors, name=name, mirrors_name=mirrors_name)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_assets: {exc}') from exc


def os_menu_items(catalog, mirrors=None, base_url=None, name='os catalog', mirrors_name='os mirrors'):
    try:
        return menu_items(catalog, mirrors, base_url=base_url, name=name, mirrors_name=mirrors_name)
    except CatalogError as exc:
        raise AnsibleFilterError(f'os_menu_items: {exc}') from exc


class FilterModule:
    def filters(self):
        return {
            'ipxe_menu': ipxe_menu,
            'grub_menu': grub_menu,
            'ipxe_host_plan': ipxe_host_plan,
            'os_catalog': os_catalog,
            'os_assets': os_assets,
            'os_menu_items': os_menu_items,
        }
