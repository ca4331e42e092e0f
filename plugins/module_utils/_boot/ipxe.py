# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render iPXE menu scripts from the items of the menu model (menu.normalize_item).

Private module: its API may change without notice.
"""

from __future__ import annotations

import collections

from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError, check_text, normalize_item, resolve_url

# Boot the machine's own disk. UEFI: leave iPXE with a failure status, and the firmware tries its
# next boot option (on success it stops at its boot menu); BIOS: boot the first disk.
OWN_DISK_LINES = ['iseq ${platform} efi && exit 1 ||', 'sanboot --no-describe --drive 0x80 || exit 1']
DEFAULT_MEMDISK = 'ipxe/memdisk'


def _basename(url):
    return url.rstrip('/').rsplit('/', 1)[-1]


def _kernel_line(item, kernel):
    # UEFI kernels find an initrd loaded by iPXE only when named on the command line.
    names = [_basename(url) for url in item['initrd']]
    words = [f'initrd={name}' for name in names if f'initrd={name}' not in item['args']]
    if item['args']:
        words.append(item['args'])
    return ' '.join(['kernel', kernel] + words)


def _boot_lines(entry, memdisk_url):
    """The commands under an item's label (each failure goes to :failed)."""
    kind = entry['type']
    if kind == 'boot':
        if 'kernel_efi' in entry:
            # ${platform} is pcbios or efi: exactly one of the two kernels is loaded.
            lines = [f"iseq ${{platform}} efi || {_kernel_line(entry, entry['kernel'])} || goto failed",
                     f"iseq ${{platform}} pcbios || {_kernel_line(entry, entry['kernel_efi'])} || goto failed"]
        else:
            lines = [_kernel_line(entry, entry['kernel']) + ' || goto failed']
        lines += [f'initrd {url} || goto failed' for url in entry['initrd']]
        return lines + ['boot || goto failed']
    if kind == 'iso':
        # UEFI boots the image as a SAN disk; BIOS loads it into memory through memdisk.
        return [f"iseq ${{platform}} pcbios || sanboot --no-describe {entry['iso']} || goto failed",
                'iseq ${platform} pcbios || goto start',
                f'kernel {memdisk_url} iso raw || goto failed',
                f"initrd {entry['iso']} || goto failed",
                'boot || goto failed']
    if kind == 'chain':
        return [f"chain --autofree {entry['chain']} || goto failed"]
    if kind == 'sanboot':
        return [f"sanboot --no-describe {entry['sanboot']} || goto failed"]
    if kind == 'shell':
        return ['shell', 'goto start']
    # The firmware's next boot option (see OWN_DISK_LINES).
    return ['exit 1']


def render_menu(items, title='Network boot', default=None, timeout=10, base_url=None, memdisk_url=None,
                name='menu items', only_while=None):
    """Return an iPXE script (text) with a menu of ``items``.

    ``timeout`` is in seconds; 0 waits for a choice forever.  ``default`` is the
    key of the item chosen on timeout (the first selectable item when unset).
    ``memdisk_url`` is where BIOS clients fetch memdisk for ``iso`` items
    (default ``ipxe/memdisk`` under ``base_url``).  ``name`` is how errors
    about the items name them, e.g. the Ansible variable they came from.
    ``only_while`` is a URL (absolute, or under ``base_url``): the menu runs only while
    that file can be fetched; once it is gone the machine boots its own disk.
    """
    check_text('menu items name', name)
    if not isinstance(items, list) or not items:
        raise MenuError(f'{name}: must be a non-empty list, got {items!r}')
    check_text('menu title', title)
    if title.lstrip().startswith('-'):
        raise MenuError(f'menu title must not start with "-", even after spaces (iPXE would read an option), got {title!r}')
    if base_url is not None:
        resolve_url('menu base_url', base_url, None)
    memdisk_url = resolve_url('menu memdisk_url', DEFAULT_MEMDISK if memdisk_url is None else memdisk_url, base_url)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise MenuError(f'menu timeout must be a whole number of seconds >= 0, got {timeout!r}')
    entries = [normalize_item(item, index, base_url, name) for index, item in enumerate(items)]
    keys = [entry['key'] for entry in entries if 'key' in entry]
    if not keys:
        raise MenuError(f'{name}: needs at least one item that is not a gap')
    duplicates = sorted(key for key, count in collections.Counter(keys).items() if count > 1)
    if duplicates:
        raise MenuError(f'{name}: keys must be unique; duplicated: {", ".join(duplicates)}')
    if default is None:
        default = keys[0]
    if default not in keys:
        raise MenuError(f'menu default {default!r} is not the key of an item of {name}; keys: {", ".join(keys)}')
    shortcuts = [entry['shortcut'] for entry in entries if 'shortcut' in entry]
    if len(shortcuts) != len(set(shortcuts)):
        raise MenuError(f'{name}: shortcuts must be unique, got {shortcuts!r}')

    lines = ['#!ipxe', '']
    if only_while is not None:
        only_while = resolve_url('menu only_while', only_while, base_url)
        lines += [f'imgfetch --name only-while {only_while} || goto own-disk', 'imgfree only-while', '']
    lines += [':start', f'menu {title}' if title else 'menu']
    for entry in entries:
        if entry['type'] == 'gap':
            lines.append(f"item --gap -- {entry['label']}" if entry['label'] else 'item --gap')
            continue
        shortcut = f"--key {entry['shortcut']} " if 'shortcut' in entry else ''
        lines.append(f"item {shortcut}{entry['key']} {entry['label']}")
    choose = f'choose --default {default}'
    if timeout:
        choose += f' --timeout {timeout * 1000}'
    lines += [f'{choose} selected || goto start', 'goto ${selected}', '']
    for entry in entries:
        if entry['type'] == 'gap':
            continue
        lines.append(f":{entry['key']}")
        lines += _boot_lines(entry, memdisk_url)
        lines.append('')
    lines += [':failed', 'echo Boot failed: ${errno}. Press a key to return to the menu.', 'prompt', 'goto start', '']
    if only_while is not None:
        lines += [':own-disk'] + OWN_DISK_LINES + ['']
    return '\n'.join(lines)
