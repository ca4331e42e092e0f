# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.netboot.pxe.plugins.filter import validate
from ansible_collections.netboot.pxe.plugins.module_utils._validate import NAMED

FILTERS = validate.FilterModule().filters()


@pytest.mark.parametrize('name, args, expected', [
    ('whole_match', ('69', '[0-9]+'), True),
    ('whole_match', ('69\n', '[0-9]+'), False),
    ('whole_match', ('/srv/tftp', '/[A-Za-z0-9._+/-]*'), True),
    ('whole_match', ('/srv/tftp"\nTFTP_OPTIONS="--create', '/[A-Za-z0-9._+/-]*'), False),
    ('whole_match', ('--create', '--verbose|-v|--timeout=[0-9]{1,4}'), False),
    ('whole_match', ('--timeout=5', '--verbose|-v|--timeout=[0-9]{1,4}'), True),
    ('single_line', ('Debian 13',), True),
    ('single_line', ('Debian\n13',), False),
    ('ipv4', ('10.77.13.2',), True),
    ('ipv4', ('10.77.13.2\n',), False),
    ('ipv4', ('999.1.1.1',), False),
    ('valid', ('69', 'digits'), True),
    ('valid', ('69\n', 'digits'), False),
    ('valid', (69, 'digits'), False),
    ('valid', ('/srv/tftp', 'config_path'), True),
    ('valid', ('/srv/tftp"\nTFTP_OPTIONS="--create', 'config_path'), False),
    ('valid', ('--create', 'tftpd_option'), False),
    ('valid', ('--timeout=5', 'tftpd_option'), True),
    ('valid', ('--port-range=4000:4100', 'tftpd_option'), True),
    ('valid', ('--timeout=5 --create', 'tftpd_option'), False),
    ('valid', ('10.0.0.0/24', 'ipv4_network'), True),
    ('valid', ('10.0.0.0', 'ipv4_network'), False),
    ('valid', ('10.0.0.0/33', 'ipv4_network'), False),
    ('valid', ('10.0.0.5', 'ipv4_host_or_network'), True),
    ('valid', ('10.0.0.0/8', 'ipv4_host_or_network'), True),
    ('valid', ('10.0.0.0/08', 'ipv4_host_or_network'), False),
    ('valid', ('10.0.0.5', 'ipv4_client'), True),
    ('valid', ('10.0.0.0/24', 'ipv4_client'), True),
    ('valid', ('0.0.0.0/0', 'ipv4_client'), False),
    ('valid', ('kea_leases', 'sql_name'), True),
    ('valid', ('Kea', 'sql_name'), False),
    ('valid', ('/builds/', 'nginx_location'), True),
    ('valid', ('/a/b/', 'nginx_location'), False),
    ('valid', ('netboot *.lab', 'nginx_server_names'), True),
    ('valid', ('netboot;', 'nginx_server_names'), False),
    ('valid', ('http://deb.debian.org/debian', 'mirror_url'), True),
    ('valid', ('http://deb.debian.org/debian trixie main', 'mirror_url'), False),
    ('valid', ('file:///srv/ipxe.efi', 'fetch_url'), True),
    ('valid', ('ftp://a/ipxe.efi', 'fetch_url'), False),
    ('valid', ('ipxe.efi', 'binary_name'), True),
    ('valid', ('../ipxe.efi', 'binary_name'), False),
])
def test_checks_the_whole_string(name, args, expected):
    assert FILTERS[name](*args) is expected


@pytest.mark.parametrize('args, expected', [
    (('fd00:10::2', 69), '[fd00:10::2]:69'),
    (('10.0.0.2', 80), '10.0.0.2:80'),
    (('', 69), '*:69'),
    (('', 69, ''), ':69'),
    (('', 3142, '0.0.0.0'), '0.0.0.0:3142'),
])
def test_host_port_writes_an_ipv6_address_in_brackets(args, expected):
    assert FILTERS['host_port'](*args) == expected


def test_valid_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="no shared pattern named 'port'"):
        FILTERS['valid']('69', 'port')


def test_valid_documents_every_kind():
    doc = yaml.safe_load((pathlib.Path(validate.__file__).parent / 'valid.yml').read_text())
    kinds = doc['DOCUMENTATION']['options']['kind']
    assert kinds['choices'] == sorted(NAMED)
    assert all(f'V({kind})' in ' '.join(kinds['description']) for kind in NAMED)


@pytest.mark.parametrize('deprecated, kind', [('ipv4', 'ipv4'), ('single_line', 'single_line')])
@pytest.mark.parametrize('value', ['10.77.13.2', '10.77.13.2\n', '999.1.1.1', '010.0.0.1', 'Debian 13', 'Debian\n13',
                                   'tab\there', 'line\u2028separator', '', None, 42])
def test_valid_replaces_the_deprecated_filters(deprecated, kind, value):
    """meta/runtime.yml names valid(<kind>) as the replacement of the deprecated ipv4 and single_line."""
    assert FILTERS[deprecated](value) is FILTERS['valid'](value, kind)
