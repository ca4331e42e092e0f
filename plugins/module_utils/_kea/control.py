# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Talk to a Kea server over its UNIX control socket.

Private module: its API may change without notice.
"""

from __future__ import annotations

import json
import socket

# Commands that only read state: safe to send in check mode, never "changed".
READ_ONLY_COMMANDS = frozenset((
    'build-report', 'config-get', 'config-test', 'dhcp-enable-status', 'lease4-get',
    'lease4-get-all', 'lease4-get-by-client-id', 'lease4-get-by-hostname',
    'lease4-get-by-hw-address', 'lease4-get-page', 'list-commands', 'server-tag-get',
    'statistic-get', 'statistic-get-all', 'status-get', 'subnet4-get', 'subnet4-list',
    'version-get', 'ha-heartbeat',
))


class KeaControlError(Exception):
    """The control socket could not be reached or answered something unreadable."""


def build_request(command, arguments=None):
    """Return the JSON text of one Kea control command."""
    request = {'command': command}
    if arguments:
        request['arguments'] = arguments
    return json.dumps(request)


def parse_response(data):
    """Decode Kea's answer; a command sent to several services answers a list."""
    try:
        response = json.loads(data)
    except ValueError as exc:
        raise KeaControlError(f'Kea sent an answer that is not JSON: {data[:200]!r}') from exc
    if isinstance(response, list):
        if len(response) != 1:
            raise KeaControlError(f'expected one answer from Kea, got {len(response)}')
        response = response[0]
    if not isinstance(response, dict) or 'result' not in response:
        raise KeaControlError(f'Kea answer has no "result": {response!r}')
    return response


def send_command(path, command, arguments=None, timeout=10.0):
    """Send one command to the control socket at ``path``; return Kea's answer (a dict)."""
    request = build_request(command, arguments).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    chunks = []
    try:
        sock.connect(path)
        sock.sendall(request)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            try:
                return parse_response(b''.join(chunks).decode())
            except (KeaControlError, UnicodeDecodeError):
                continue  # answer not complete yet
    except OSError as exc:
        raise KeaControlError(f'cannot talk to Kea control socket {path}: {exc}') from exc
    finally:
        sock.close()
    return parse_response(b''.join(chunks).decode(errors='replace'))
