# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests of the daemons' configuration templates (nginx, tftpd-hpa, radvd): a value the
role's own checks accept adds no line, directive, block, comment or quote to the file.

The checks are read from each role's check.yml (the kinds its valid filters name, whose
patterns are defined once in _validate), so loosening a pattern makes these tests fail.
"""

from __future__ import annotations

import collections
import pathlib
import re
import subprocess
import urllib.error
import urllib.request

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import comment
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.netboot.pxe.plugins.module_utils._boot.access import machine_locations, render_nginx_access
from ansible_collections.netboot.pxe.plugins.module_utils._validate import NAMED, host_port, is_ipv4, is_ipv6

from role_data import free_port, nginx_command

ROOT = pathlib.Path(__file__).parents[3]
# Characters that end a directive, open or close a block, start a comment, quote, escape,
# substitute or break a line in nginx's, radvd's or a shell-sourced file.
SYNTAX = tuple('\n\r\x00;{}#"\'\\$`|&<>') + ('\x0b', '\x0c', '\x85', '\u2028', '\u2029')
PIECES = SYNTAX + ('a', '/', ' ', '-', '.', '0', '\t', 'é', '..')


def _role_file(role, *parts):
    path = ROOT / 'roles' / role / pathlib.Path(*parts)
    return yaml.safe_load(path.read_text()) if path.exists() else None


def preflight_patterns(role):
    """{variable: check} of the valid checks of a role's check.yml (a compiled pattern, or an address check
    with the same fullmatch)."""
    patterns = {}
    for task in _role_file(role, 'tasks', 'check.yml'):
        # A loop over a variable (a Jinja string) checks no setting by name.
        for item in task.get('loop') if isinstance(task.get('loop'), list) else []:
            named = re.search(r"valid'?, '([a-z0-9_]+)'\)|valid\('([a-z0-9_]+)'\)", item['valid'])
            if named:
                patterns[item['name']] = NAMED[named.group(1) or named.group(2)]
    return patterns


def accepts(role, variable):
    """The role's check of one value (of one list element, for list variables)."""
    if variable in ('nginx_listen_address', 'tftpd_address'):
        return lambda value: value == '' or is_ipv4(value) or is_ipv6(value)
    pattern = preflight_patterns(role)[variable]
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def render(role, template, values):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / 'roles' / role / 'templates')),
                                     trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters['comment'] = comment
    environment.filters['netboot.pxe.host_port'] = host_port
    return environment.get_template(template).render(ansible_managed='Ansible managed', **values)


def structure(text):
    """How many of each syntax character the file has: what a value must not change."""
    counts = collections.Counter(char for char in text if char in SYNTAX)
    return len(text.splitlines()), sorted(counts.items())


NGINX = {'nginx_listen_address': '10.0.0.2', 'nginx_listen_ipv6_address': 'fd00:10::2', 'nginx_listen_port': 80, 'nginx_server_name': 'netboot',
         'nginx_root': '/srv/netboot', 'nginx_autoindex': False, 'nginx_access_log': '/var/log/nginx/netboot.log',
         'nginx_allowed_networks': ['10.0.0.0/24'], 'nginx_delete_locations': ['/builds/'],
         'nginx_include_dir': '/etc/nginx/netboot.d'}
TFTPD = {'__tftpd_user': 'tftp', 'tftpd_root': '/srv/tftp', 'tftpd_address': '10.0.0.2', 'tftpd_port': 69,
         'tftpd_blocksize': 1468, 'tftpd_log_reads': True, 'tftpd_extra_options': ['--verbose']}
RADVD = {'radvd_interfaces': ['eth1'], 'radvd_default_lifetime': 0, 'radvd_dhcpv6_prefixes': ['fd00:10::/64']}
# (role, template, good values, variable): every string variable that reaches the file.
CASES = [
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_root'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_server_name'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_access_log'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_listen_address'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_listen_ipv6_address'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_allowed_networks'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_delete_locations'),
    ('nginx', 'netboot.conf.j2', NGINX, 'nginx_include_dir'),
    ('tftpd', 'tftpd-hpa.j2', TFTPD, 'tftpd_root'),
    ('tftpd', 'tftpd-hpa.j2', TFTPD, 'tftpd_address'),
    ('tftpd', 'tftpd-hpa.j2', TFTPD, 'tftpd_extra_options'),
    ('radvd', 'radvd.conf.j2', RADVD, 'radvd_interfaces'),
    ('radvd', 'radvd.conf.j2', RADVD, 'radvd_dhcpv6_prefixes'),
]


def near(example):
    """The good value with syntax characters and other pieces put in, or any short text."""
    pieces = st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map(''.join)
    spliced = st.tuples(st.integers(0, len(example)), pieces).map(lambda cut: example[:cut[0]] + cut[1] + example[cut[0]:])
    return st.one_of(st.just(example), spliced, st.text(max_size=12))


def test_every_checked_variable_has_its_pattern():
    for role, _template, _values, variable in CASES:
        if variable not in ('nginx_listen_address', 'tftpd_address'):
            assert variable in preflight_patterns(role), (role, variable)


@pytest.mark.parametrize('role, template, values, variable', CASES, ids=[case[3] for case in CASES])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_an_accepted_value_adds_no_syntax_to_the_file(role, template, values, variable, data):
    good = values[variable]
    example = good[0] if isinstance(good, list) else good
    value = data.draw(near(example))
    if not accepts(role, variable)(value):
        return
    assert not any(char in value for char in SYNTAX), f'{variable} accepts {value!r}'
    changed = dict(values, **{variable: [value] if isinstance(good, list) else value})
    assert structure(render(role, template, changed)) == structure(render(role, template, values)), value


def test_the_database_role_lets_no_client_network_of_every_address_in():
    """kea_database_clients become pg_hba.conf lines: /0 (every address) is refused."""
    client = accepts('kea_database', 'kea_database_clients')
    assert [value for value in ('10.77.40.2', '10.77.40.0/24', '10.0.0.0/8') if not client(value)] == []
    assert [value for value in ('0.0.0.0/0', '10.77.40.0/0', '10.77.40.2/33', '10.77.40.2\n') if client(value)] == []


def test_nginx_runs_the_site_and_logs_no_token(tmp_path):
    """The site as the role renders it, with the ipxe role's locations, run by nginx on loopback."""
    port = free_port()
    token = '0123456789abcdef0123456789abcdef'
    include = tmp_path / 'netboot.d'
    include.mkdir()
    (include / 'ipxe-hosts.conf').write_text(render_nginx_access(
        [machine_locations('10.0.0.50', '52-54-00-12-34-56', script=True, token=token)]))
    values = dict(NGINX, nginx_root=str(tmp_path), nginx_include_dir=str(include), nginx_access_log=str(tmp_path / 'access.log'),
                  nginx_listen_address='127.0.0.1', nginx_listen_ipv6_address='', nginx_listen_port=port, nginx_allowed_networks=['127.0.0.0/8'])
    site = render('nginx', 'netboot.conf.j2', values)
    (tmp_path / 'site.conf').write_text(site)
    command = nginx_command(tmp_path, f'include {tmp_path}/site.conf;')
    subprocess.run(command, check=True)
    try:
        statuses = []
        for path in (f'builds/{token}', f'answers/{token}/preseed.cfg', 'hosts/52-54-00-12-34-56.ipxe', 'menu.ipxe',
                     f'reports/{token}.json'):
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/{path}', timeout=5) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
    finally:
        subprocess.run(command + ['-s', 'stop'], check=False)
    # The machine's files are not this client's (127.0.0.1); the rest of the root is served as before.
    assert statuses == [403, 403, 403, 404, 403]
    log = (tmp_path / 'access.log').read_text()
    assert token not in log
    assert '"GET /builds/TOKEN HTTP/1.1" 403' in log and '"GET /answers/TOKEN/preseed.cfg HTTP/1.1" 403' in log
    assert '"GET /reports/TOKEN.json HTTP/1.1" 403' in log
