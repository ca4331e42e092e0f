# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module kea_config against a fake Kea: its control socket, its checker and its systemd unit."""

from __future__ import annotations

import copy
import grp
import json
import os
import pwd
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import render, running_digest
from ansible_collections.netboot.pxe.plugins.module_utils._kea.control import KeaControlError
from ansible_collections.netboot.pxe.plugins.modules import kea_config

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks/'
CONFIG = {'Dhcp4': {
    'interfaces-config': {'interfaces': ['eth1']},
    'control-socket': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'},
    'hooks-libraries': [{'library': HOOKS + 'libdhcp_lease_cmds.so'},
                        {'library': HOOKS + 'libdhcp_ha.so', 'parameters': {'high-availability': []}}],
    'subnet4': [{'id': 1, 'subnet': '10.0.0.0/24', 'pools': [{'pool': '10.0.0.100 - 10.0.0.199'}]}],
}}
# Another configuration: a longer lease, without the HA hook.
NEW = {'Dhcp4': dict(CONFIG['Dhcp4'], **{'valid-lifetime': 7200, 'hooks-libraries': CONFIG['Dhcp4']['hooks-libraries'][:1]})}
PREVIOUS_HOOKS = ['libdhcp_ha.so', 'libdhcp_lease_cmds.so']
CHECKER = 'kea-dhcp4'  # a stand-in file of this name in the test's directory
SERVICE = 'kea-dhcp4-server'


class FakeKea:
    """Kea as kea_config sees it: a running Dhcp4 configuration (None while the server is down)."""

    def __init__(self, path):
        self.path = path
        self.running = None
        self.checker_refusal = None  # the checker's complaint about any file
        self.refused = None  # Kea refuses (at reload or restart) a file of this configuration
        self.ignored = None  # Kea answers success to the reload of a file of this configuration, and keeps what it runs
        self.actions = []  # 'check', 'config-reload', 'restart', in order

    def load(self):
        """Kea reads the file; config-get answers it with a default filled in and a pool rewritten."""
        with open(self.path) as handle:
            text = handle.read()
        if self.refused is not None and text == render(self.refused)[0]:
            return False
        if self.ignored is not None and text == render(self.ignored)[0]:
            return True
        running = json.loads(text.split('\n', 1)[1])['Dhcp4']
        running.setdefault('decline-probation-period', 86400)
        for subnet in running.get('subnet4', []):
            for pool in subnet.get('pools', []):
                pool['pool'] = pool['pool'].replace(' - ', '-')
        self.running = running
        return True

    def send_command(self, socket, command, arguments=None, timeout=10.0):
        if self.running is None:
            raise KeaControlError(f'cannot talk to Kea control socket {socket}: [Errno 2] No such file or directory')
        if command == 'config-get':
            return {'result': 0, 'arguments': {'Dhcp4': copy.deepcopy(self.running)}}
        assert command == 'config-reload', command
        self.actions.append(command)
        if not self.load():
            return {'result': 1, 'text': 'Config reload failed: subnet4 is not valid'}
        return {'result': 0, 'text': 'Configuration successful.'}

    def run_command(self, module, args, **kwargs):
        if args == ['systemctl', 'restart', SERVICE]:
            self.actions.append('restart')
            self.running = None
            if not self.load():
                return 1, '', f'Job for {SERVICE}.service failed because the control process exited with error code.\n'
            return 0, '', ''
        assert os.path.basename(args[0]) == CHECKER and args[1] == '-t' and len(args) == 3, args
        assert args[2] != self.path and os.path.dirname(args[2]) == module.tmpdir, 'the checker must read a temporary copy'
        with open(args[2]) as handle:
            json.loads(handle.read().split('\n', 1)[1])
        self.actions.append('check')
        if self.checker_refusal:
            return 1, f'{self.checker_refusal}\n', ''
        return 0, '', ''


@pytest.fixture
def kea(tmp_path, monkeypatch):
    fake = FakeKea(str(tmp_path / 'kea-dhcp4.conf'))
    monkeypatch.setattr(kea_config, 'send_command', fake.send_command)

    def run_command(module, args, **kwargs):  # as a method of AnsibleModule: ``module`` is the instance
        return fake.run_command(module, args, **kwargs)

    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    (tmp_path / 'tmp').mkdir()
    (tmp_path / CHECKER).write_text('')
    return fake


def run(tmp_path, capsys, config, **args):
    """Run the module on ``config``; its result."""
    module_args = {
        'config': config, 'path': str(tmp_path / 'kea-dhcp4.conf'), 'checker': str(tmp_path / CHECKER), 'service': SERVICE,
        'record': str(tmp_path / 'lib' / 'kea-dhcp4.loaded'), 'owner': pwd.getpwuid(os.getuid()).pw_name,
        'group': grp.getgrgid(os.getgid()).gr_name, 'mode': '0640', 'timeout': 0.2,
        '_ansible_tmpdir': str(tmp_path / 'tmp'),
    }
    module_args.update(args)
    with patch_module_args(module_args), pytest.raises(SystemExit):
        kea_config.main()
    return json.loads(capsys.readouterr().out)


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def applied(tmp_path, capsys, kea):
    """The state a first run leaves: CONFIG in the file, loaded by Kea and noted."""
    result = run(tmp_path, capsys, CONFIG)
    assert not result.get('failed'), result
    kea.actions.clear()


def by_hand(tmp_path, capsys, kea):
    """CONFIG applied, then the server given another configuration that keeps the file's fingerprint."""
    applied(tmp_path, capsys, kea)
    kea.running['valid-lifetime'] = 60


def stopped(tmp_path, capsys, kea):
    applied(tmp_path, capsys, kea)
    kea.running = None


def not_loaded(tmp_path, capsys, kea):
    """CONFIG applied, then NEW written by a run killed before it reloaded Kea."""
    applied(tmp_path, capsys, kea)
    (tmp_path / 'kea-dhcp4.conf').write_text(render(NEW)[0])


def mode_drift(tmp_path, capsys, kea):
    applied(tmp_path, capsys, kea)
    os.chmod(tmp_path / 'kea-dhcp4.conf', 0o600)


def mode_drift_stopped(tmp_path, capsys, kea):
    mode_drift(tmp_path, capsys, kea)
    kea.running = None


def not_noted(tmp_path, capsys, kea):
    """CONFIG applied, then the record lost."""
    applied(tmp_path, capsys, kea)
    (tmp_path / 'lib' / 'kea-dhcp4.loaded').unlink()


def missing(tmp_path, capsys, kea):
    """No file, Kea down."""


MISSING = '{path} is missing'
DIFFERS = '{path} differs from the configuration'
DOWN = 'Kea does not answer on its control socket'
MODE = 'the owner, group or mode of {path} differ'
OTHER = 'Kea runs another configuration than {path}'
BY_HAND = "Kea's running configuration is not the one it loaded from {path} (changed by hand, or not noted)"

# setup, config, extra module args, fake's behaviour,
# expected: msg (None when the module succeeds), changed, problems, applied, actions, file afterwards, Kea's configuration afterwards, previous_hooks
CASES = [
    pytest.param(missing, CONFIG, {}, {}, None, True, [MISSING, DOWN], 'restart', ['check', 'restart'], CONFIG, CONFIG, [],
                 id='first apply, Kea down: restarted'),
    pytest.param(applied, CONFIG, {}, {}, None, False, [], 'none', [], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='second run: nothing to do'),
    pytest.param(applied, NEW, {'_ansible_diff': True}, {}, None, True, [DIFFERS, OTHER], 'config-reload', ['check', 'config-reload'],
                 NEW, NEW, PREVIOUS_HOOKS, id='new configuration: reloaded'),
    pytest.param(applied, NEW, {'_ansible_check_mode': True, '_ansible_diff': True}, {}, None, True, [DIFFERS, OTHER], 'none', ['check'],
                 CONFIG, CONFIG, PREVIOUS_HOOKS, id='check mode: nothing touched'),
    pytest.param(missing, CONFIG, {'_ansible_check_mode': True}, {}, None, True, [MISSING, DOWN], 'none', ['check'], None, None, [],
                 id='check mode, first apply: nothing touched'),
    pytest.param(applied, NEW, {}, {'checker_refusal': "DHCP4_CONFIG_LOAD_FAIL configuration error: 'subnet4' is not valid"},
                 'failed to validate', True, [DIFFERS, OTHER], 'none', ['check'], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='checker refuses: file kept'),
    pytest.param(applied, NEW, {}, {'refused': NEW}, 'is back in place', True, [DIFFERS, OTHER], 'config-reload',
                 ['check', 'config-reload', 'config-reload'], CONFIG, CONFIG, PREVIOUS_HOOKS, id='Kea refuses at reload: previous file back'),
    pytest.param(stopped, NEW, {}, {'refused': NEW}, 'is back in place', True, [DIFFERS, DOWN], 'restart',
                 ['check', 'restart', 'restart'], CONFIG, CONFIG, [], id='Kea refuses at restart: previous file back'),
    pytest.param(applied, NEW, {}, {'ignored': NEW}, 'answers with another configuration than the file', True, [DIFFERS, OTHER],
                 'config-reload', ['check', 'config-reload', 'config-reload'], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='Kea keeps its configuration after a reload: previous file back'),
    pytest.param(missing, NEW, {}, {'refused': NEW}, 'no previous configuration', True, [MISSING, DOWN], 'restart',
                 ['check', 'restart'], NEW, None, [], id='Kea refuses a first apply'),
    pytest.param(by_hand, CONFIG, {}, {}, None, True, [BY_HAND], 'config-reload', ['config-reload'], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='running configuration changed by hand: reloaded'),
    pytest.param(not_noted, CONFIG, {}, {}, None, True, [BY_HAND], 'config-reload', ['config-reload'], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='record lost: reloaded and noted again'),
    pytest.param(stopped, CONFIG, {}, {}, None, True, [DOWN], 'restart', ['restart'], CONFIG, CONFIG, [],
                 id='Kea stopped: restarted without a new check'),
    pytest.param(not_loaded, NEW, {}, {}, None, True, [OTHER], 'config-reload', ['config-reload'], NEW, NEW, PREVIOUS_HOOKS,
                 id='file written but never loaded: reloaded'),
    pytest.param(mode_drift, CONFIG, {}, {}, None, True, [MODE], 'none', [], CONFIG, CONFIG, PREVIOUS_HOOKS,
                 id='mode changed on disk: mode set back'),
    pytest.param(mode_drift_stopped, CONFIG, {}, {}, None, True, [DOWN, MODE], 'restart', ['restart'], CONFIG, CONFIG, [],
                 id='mode changed on disk, Kea stopped: restarted and mode set back'),
    pytest.param(missing, CONFIG, {'mode': '0644'}, {}, 'without rights for others', False, None, None, [], None, None, None,
                 id='mode readable by others refused'),
]


@pytest.mark.parametrize('setup, config, args, behaviour, msg, changed, problems, applied_by, actions, file, running, hooks', CASES)
def test_kea_config(tmp_path, capsys, kea, setup, config, args, behaviour, msg, changed, problems, applied_by, actions, file, running, hooks):
    path = str(tmp_path / 'kea-dhcp4.conf')
    setup(tmp_path, capsys, kea)
    before = read(path)
    for name, value in behaviour.items():
        setattr(kea, name, value)

    result = run(tmp_path, capsys, config, **args)

    assert result.get('failed', False) is (msg is not None), result
    if msg is not None:
        assert msg in result['msg']
        for value in behaviour.values():
            if isinstance(value, str):
                assert value in result['msg']
    if problems is not None:
        assert result['changed'] is changed
        assert result['problems'] == [problem.format(path=path) for problem in problems]
        assert result['applied'] == applied_by
        assert result['previous_hooks'] == hooks
        assert result['fingerprint'] == render(config)[1]
    assert kea.actions == actions
    assert read(path) == (None if file is None else render(file)[0])
    if running is None:
        assert kea.running is None
    else:
        assert kea.running['user-context'] == {'netboot-fingerprint': render(running)[1]}
        assert kea.running.get('valid-lifetime') == running['Dhcp4'].get('valid-lifetime')
    if file is not None:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    if args.get('_ansible_diff'):
        # The file's diff when it changes, then what the running server differs in, if anything.
        expected = []
        if before != render(config)[0]:
            expected.append({'before_header': path, 'after_header': path, 'before': before or '', 'after': render(config)[0]})
        running_problems = [problem.format(path=path) for problem in problems or [] if problem not in (DIFFERS, MISSING, MODE)]
        expected += [{'before_header': 'Kea DHCPv4 (running)', 'after_header': 'Kea DHCPv4 (configured)',
                      'before': problem + '\n', 'after': f'runs {path} (fingerprint {render(config)[1]})\n'}
                     for problem in running_problems]
        assert result['diff'] == expected
    else:
        assert 'diff' not in result
    record = tmp_path / 'lib' / 'kea-dhcp4.loaded'
    if running is None:
        assert not record.exists()
    else:
        assert json.loads(record.read_text()) == {'fingerprint': render(running)[1],
                                                  'running': running_digest({'Dhcp4': kea.running}, 'Dhcp4')}


def test_check_mode_before_kea_is_installed(tmp_path, capsys, kea, module_warnings):
    """On a fresh server an earlier task installs Kea: check mode predicts the file without the
    checker, with a warning; a real run without the checker fails and writes nothing."""
    missing = str(tmp_path / 'not-installed' / CHECKER)
    result = run(tmp_path, capsys, CONFIG, checker=missing, _ansible_check_mode=True)
    assert (result['changed'], result['problems']) == (True, [f'{tmp_path / "kea-dhcp4.conf"} is missing', 'Kea does not answer on its control socket'])
    assert 'is not installed yet' in ' '.join(module_warnings)
    assert kea.actions == [] and not (tmp_path / 'kea-dhcp4.conf').exists()


def test_second_run_after_a_first_apply(tmp_path, capsys, kea):
    """What the first run writes and notes is what the second run finds: no problem left."""
    first = run(tmp_path, capsys, CONFIG)
    second = run(tmp_path, capsys, CONFIG)
    assert (first['changed'], second['changed'], second['problems'], second['applied']) == (True, False, [], 'none')
    assert kea.actions == ['check', 'restart']


def test_kea_refuses_the_file_it_ran(tmp_path, capsys, kea):
    """The running configuration was changed by hand and Kea now refuses the file: the task fails, nothing is rolled back."""
    by_hand(tmp_path, capsys, kea)
    kea.refused = CONFIG
    result = run(tmp_path, capsys, CONFIG)
    assert result['failed'] and 'which it did not run: Config reload failed' in result['msg']
    assert 'back in place' not in result['msg']
    assert (kea.actions, kea.running['valid-lifetime']) == (['config-reload'], 60)
    assert read(tmp_path / 'kea-dhcp4.conf') == render(CONFIG)[0]
