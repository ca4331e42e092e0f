"""Check mode with --diff on a running server: shows what would change, changes nothing."""

import json
import os
import re
import subprocess

MANAGED = ['/etc/kea/kea-dhcp4.conf', '/etc/default/tftpd-hpa', '/etc/nginx/sites-available/netboot.conf',
           '/srv/netboot/boot.ipxe', '/srv/netboot/menu.ipxe']
CONVERGE = os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'molecule', 'resources', 'converge.yml')


def test_check_diff_reports_changes_without_making_them(server):
    before = server.check_output('sha256sum ' + ' '.join(MANAGED))
    kea_pid = server.check_output('pidof kea-dhcp4')
    changes = {'ipxe_menu_timeout': 7, 'kea_dhcp4_valid_lifetime': 7200}
    result = subprocess.run(
        ['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], CONVERGE,
         '--check', '--diff', '-e', json.dumps(changes)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert '+choose --default local --timeout 7000 selected || goto start' in result.stdout
    assert re.search(r'^\+\s+"valid-lifetime": 7200$', result.stdout, re.MULTILINE)
    assert server.check_output('sha256sum ' + ' '.join(MANAGED)) == before
    assert server.check_output('pidof kea-dhcp4') == kea_pid
