# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.modules import kea_command


def run(monkeypatch, capsys, args, answer=None):
    """Run the module with ``args``; Kea answers ``answer``. Return (result, sent commands)."""
    sent = []

    def fake_send(path, command, arguments=None, timeout=10.0):
        sent.append((path, command, arguments))
        return answer

    monkeypatch.setattr(kea_command, 'send_command', fake_send)
    with patch_module_args(args), pytest.raises(SystemExit):
        kea_command.main()
    return json.loads(capsys.readouterr().out), sent


@pytest.mark.parametrize('args, answer, failed, changed, sent', [
    ({'command': 'status-get'}, {'result': 0, 'arguments': {'pid': 1}}, False, False, True),
    ({'command': 'config-reload'}, {'result': 0, 'text': 'Configuration successful.'}, False, True, True),
    ({'command': 'lease4-get-all'}, {'result': 3, 'text': '0 IPv4 lease(s) found.'}, False, False, True),
    ({'command': 'config-reload'}, {'result': 1, 'text': 'Config reload failed'}, True, True, True),
    ({'command': 'nonsense'}, {'result': 2, 'text': "'nonsense' command not supported."}, True, True, True),
    ({'command': 'config-reload', '_ansible_check_mode': True}, None, False, True, False),
    ({'command': 'status-get', '_ansible_check_mode': True}, {'result': 0}, False, False, True),
])
def test_result_changed_and_check_mode(monkeypatch, capsys, args, answer, failed, changed, sent):
    result, commands = run(monkeypatch, capsys, args, answer)
    assert result.get('failed', False) is failed
    assert result['changed'] is changed
    assert bool(commands) is sent
    if failed:
        assert answer['text'] in result['msg']
    if commands:
        assert commands == [('/run/kea/kea4-ctrl-socket', args['command'], None)]
        assert result['result'] == answer['result']
