"""Secure Boot on a Debian 12 server (the debian12 scenario): Debian 12's own signed network GRUB
(2.06) cannot fetch over HTTP, so the server serves Debian 13's signed shim and GRUB, which apt
fetches through private package lists (the server's own sources stay Debian 12's). A machine
with Secure Boot enforced boots through them to its own GRUB menu and a signed kernel; with
netboot_secure_boot, another boots the shim by UEFI HTTP boot."""

import json
import os
import re
import sys
import time

import pytest

from netboot_checks import dhcp_exchange, run_site

sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'tests', 'boot'))

from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'debian12',
                                reason='Secure Boot on a Debian 12 server is tested in the debian12 scenario')
MAC, KEY = '52:54:00:12:00:53', '52-54-00-12-00-53'
MARKER = 'NETBOOT-PXE-GUEST-UP'


def test_the_signed_boot_files_are_debian_13s_and_the_servers_sources_stay_debian_12s(server):
    grub = server.check_output('grep -a -o "grub.debian13,[^,]*,Debian,grub2,[^,]*" /srv/tftp/grubx64.efi')
    assert re.fullmatch(r'grub\.debian13,\d+,Debian,grub2,2\.12\S*', grub), grub
    # The shim unpacked is the version of Debian 13's lists, which the server's own apt does not know.
    private = ('-o Dir::Etc::SourceList=/var/cache/netboot-pxe/apt/sources.list -o Dir::Etc::SourceParts=/nonexistent '
               '-o Dir::State::Lists=/var/cache/netboot-pxe/apt/lists -o Dir::Cache=/var/cache/netboot-pxe/apt/cache')
    version = re.search(r'(?m)^Version: (\S+)', server.check_output(f'apt-cache {private} show --no-all-versions shim-signed'))[1]
    assert server.file(f'/var/cache/netboot-pxe/signed/shim-signed/{version}/shimx64.efi').sha256sum == \
        server.file('/srv/tftp/shimx64.efi').sha256sum
    assert version not in server.check_output('apt-cache policy shim-signed')
    sources = server.check_output('cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true')
    assert 'trixie' not in sources
    assert 'trixie' in server.file('/var/cache/netboot-pxe/apt/sources.list').content_string
    assert server.run('dpkg -s grub-efi-amd64-signed').rc != 0 and server.run('dpkg -s shim-signed').rc != 0


def test_kea_hands_the_secure_boot_machine_the_shim_and_the_others_ipxe(client, client_iface):
    assert dhcp_exchange(client, client_iface, arch=7, mac=MAC)['ack']['file'] == 'shimx64.efi'
    assert dhcp_exchange(client, client_iface, arch=7, mac='52:54:00:12:00:99')['ack']['file'] == 'snponly.efi'


def test_a_secure_boot_machine_boots_its_own_menu_through_debian_13s_shim_and_grub(server, lab):
    with Machine('secure-debian12', 'netboot-test-12', 'uefi-secure-boot', MAC, memory=1024) as machine:
        reached = machine.wait_for(MARKER, timeout=300)
        assert reached is not None, f'no marker; serial log in {machine.serial_log}'
        assert machine.first('secureboot: Secure boot enabled') is not None
        assert machine.first('GNU GRUB  version 2.12') is not None
    journal = server.check_output('journalctl -t in.tftpd --no-pager -o cat')
    fetched = re.findall(r'RRQ from 10\.77\.12\.53 filename (\S+)', journal)
    assert [name.lstrip('/') for name in fetched][:1] == ['shimx64.efi'], fetched
    # Its own configuration comes over HTTP (to its reserved address only), not over TFTP.
    assert not [name for name in fetched if 'grub/hosts' in name], fetched
    time.sleep(1)
    log = server.check_output('cat /var/log/nginx/netboot.access.log')
    assert re.search(rf'^10\.77\.12\.53 .*"GET /grub/hosts/{MAC}\.cfg HTTP/1\.1" 200 ', log, re.MULTILINE), log[-2000:]
    assert re.search(r'^10\.77\.12\.53 .*"GET /boot-test/vmlinuz HTTP/1\.1" 200 ', log, re.MULTILINE), log[-2000:]


GUEST = {'key': 'guest', 'label': 'Test guest', 'kernel': 'boot-test/vmlinuz', 'initrd': 'boot-test/initrd.img',
         'args': 'console=ttyS0 panic=-1', 'signed': True}
HTTP_BOOT_PATHS = ['/ipxe/shimx64.efi', '/ipxe/grubx64.efi', '/grub/grub.cfg', '/boot-test/vmlinuz']


def test_uefi_http_boot_of_the_shim(server, client, client_iface, lab):
    """With netboot_secure_boot, a machine with OVMF's PXE off boots by UEFI HTTP boot: the shim and
    GRUB from nginx, GRUB's menu from the HTTP root, the menu's default, the signed guest."""
    boot_files = {arch: name for arch, name in lab['netboot_boot_files'].items() if arch not in ('efi-x64', 'http-x64')}
    extra = {'netboot_secure_boot': True, 'netboot_boot_files': boot_files,
             'ipxe_menu_items': lab['ipxe_menu_items'] + [GUEST], 'ipxe_menu_default': 'guest'}
    log = '/var/log/nginx/netboot.access.log'
    try:
        result = run_site('-e', json.dumps(extra))
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        before = len(server.file(log).content_string.splitlines())
        with Machine('http-secure-debian12', 'netboot-test-12', 'uefi-secure-boot', '52:54:00:12:00:54', memory=1024,
                     http_boot=True) as machine:
            reached = machine.wait_for(MARKER, timeout=300)
            assert reached is not None, f'no marker; serial log in {machine.serial_log}'
            assert machine.first('Start HTTP Boot over IPv4') is not None
            assert machine.first('secureboot: Secure boot enabled') is not None
        fetched = [re.sub('/+', '/', match) for match in re.findall(
            r'"GET (\S+) HTTP/1\.1" 200 ', '\n'.join(server.file(log).content_string.splitlines()[before:]))]
        assert [path for path in HTTP_BOOT_PATHS if path not in fetched] == [], fetched
    finally:
        restored = run_site()
    assert restored.returncode == 0, (restored.stdout + restored.stderr)[-3000:]
    # Back to the inventory: the other UEFI x64 machines get iPXE again.
    assert dhcp_exchange(client, client_iface, arch=7, mac='52:54:00:12:00:54')['ack']['file'] == 'snponly.efi'
