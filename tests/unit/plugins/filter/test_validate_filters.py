# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.filter import validate

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
])
def test_checks_the_whole_string(name, args, expected):
    assert FILTERS[name](*args) is expected
