# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render the menu model (the items of ipxe_menu_items, catalog entries and per-host installs)
as a GRUB configuration, for machines that boot with UEFI Secure Boot through Debian's signed
shim and network GRUB. Only kernels signed for Secure Boot can boot there: boot items without
``signed: true`` and item types GRUB cannot run under Secure Boot (iso, chain, sanboot, shell)
are left out, each with a note in the menu.

The items are checked as for iPXE (``normalize_item``), then against GRUB's own syntax: a
title goes between single quotes, a command line is split into words with shell-like quoting
and ``$`` expansion, so only plain words are accepted there.

Private module: its API may change without notice.
"""

from __future__ import annotations

import urllib.parse

from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import PENDING_VARIABLE
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError, normalize_item, resolve_url
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    BUILD_TOKEN,
    GRUB_TITLE_FORBIDDEN,
    GRUB_URL_HOST,
    GRUB_URL_PATH,
    GRUB_WORDS,
    HTTP_URL,
)

UNSUPPORTED = ('iso', 'chain', 'sanboot', 'shell')
# Boot the machine's own disk: leave GRUB (and the shim) with a failure status; the firmware tries
# its next boot option (on success it stops at its boot menu).
OWN_DISK_LINES = ['exit 1']


class GrubMenuError(ValueError):
    """Input that would not render into a valid, safe GRUB configuration."""


# GRUB's "test -e" finds no file over TFTP or HTTP, and "source" or "configfile" of a missing
# file goes on: the common menu asks the HTTP server for the configuration of the MAC GRUB booted
# with, and the server answers the machine's own (to its reserved address only) or the common menu
# (access); an install's marker is a GRUB environment block that load_env reads
# (builds.marker_content).


def own_config_lines(base_url):
    """Ask the HTTP server at ``base_url`` for this machine's own configuration, grub/hosts/<MAC>.cfg
    (the MAC with ":", as GRUB's $net_default_mac); the server maps it to the file, or the common menu."""
    folder = grub_path('own configurations', resolve_url('own configurations', 'grub/hosts/', base_url))
    return [f'configfile "{folder}${{net_default_mac}}.cfg"']


def _title(where, value):
    if GRUB_TITLE_FORBIDDEN.search(value):
        raise GrubMenuError(f'{where} cannot go into a GRUB menu title (no quote, backslash or control character): {value!r}')
    return value


def grub_path(where, url):
    """GRUB's name of an http URL: (http,host:port)/path."""
    if not isinstance(url, str) or not url.startswith('http://') or not HTTP_URL.fullmatch(url):
        raise GrubMenuError(f'{where} must be an http URL without query or fragment for GRUB (a host, an optional '
                            f'port 1-65535 and a path of letters, digits and ._~%+=,:@/-), got {url!r}')
    # Rebuilt from its parts, each checked against what GRUB reads as one word.
    parts = urllib.parse.urlsplit(url)
    host, port, path = parts.hostname, parts.port, parts.path or '/'
    if ':' in host:
        host = f'[{host}]'
    if not GRUB_URL_HOST.fullmatch(host) or not GRUB_URL_PATH.fullmatch(path):
        raise GrubMenuError(f'{where} has characters GRUB would read as syntax: {url!r}')
    return f'(http,{host}' + (f':{port})' if port else ')') + path


def _entry_lines(entry, where):
    """The menuentry of a normalized item, or a note when GRUB cannot boot it under Secure Boot."""
    title = _title(f'{where}: label', entry['label'])
    kind = entry['type']
    if kind == 'exit':
        return [f"menuentry '{title}' {{", '    exit 1', '}']
    if kind in UNSUPPORTED or (kind == 'boot' and not entry.get('signed')):
        reason = 'its kernel is not signed for Secure Boot' if kind == 'boot' else f'type {kind} needs iPXE'
        return [f"menuentry '{title} (left out: {reason})' {{",
                f"    echo '{title}: left out with Secure Boot, {reason}.'", '    sleep 5', '}']
    kernel = grub_path(f'{where}: kernel', entry.get('kernel_efi', entry['kernel']))
    args = entry['args']
    if args and not GRUB_WORDS.fullmatch(args):
        raise GrubMenuError(f'{where}: args must be plain words (no quote, $, ;, |, &, <, >, braces, backslash or #) '
                            f'for GRUB, got {args!r}')
    lines = [f"menuentry '{title}' {{", f'    linux {kernel}' + (f' {args}' if args else '')]
    if entry['initrd']:
        lines.append('    initrd ' + ' '.join(grub_path(f'{where}: initrd', url) for url in entry['initrd']))
    return lines + ['}']


def own_disk_config(mac, build):
    """The configuration of a machine whose install is done: it boots its own disk."""
    return '\n'.join([f'# {mac}: build {build} installed; this machine boots its own disk.'] + OWN_DISK_LINES) + '\n'


def render_grub_menu(items, title='Network boot', default=None, timeout=10, base_url=None, name='menu items',
                     only_while=None, own_configs=False):
    """Return a GRUB configuration (text) with a menu of ``items`` (see ``ipxe.render_menu``).

    ``default`` is the key of the item chosen after ``timeout`` seconds (0 waits for a choice);
    relative paths are taken under ``base_url`` (http). Gaps are left out; an item GRUB cannot
    boot under Secure Boot becomes a note. Errors name ``name``.
    ``only_while`` is the http URL (absolute, or under ``base_url``) of an install's marker, whose
    name is its token (see ``marker_content``): the menu runs only while the marker is there; once it
    is gone the machine boots its own disk (the install lifecycle).
    ``own_configs``: the menu first asks the HTTP server under ``base_url`` for the machine's own
    configuration (``grub/hosts/<MAC>.cfg``), which the server answers with the common menu when the
    machine has none; this menu stays for when the server cannot be reached.
    """
    if not isinstance(items, list) or not items:
        raise GrubMenuError(f'{name}: must be a non-empty list, got {items!r}')
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise GrubMenuError(f'menu timeout must be a whole number of seconds >= 0, got {timeout!r}')
    try:
        entries = [(index, normalize_item(item, index, base_url, name)) for index, item in enumerate(items)]
    except MenuError as exc:
        raise GrubMenuError(str(exc)) from exc
    entries = [(index, entry) for index, entry in entries if entry['type'] != 'gap']
    if not entries:
        raise GrubMenuError(f'{name}: needs at least one item that is not a gap')
    keys = [entry['key'] for _index, entry in entries]
    if len(keys) != len(set(keys)):
        raise GrubMenuError(f'{name}: keys must be unique, got {keys!r}')
    bootable = [entry['key'] for _index, entry in entries if entry['type'] == 'exit'
                or (entry['type'] == 'boot' and entry.get('signed'))]
    if default is None:
        default = bootable[0] if bootable else keys[0]
    if default not in keys:
        raise GrubMenuError(f'menu default {default!r} is not the key of an item of {name}; keys: {", ".join(keys)}')
    menu = [f'set default={keys.index(default)}', f'set timeout={timeout if timeout else -1}', '']
    for index, entry in entries:
        menu += _entry_lines(entry, f'{name}[{index}]') + ['']
    if not isinstance(own_configs, bool):
        raise GrubMenuError(f'own_configs: must be true or false, got {own_configs!r}')
    lines = [f'# {_title("menu title", title)}']
    if own_configs:
        try:
            lines += own_config_lines(base_url) + ['']
        except MenuError as exc:
            raise GrubMenuError(str(exc)) from exc
    if only_while is None:
        return '\n'.join(lines + menu)
    try:
        marker = grub_path('menu only_while', resolve_url('menu only_while', only_while, base_url))
    except MenuError as exc:
        raise GrubMenuError(str(exc)) from exc
    token = marker.rpartition('/')[2]
    if not BUILD_TOKEN.fullmatch(token):
        raise GrubMenuError(f'menu only_while must end in a build token (32 hexadecimal digits), got {only_while!r}')
    lines += [f'set {PENDING_VARIABLE}=', f'load_env --file {marker} {PENDING_VARIABLE}',
              f'if [ "${PENDING_VARIABLE}" = "{token}" ]; then'] + [f'    {line}' if line else '' for line in menu[:-1]]
    lines += ['else'] + [f'    {line}' for line in OWN_DISK_LINES] + ['fi', '']
    return '\n'.join(lines)
