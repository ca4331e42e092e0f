# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._kea.control import (
    KeaControlError,
    build_request,
    parse_response,
    send_command,
)


@pytest.mark.parametrize('command, arguments, expected', [
    ('status-get', None, {'command': 'status-get'}),
    ('config-reload', {}, {'command': 'config-reload'}),
    ('lease4-get', {'ip-address': '10.0.0.5'}, {'command': 'lease4-get', 'arguments': {'ip-address': '10.0.0.5'}}),
])
def test_build_request(command, arguments, expected):
    assert json.loads(build_request(command, arguments)) == expected


@pytest.mark.parametrize('data, expected', [
    ('{"result": 0, "text": "ok"}', {'result': 0, 'text': 'ok'}),
    ('[{"result": 3, "text": "0 IPv4 lease(s) found."}]', {'result': 3, 'text': '0 IPv4 lease(s) found.'}),
])
def test_parse_response(data, expected):
    assert parse_response(data) == expected


@pytest.mark.parametrize('data, message', [
    ('not json', 'not JSON'),
    ('{"text": "x"}', 'has no "result"'),
    ('[]', 'expected one answer'),
])
def test_parse_response_refuses(data, message):
    with pytest.raises(KeaControlError, match=message):
        parse_response(data)


class FakeKeaSocket:
    """A UNIX socket server answering like Kea: one request, one answer in chunks, then close."""

    def __init__(self, answer_chunks):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, 'kea4-ctrl-socket')
        self.answer_chunks = answer_chunks
        self.received = None
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn = self.server.accept()[0]
        with conn:
            self.received = json.loads(conn.recv(65536).decode())
            for chunk in self.answer_chunks:
                conn.sendall(chunk)
        self.server.close()


def test_send_command_reads_an_answer_sent_in_pieces():
    answer = json.dumps({'result': 0, 'arguments': {'pid': 42, 'uptime': 7}}).encode()
    kea = FakeKeaSocket([answer[:10], answer[10:]])
    assert send_command(kea.path, 'status-get') == {'result': 0, 'arguments': {'pid': 42, 'uptime': 7}}
    kea.thread.join(2)
    assert kea.received == {'command': 'status-get'}


def test_send_command_without_a_socket_names_the_path():
    with pytest.raises(KeaControlError, match='/nonexistent/kea4-ctrl-socket'):
        send_command('/nonexistent/kea4-ctrl-socket', 'status-get', timeout=1)
