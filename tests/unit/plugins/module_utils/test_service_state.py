# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils import _service_state
from ansible_collections.netboot.pxe.plugins.module_utils._service_state import (
    ServiceStateError,
    format_listen,
    listen_drift,
    parse_listen,
    parse_proc_net,
    parse_show,
    stale_files,
)


@pytest.mark.parametrize('text, expected', [
    ('tcp/10.0.0.2:80', ('tcp', '10.0.0.2', 80)),
    ('udp/10.0.0.2:69', ('udp', '10.0.0.2', 69)),
    ('udp/*:69', ('udp', '*', 69)),
    ('tcp/[::]:80', ('tcp', '::', 80)),
    ('tcp/[fd00::0002]:8000', ('tcp', 'fd00::2', 8000)),
    ('tcp/0.0.0.0:65535', ('tcp', '0.0.0.0', 65535)),
])
def test_parses_listen_entries(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize('text', [
    'tcp/10.0.0.2:80\n', 'sctp/10.0.0.2:80', 'tcp/10.0.0.256:80', 'tcp/10.0.0.2:0', 'tcp/10.0.0.2:65536',
    'tcp/10.0.0.2', '10.0.0.2:80', 'tcp/::1:80', 'tcp/[zz::1]:80', '', None, 80,
])
def test_refuses_malformed_listen_entries(text):
    with pytest.raises(ServiceStateError, match='listen entr'):
        parse_listen(text)


@pytest.mark.parametrize('sock, text', [
    (('tcp', '10.0.0.2', 80), 'tcp/10.0.0.2:80'),
    (('udp', '::', 69), 'udp/[::]:69'),
])
def test_formats_sockets(sock, text):
    assert format_listen(*sock) == text
    assert parse_listen(text) == sock


TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 020D4D0A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4101 1 0 100 0 0 10 0
   1: 0100007F:1F40 0200007F:C350 01 00000000:00000000 00:00000000 00000000   102        0 4102 1 0 20 4 30 10 -1
"""
TCP6 = """  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4103 1 0 100 0 0 10 0
"""
UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
13414: 020D4D0A:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000   102        0 35219 2 0 0
13416: 00000000:0045 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 33771 2 0 0
"""


@pytest.mark.parametrize('text, proto, expected', [
    (TCP, 'tcp', {'4101': (('tcp', '10.77.13.2', 80), 0)}),
    (TCP6, 'tcp', {'4103': (('tcp', '::', 80), 0)}),
    (UDP, 'udp', {'35219': (('udp', '10.77.13.2', 67), 102), '33771': (('udp', '0.0.0.0', 69), 0)}),
    (TCP.splitlines()[0], 'tcp', {}),
])
def test_reads_listening_sockets_from_proc_net(text, proto, expected):
    assert parse_proc_net(text, proto) == expected


ADDR = ('tcp', '10.0.0.2', 80)
WILD = ('tcp', '0.0.0.0', 80)
WILD6 = ('tcp', '::', 80)
OTHER_PORT = ('tcp', '0.0.0.0', 8080)


@pytest.mark.parametrize('actual, expected, problems', [
    ({ADDR}, {ADDR}, []),
    ({ADDR, OTHER_PORT}, {ADDR}, []),
    ({WILD, WILD6}, {ADDR}, ['does not listen on tcp/10.0.0.2:80',
                             'listens on tcp/0.0.0.0:80, which its configuration does not name',
                             'listens on tcp/[::]:80, which its configuration does not name']),
    (set(), {ADDR}, ['does not listen on tcp/10.0.0.2:80']),
    ({ADDR, WILD}, {ADDR}, ['listens on tcp/0.0.0.0:80, which its configuration does not name']),
    ({WILD, WILD6}, {('tcp', '*', 80)}, []),
    ({OTHER_PORT}, {('tcp', '*', 80)}, ['does not listen on tcp port 80']),
    ({('udp', '10.0.0.2', 80)}, {ADDR}, ['does not listen on tcp/10.0.0.2:80']),
    ({WILD}, set(), []),
])
def test_compares_listening_sockets_on_the_named_ports(actual, expected, problems):
    assert listen_drift(actual, expected) == problems


@pytest.mark.parametrize('changes, started, stale', [
    ({'/etc/a': 100.0, '/etc/b': 50.0}, 100.5, []),
    ({'/etc/a': 100.0, '/etc/b': 200.0}, 100.5, ['/etc/b']),
    ({'/etc/a': 100.5}, 100.5, ['/etc/a']),
    ({'/etc/gone': None}, 100.5, []),
    ({'/etc/b': 1.0, '/etc/a': 1.0}, 0, ['/etc/a', '/etc/b']),
    ({}, 100.0, []),
])
def test_finds_files_changed_since_the_service_started(changes, started, stale):
    assert stale_files(changes, started) == stale


def test_parses_systemctl_show():
    text = 'LoadState=loaded\nActiveState=active\nControlGroup=/system.slice/nginx.service\nExecStart=a=b\n'
    assert parse_show(text) == {'LoadState': 'loaded', 'ActiveState': 'active',
                                'ControlGroup': '/system.slice/nginx.service', 'ExecStart': 'a=b'}


@pytest.mark.parametrize('readable, start_uid, expected', [
    (True, 0, ({'4242'}, set())),
    # Not dumpable (its descriptors cannot be read): its own user, and the user its unit starts it as.
    (False, None, (set(), {107})),
    (False, 0, (set(), {107, 0})),
    (False, 107, (set(), {107})),
])
def test_a_process_whose_descriptors_cannot_be_read_is_known_by_its_users(monkeypatch, readable, start_uid, expected):
    def readlink(path):
        if not readable:
            raise PermissionError(path)
        return 'socket:[4242]'
    monkeypatch.setattr(_service_state.os, 'listdir', lambda path: ['3'])
    monkeypatch.setattr(_service_state.os, 'readlink', readlink)
    monkeypatch.setattr(_service_state, '_process_uid', lambda pid: 107)
    assert _service_state.process_sockets([1], start_uid) == expected
