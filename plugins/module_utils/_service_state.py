# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a systemd service runs, compared with what is on disk: whether it is enabled and
active, whether it started after its configuration files last changed, and which sockets
its processes listen on.

Private module: its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import struct

# /proc/net socket states: TCP LISTEN, and UDP's "closed" (0x07), which is every bound UDP socket.
_LISTEN_STATE = {'tcp': '0A', 'udp': '07'}
_SOCKET_LINK = re.compile(r'socket:\[([0-9]+)\]')
_LISTEN = re.compile(r'(tcp|udp)/(\[[0-9a-fA-F:.]+\]|[0-9.]+|\*):([0-9]{1,5})')
# Unit file states that need no "systemctl enable".
ENABLED_STATES = frozenset(('enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated'))


class ServiceStateError(ValueError):
    """A malformed expectation, or state that cannot be read."""


def parse_listen(value):
    """Return (proto, address, port) of ``tcp/10.0.0.2:80``, ``udp/*:69`` or ``tcp/[::]:80``."""
    match = _LISTEN.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ServiceStateError(f'listen entries look like tcp/10.0.0.2:80, udp/*:69 or tcp/[::]:80, got {value!r}')
    proto, address, port = match.groups()
    if address != '*':
        try:
            address = str(ipaddress.ip_address(address.strip('[]')))
        except ValueError as exc:
            raise ServiceStateError(f'listen entry {value!r} has no valid IP address') from exc
    if not 0 < int(port) < 65536:
        raise ServiceStateError(f'listen entry {value!r} has no valid port')
    return proto, address, int(port)


def format_listen(proto, address, port):
    """The text form of a socket: ``tcp/10.0.0.2:80``, ``tcp/[::]:80``."""
    shown = f'[{address}]' if ':' in address else address
    return f'{proto}/{shown}:{port}'


def _hex_address(text):
    """Decode the address of /proc/net/{tcp,udp}[6]: host-order 32-bit words in hex."""
    raw = bytes.fromhex(text)
    words = struct.unpack(f'<{len(raw) // 4}I', raw)
    packed = struct.pack(f'>{len(words)}I', *words)
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return str(ipaddress.ip_address(socket.inet_ntop(family, packed)))


def parse_proc_net(text, proto):
    """Return {inode: ((proto, address, port), uid)} of the listening sockets in a /proc/net table."""
    found = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN_STATE[proto]:
            continue
        address, port = fields[1].split(':')
        found[fields[9]] = ((proto, _hex_address(address), int(port, 16)), int(fields[7]))
    return found


def listen_drift(actual, expected):
    """Problems between the sockets a service listens on and the ones it should.

    On every (protocol, port) that ``expected`` names, the service must listen on exactly
    the expected addresses; other ports are not compared. An expected address ``*`` only asks
    for some socket on that port. Both are sets of (proto, address, port).
    """
    problems = []
    anywhere = {(proto, port) for proto, address, port in expected if address == '*'}
    for proto, port in sorted(anywhere):
        if not any((sock[0], sock[2]) == (proto, port) for sock in actual):
            problems.append(f'does not listen on {proto} port {port}')
    exact = {sock for sock in expected if (sock[0], sock[2]) not in anywhere}
    ports = {(proto, port) for proto, _address, port in exact}
    relevant = {sock for sock in actual if (sock[0], sock[2]) in ports}
    for sock in sorted(exact - relevant):
        problems.append(f'does not listen on {format_listen(*sock)}')
    for sock in sorted(relevant - exact):
        problems.append(f'listens on {format_listen(*sock)}, which its configuration does not name')
    return problems


def unloaded_dropins(config_files, name, loaded):
    """The systemd drop-ins of the unit ``name`` among ``config_files`` that the unit has not loaded:
    not in ``loaded`` (its DropInPaths, space-separated). systemd reports no NeedDaemonReload for a
    drop-in directory it never saw: a restart alone would run the unit without them."""
    unit = name if '.' in name else f'{name}.service'
    directory = f'/etc/systemd/system/{unit}.d/'
    present = set((loaded or '').split())
    return [path for path in config_files if path.startswith(directory) and path.endswith('.conf') and path not in present]


def stale_files(changes, started):
    """The files of ``changes`` ({path: change time, None when absent}) that changed at or after ``started``."""
    return sorted(path for path, changed in changes.items() if changed is not None and changed >= started)


def parse_show(text):
    """Parse ``systemctl show`` output (KEY=value lines) into a dict."""
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)


# Below: reading the live system.

def change_time(path):
    """Latest change of ``path`` (and, for a symbolic link, of its target): max of mtime and ctime.

    ctime cannot be set back by a copy that keeps times; None when the path does not exist.
    """
    times = []
    for stat in (os.lstat, os.stat):
        try:
            result = stat(path)
        except OSError:
            continue
        times += [result.st_mtime, result.st_ctime]
    return max(times) if times else None


def unit_pids(control_group):
    """PIDs in a unit's cgroup (cgroup v2, or the v1 systemd hierarchy)."""
    if not control_group:
        return []
    for root in ('/sys/fs/cgroup', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'):
        path = os.path.join(root, control_group.lstrip('/'), 'cgroup.procs')
        try:
            with open(path) as procs:
                return [int(pid) for pid in procs.read().split()]
        except OSError:
            continue
    return []


def _process_uid(pid):
    try:
        with open(f'/proc/{pid}/status') as status:
            for line in status:
                if line.startswith('Uid:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def process_sockets(pids, start_uid=None):
    """(socket inodes, uids) of the processes ``pids``.

    A process whose descriptors cannot be read (Kea, which holds capabilities, is not
    dumpable) is represented by its user id instead, when that is not root, and by
    ``start_uid``, the user its unit starts it as, when given: a daemon that opens its sockets
    before it drops privileges (dnsmasq) leaves them owned by that user.
    """
    inodes, uids = set(), set()
    for pid in pids:
        fd_dir = f'/proc/{pid}/fd'
        try:
            names = os.listdir(fd_dir)
        except OSError:
            continue
        unreadable = False
        for name in names:
            try:
                match = _SOCKET_LINK.fullmatch(os.readlink(os.path.join(fd_dir, name)))
            except PermissionError:
                unreadable = True
                continue
            except OSError:
                continue
            if match:
                inodes.add(match.group(1))
        uid = _process_uid(pid) if unreadable else None
        if uid:
            uids.add(uid)
        if unreadable and start_uid is not None:
            uids.add(start_uid)
    return inodes, uids


def listening_sockets(pids, start_uid=None):
    """Set of (proto, address, port) the processes ``pids`` listen on (TCP) or are bound to (UDP);
    ``start_uid`` as in ``process_sockets``."""
    table = {}
    for proto in ('tcp', 'udp'):
        for suffix in ('', '6'):
            try:
                with open(f'/proc/net/{proto}{suffix}') as data:
                    table.update(parse_proc_net(data.read(), proto))
            except OSError:
                continue
    inodes, uids = process_sockets(pids, start_uid)
    return {sock for inode, (sock, uid) in table.items() if inode in inodes or uid in uids}
