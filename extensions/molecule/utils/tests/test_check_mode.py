"""Check mode with --diff on a running server: shows what would change, changes nothing."""

import json
import re

from conftest import managed_files
from netboot_checks import run_site


def test_check_diff_reports_changes_without_making_them(server):
    before = managed_files(server)
    kea_pid = server.check_output('pidof kea-dhcp4')
    changes = {'ipxe_menu_timeout': 7, 'kea_dhcp4_valid_lifetime': 7200}
    result = run_site('--check', '--diff', '-e', json.dumps(changes))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert '+choose --default local --timeout 7000 selected || goto start' in result.stdout
    assert re.search(r'^\+\s+"valid-lifetime": 7200$', result.stdout, re.MULTILINE)
    assert managed_files(server) == before
    assert server.check_output('pidof kea-dhcp4') == kea_pid
