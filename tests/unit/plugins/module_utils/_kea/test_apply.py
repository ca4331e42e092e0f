# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._kea.apply import (
    FINGERPRINT_KEY,
    HEADER,
    KeaApplyError,
    fingerprint,
    hook_libraries,
    render,
    running_digest,
    running_fingerprint,
    running_problem,
    server_key,
    with_fingerprint,
)

DOC = {'Dhcp4': {'valid-lifetime': 3600, 'subnet4': [{'id': 1, 'subnet': '10.0.0.0/24'}]}}


def test_fingerprint_ignores_key_order_and_an_earlier_fingerprint():
    reordered = {'Dhcp4': {'subnet4': [{'subnet': '10.0.0.0/24', 'id': 1}], 'valid-lifetime': 3600}}
    stamped, digest = with_fingerprint(DOC)
    assert fingerprint(reordered) == digest == fingerprint(stamped)
    assert stamped['Dhcp4']['user-context'] == {FINGERPRINT_KEY: digest}
    assert 'user-context' not in DOC['Dhcp4'], 'the input was changed'


@pytest.mark.parametrize('change', [
    {'valid-lifetime': 7200},
    {'subnet4': [{'id': 2, 'subnet': '10.0.0.0/24'}]},
    {'user-context': {'site': 'lab'}},
])
def test_fingerprint_changes_with_the_content(change):
    assert fingerprint({'Dhcp4': dict(DOC['Dhcp4'], **change)}) != fingerprint(DOC)


def test_user_context_of_the_user_is_kept():
    stamped, digest = with_fingerprint({'Dhcp4': {'user-context': {'site': 'lab'}}})
    assert stamped['Dhcp4']['user-context'] == {'site': 'lab', FINGERPRINT_KEY: digest}


def test_rendered_file_is_the_header_and_the_stamped_json():
    text, digest = render(DOC)
    assert text.startswith(HEADER)
    document = json.loads(text[len(HEADER):])
    assert document['Dhcp4']['user-context'][FINGERPRINT_KEY] == digest
    assert running_fingerprint(document, 'Dhcp4') == digest
    assert render(DOC) == (text, digest)


@pytest.mark.parametrize('document', [
    {}, {'Dhcp4': {}, 'Control-agent': {}}, {'Dhcp4': []}, [], 'Dhcp4',
])
def test_refuses_documents_without_one_server_key(document):
    with pytest.raises(KeaApplyError, match='one top-level key'):
        server_key(document)


def test_refuses_a_user_context_that_is_not_a_mapping():
    with pytest.raises(KeaApplyError, match='user-context must be a mapping'):
        with_fingerprint({'Dhcp4': {'user-context': 'x'}})


@pytest.mark.parametrize('arguments, expected', [
    ({'Dhcp4': {'user-context': {FINGERPRINT_KEY: 'abc'}}}, 'abc'),
    ({'Dhcp4': {'user-context': {'other': 1}}}, None),
    ({'Dhcp4': {'user-context': 'text'}}, None),
    ({'Dhcp4': {}}, None),
    ({}, None),
    (None, None),
])
def test_reads_the_running_fingerprint(arguments, expected):
    assert running_fingerprint(arguments, 'Dhcp4') == expected


@pytest.mark.parametrize('hooks, expected', [
    ([{'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so'},
      {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so'}],
     ['libdhcp_ha.so', 'libdhcp_lease_cmds.so']),
    ([], []),
    (None, []),
    (['not a mapping'], []),
])
def test_lists_the_running_hook_libraries(hooks, expected):
    assert hook_libraries({'Dhcp4': {'hooks-libraries': hooks}}, 'Dhcp4') == expected


RUNNING = {'Dhcp4': {'valid-lifetime': 3600, 'user-context': {FINGERPRINT_KEY: 'f1'}}}
NOTED = {'fingerprint': 'f1', 'running': running_digest(RUNNING, 'Dhcp4')}
EDITED = {'Dhcp4': {'valid-lifetime': 60, 'user-context': {FINGERPRINT_KEY: 'f1'}}}


@pytest.mark.parametrize('running, record, problem', [
    (RUNNING, NOTED, None),
    (None, NOTED, 'does not answer'),
    (RUNNING, dict(NOTED, fingerprint='f0'), 'not the one it loaded'),
    (EDITED, NOTED, 'not the one it loaded'),
    (RUNNING, None, 'not the one it loaded'),
    (RUNNING, 'garbage', 'not the one it loaded'),
    ({'Dhcp4': {'user-context': {FINGERPRINT_KEY: 'f0'}}}, NOTED, 'runs another configuration than /etc/kea/kea-dhcp4.conf'),
])
def test_tells_whether_kea_runs_the_file(running, record, problem):
    found = running_problem(running, 'Dhcp4', 'f1', record, '/etc/kea/kea-dhcp4.conf')
    assert (found is None) if problem is None else (problem in found)
