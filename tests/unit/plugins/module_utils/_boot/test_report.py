# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.report import (
    assigned_classes,
    memfile_leases,
    nginx_requests,
    report,
    table,
    tftp_requests,
)

MAC = '52:54:00:77:20:14'
NGINX = '''10.77.20.14 - - [30/Nov/2026:09:40:07 +0000] "GET /boot.ipxe HTTP/1.1" 200 312 "-" "iPXE/1.21.1"
10.77.20.14 - - [30/Nov/2026:09:40:08 +0000] "GET /hosts/52-54-00-77-20-14.ipxe HTTP/1.1" 404 153 "-" "iPXE/1.21.1"
10.77.20.99 - - [30/Nov/2026:09:41:00 +0000] "DELETE /builds/0123 HTTP/1.0" 204 0 "-" "-"
garbage line
'''
TFTPD = '''2026-11-30T09:40:02+0000 netboot in.tftpd[311]: RRQ from 10.77.20.14 filename snponly.efi
2026-11-30T09:40:03+0000 netboot in.tftpd[312]: RRQ from 10.77.20.14 filename autoexec.ipxe
2026-11-30T09:40:03+0000 netboot in.tftpd[312]: tftp: client does not accept options
'''
KEA = ('2026-11-30T09:40:01+0000 netboot kea-dhcp4[90]: 2026-11-30 09:40:01.5 DEBUG [kea-dhcp4.dhcpsrv/90.1] '
       f'DHCP4_CLASSES_ASSIGNED [hwtype=1 {MAC}], cid=[no info], tid=0x1: packet has been assigned to the following '
       'classes: ALL, VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003010, pxe-efi-x64, UNKNOWN\n'
       '2026-11-30T09:40:06+0000 netboot kea-dhcp4[90]: 2026-11-30 09:40:06.5 DEBUG [kea-dhcp4.dhcpsrv/90.1] '
       f'DHCP4_CLASSES_ASSIGNED [hwtype=1 {MAC}], cid=[no info], tid=0x2: packet has been assigned to the following '
       'classes: ALL, ipxe, KNOWN\n')
LEASES = [{'hw-address': MAC, 'ip-address': '10.77.20.14', 'hostname': 'lab-installer', 'cltt': 1796031601, 'valid-lft': 3600}]
BUILDS = {'52-54-00-77-20-14': {'build': 1, 'token': 'a' * 32, 'state': 'installed', 'since': '2026-11-30T10:02:00+00:00'},
          '52-54-00-77-20-15': {'build': 2, 'token': 'b' * 32, 'state': 'pending', 'since': '2026-11-30T10:03:00+00:00'}}


def test_nginx_requests():
    assert nginx_requests(NGINX) == [
        ('10.77.20.14', '2026-11-30T09:40:07+00:00', 'GET', '/boot.ipxe', 200),
        ('10.77.20.14', '2026-11-30T09:40:08+00:00', 'GET', '/hosts/52-54-00-77-20-14.ipxe', 404),
        ('10.77.20.99', '2026-11-30T09:41:00+00:00', 'DELETE', '/builds/0123', 204),
    ]


def test_tftp_requests():
    assert tftp_requests(TFTPD) == [('10.77.20.14', '2026-11-30T09:40:02+00:00', 'snponly.efi'),
                                    ('10.77.20.14', '2026-11-30T09:40:03+00:00', 'autoexec.ipxe')]


def test_assigned_classes_gathers_every_packet_and_drops_the_generic_ones():
    assert assigned_classes(KEA) == {MAC: ('2026-11-30T09:40:06+00:00', ['pxe-efi-x64', 'ipxe'])}


@pytest.mark.parametrize('text, leases', [
    ('address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n'
     f'10.77.20.14,{MAC},,3600,1796035201,1,0,0,,0,,0\n'
     f'10.77.20.14,{MAC},,3600,1796038801,1,0,0,lab,0,,0\n'
     '10.77.20.15,52:54:00:77:20:15,,0,1796035201,1,0,0,,0,,0\n'
     '10.77.20.16,52:54:00:77:20:16,,3600,1796035201,1,0,0,,2,,0\n',
     [{'ip-address': '10.77.20.14', 'hw-address': MAC, 'hostname': 'lab', 'cltt': 1796035201, 'valid-lft': 3600}]),
    ('', []),
])
def test_memfile_leases_takes_the_last_row_of_each_live_lease(text, leases):
    assert memfile_leases(text) == leases


TOKEN = '0123456789abcdef0123456789abcdef'


def test_build_tokens_in_the_logs_are_not_reported():
    nginx = (f'10.77.20.14 - - [30/Nov/2026:09:50:00 +0000] "GET /answers/{TOKEN}/preseed.cfg HTTP/1.1" 200 900 "-" "Wget"\n'
             f'10.77.20.14 - - [30/Nov/2026:10:01:00 +0000] "DELETE /builds/{TOKEN} HTTP/1.1" 204 0 "-" "curl"\n')
    tftpd = f'2026-11-30T09:40:02+0000 netboot in.tftpd[311]: RRQ from 10.77.20.14 filename answers/{TOKEN}/x\n'
    machines = report(LEASES, BUILDS, nginx_requests(nginx), tftp_requests(tftpd), {})
    assert [item['path'] for item in machines[MAC]['http']] == ['/answers/0123…/preseed.cfg', '/builds/0123…']
    assert [item['file'] for item in machines[MAC]['tftp']] == ['answers/0123…/x']
    # Nor the builds' own tokens.
    shown = repr(machines) + '\n'.join(table(machines))
    assert TOKEN not in shown and 'a' * 32 not in shown and 'b' * 32 not in shown


def test_report_matches_files_to_machines_by_their_lease():
    machines = report(LEASES, BUILDS, nginx_requests(NGINX), tftp_requests(TFTPD), assigned_classes(KEA))
    assert list(machines) == [MAC, '52:54:00:77:20:15']
    installer = machines[MAC]
    expected = ('10.77.20.14', 'lab-installer', ['pxe-efi-x64', 'ipxe'])
    assert (installer['address'], installer['hostname'], installer['classes']) == expected
    assert installer['lease_ends'] == '2026-11-30T10:40:01+00:00'  # cltt + valid-lft
    assert [item['file'] for item in installer['tftp']] == ['snponly.efi', 'autoexec.ipxe']
    assert [(item['path'], item['status']) for item in installer['http']] == [
        ('/boot.ipxe', 200), ('/hosts/52-54-00-77-20-14.ipxe', 404)]
    assert installer['build'] == {'build': 1, 'state': 'installed', 'since': '2026-11-30T10:02:00+00:00'}
    pending = machines['52:54:00:77:20:15']
    assert (pending['address'], pending['http'], pending['build']['state']) == ('', [], 'pending')


def test_table_has_a_row_per_machine():
    machines = report(LEASES, BUILDS, nginx_requests(NGINX), tftp_requests(TFTPD), assigned_classes(KEA))
    lines = table(machines)
    assert lines[0].split() == ['MAC', 'ADDRESS', 'CLASSES', 'TFTP', 'HTTP', 'LAST', 'FETCH', 'BUILD']
    assert lines[1].split() == [MAC, '10.77.20.14', 'pxe-efi-x64,ipxe', 'snponly.efi,autoexec.ipxe', '2', '2026-11-30T09:40:08+00:00',
                                '1', 'installed', 'since', '2026-11-30T10:02:00+00:00']
    assert lines[2].split() == ['52:54:00:77:20:15', '-', '-', '-', '0', '-', '2', 'pending', 'since', '2026-11-30T10:03:00+00:00']
