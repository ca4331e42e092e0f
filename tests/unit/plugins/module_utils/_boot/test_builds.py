# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import itertools

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.builds import (
    BuildError,
    check_hosts,
    check_renew,
    check_state,
    marker_content,
    mask_tokens,
    next_state,
)

A, B = '52-54-00-00-00-0a', '52-54-00-00-00-0b'
T1, T2, T3 = 'a' * 32, 'b' * 32, 'c' * 32
THEN, NOW = '2026-11-30T08:00:00+00:00', '2026-11-30T09:00:00+00:00'


def record(build, token, state, since=THEN):
    return {'build': build, 'token': token, 'state': state, 'since': since}


def tokens():
    counter = itertools.count(1)
    return lambda: f'{next(counter):032x}'


@pytest.mark.parametrize('previous, builds, markers, records, create, remove, events', [
    pytest.param({}, {A: 1}, set(), {A: record(1, f'{1:032x}', 'pending', NOW)}, [f'{1:032x}'], [],
                 [f'{A}: build 1 pending'], id='new-machine'),
    pytest.param({A: record(1, T1, 'pending')}, {A: 1}, {T1}, {A: record(1, T1, 'pending')}, [], [], [],
                 id='still-pending'),
    pytest.param({A: record(1, T1, 'pending')}, {A: 1}, set(), {A: record(1, T1, 'installed', NOW)}, [], [],
                 [f'{A}: build 1 installed'], id='completion-reported'),
    pytest.param({A: record(1, T1, 'installed')}, {A: 1}, set(), {A: record(1, T1, 'installed')}, [], [], [],
                 id='installed-stays'),
    pytest.param({A: record(1, T1, 'installed')}, {A: 2}, set(), {A: record(2, f'{1:032x}', 'pending', NOW)},
                 [f'{1:032x}'], [], [f'{A}: build 2 pending (was build 1)'], id='reinstall-new-token'),
    pytest.param({A: record(1, T1, 'pending')}, {A: 2}, {T1}, {A: record(2, f'{1:032x}', 'pending', NOW)},
                 [f'{1:032x}'], [T1], [f'{A}: build 2 pending (was build 1)'], id='reinstall-while-pending'),
    pytest.param({A: record(1, T1, 'pending'), B: record(1, T2, 'installed')}, {}, {T1}, {}, [], [T1],
                 [f'{A}: no longer listed', f'{B}: no longer listed'], id='machines-removed'),
    pytest.param({A: record(1, T1, 'pending')}, {A: 1}, {T1, T3}, {A: record(1, T1, 'pending')}, [], [T3], [],
                 id='stray-marker'),
])
def test_next_state(previous, builds, markers, records, create, remove, events):
    assert next_state(previous, builds, markers, NOW, tokens()) == (records, create, remove, events)


@pytest.mark.parametrize('previous, markers, create, remove, event', [
    pytest.param({A: record(1, T1, 'installed')}, set(), [f'{1:032x}'], [],
                 f'{A}: build 1 pending again under a new token (was installed)', id='installed'),
    pytest.param({A: record(1, T1, 'pending')}, {T1}, [f'{1:032x}'], [T1],
                 f'{A}: build 1 pending again under a new token (was pending)', id='pending'),
    pytest.param({A: record(1, T1, 'pending')}, set(), [f'{1:032x}'], [],
                 f'{A}: build 1 pending again under a new token (was installed)', id='installed-not-yet-recorded'),
])
def test_renew_starts_the_build_again_under_a_new_token(previous, markers, create, remove, event):
    previous = dict(previous, **{B: record(1, T2, 'pending')})
    records, created, removed, events = next_state(previous, {A: 1, B: 1}, markers | {T2}, NOW, tokens(), renew=[A])
    assert records == {A: record(1, f'{1:032x}', 'pending', NOW), B: record(1, T2, 'pending')}
    assert created == create and removed == remove and events == [event]


def test_renew_of_a_new_build_makes_one_token():
    records, create, _remove, events = next_state({}, {A: 2}, set(), NOW, tokens(), renew=[A])
    assert records == {A: record(2, f'{1:032x}', 'pending', NOW)} and create == [f'{1:032x}']
    assert events == [f'{A}: build 2 pending']


@pytest.mark.parametrize('renew, message', [
    ('52-54-00-00-00-0a', "renew must be a list of MACs with hyphens, got '52-54-00-00-00-0a'"),
    (['52:54:00:00:00:0a'], "renew: '52:54:00:00:00:0a' is not a MAC with hyphens like 52-54-00-12-34-56"),
    ([B], f'renew: {B} is not among the machines that install (hosts)'),
])
def test_check_renew_refuses(renew, message):
    with pytest.raises(BuildError) as error:
        check_renew(renew, {A: 1})
    assert str(error.value) == message


def test_check_renew_takes_listed_machines_once():
    assert check_renew([A, A], {A: 1}) == [A]
    assert check_renew([], {}) == []


@pytest.mark.parametrize('hosts, message', [
    ('x', "hosts must be a mapping of MAC (with hyphens) to build number, got 'x'"),
    ([{'key': A, 'build': 1}], 'hosts must be a mapping'),
    ({'52:54:00:00:00:0a': 1}, "hosts: '52:54:00:00:00:0a' is not a MAC with hyphens"),
    ({A + '\n': 1}, "hosts: '52-54-00-00-00-0a\\n' is not a MAC with hyphens"),
    ({A: 0}, f"hosts['{A}'] must be a whole number >= 1, got 0"),
    ({A: True}, f"hosts['{A}'] must be a whole number >= 1, got True"),
    ({A: '2'}, f"hosts['{A}'] must be a whole number >= 1, got '2'"),
])
def test_check_hosts_refuses(hosts, message):
    with pytest.raises(BuildError) as error:
        check_hosts(hosts)
    assert str(error.value).startswith(message)


def test_check_hosts_takes_builds():
    assert check_hosts({A: 1, B: 7}) == {A: 1, B: 7}


@pytest.mark.parametrize('state', [
    [], {A: {'build': 1}}, {A: record(1, 'short', 'pending')}, {A: record(1, T1, 'done')}, {'x': record(1, T1, 'pending')},
])
def test_check_state_refuses(state):
    with pytest.raises(BuildError):
        check_state(state, '/var/lib/netboot-pxe/builds.json')


def test_a_refused_state_record_is_named_without_its_token():
    with pytest.raises(BuildError) as error:
        check_state({A: record(1, T1, 'done')}, '/var/lib/netboot-pxe/builds.json')
    assert A in str(error.value) and T1 not in str(error.value) and 'aaaa…' in str(error.value)


@pytest.mark.parametrize('text, shown', [
    ('answers/0123456789abcdef0123456789abcdef/preseed.cfg', 'answers/0123…/preseed.cfg'),
    ('/builds/0123456789abcdef0123456789abcdef', '/builds/0123…'),
    ("'token': 'ffffffffffffffffffffffffffffffff', 'x': 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'", "'token': 'ffff…', 'x': 'eeee…'"),
    # Not a token: fewer or more digits, upper case, a MAC.
    ('/builds/0123', '/builds/0123'),
    ('sha1 0123456789abcdef0123456789abcdef01234567', 'sha1 0123456789abcdef0123456789abcdef01234567'),
    ('0123456789ABCDEF0123456789ABCDEF', '0123456789ABCDEF0123456789ABCDEF'),
    ('hosts/52-54-00-00-00-0a.ipxe', 'hosts/52-54-00-00-00-0a.ipxe'),
])
def test_tokens_are_shown_by_their_first_four_digits(text, shown):
    assert mask_tokens(text) == shown


def test_the_marker_is_a_grub_environment_block():
    token = '0123456789abcdef0123456789abcdef'
    content = marker_content(token)
    assert len(content) == 1024
    assert content.startswith(b'# GRUB Environment Block\nnetboot_pending=0123456789abcdef0123456789abcdef\n##')
    assert set(content[len('# GRUB Environment Block\nnetboot_pending=\n') + 32:]) == {ord('#')}


@pytest.mark.parametrize('token', ['', '0123', 'G123456789abcdef0123456789abcdef', None, '0123456789abcdef0123456789abcdef\n'])
def test_a_marker_needs_a_token(token):
    with pytest.raises(BuildError) as error:
        marker_content(token)
    assert str(error.value) == f'a build token is 32 hexadecimal digits, got {token!r}'
