"""netboot_dhcp_mode on Debian 12 (the debian12 scenario; Debian 13 has the proxy scenario, with a
foreign DHCP server and real machines): site.yml turns the running server into a proxyDHCP
server, whose offers carry the boot file of each architecture and no address, then back into
the DHCP server. The same run turns the package cache off, which stops it."""

import json
import os

import pytest

from netboot_checks import dhcp_exchange, dhcp_offers, run_site

pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'debian12',
                                reason='proxy mode is tested in the proxy scenario (Debian 13) and here in debian12')


def proxy_mode(lab):
    """The scenario's inventory in proxy mode: what belongs to the network's DHCP server left out."""
    return {
        'netboot_dhcp_mode': 'proxy',
        'netboot_package_cache': False,
        'netboot_reservations': [],
        # Secure Boot per machine needs a reservation: those machines are left out.
        'ipxe_hosts': [{key: value for key, value in host.items() if key != 'ip'} for host in lab['ipxe_hosts']
                       if not host.get('secure_boot')],
        'netboot_boot_files': {arch: name for arch, name in lab['netboot_boot_files'].items() if not arch.startswith('http-')},
    }


def test_debian12_answers_as_a_proxy_dhcp_server_then_as_the_dhcp_server_again(server, client, client_iface, lab):
    address = lab['netboot_server_address']
    try:
        result = run_site('-e', json.dumps(proxy_mode(lab)))
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert server.service('dnsmasq').is_running and not server.service('kea-dhcp4-server').is_running
        cache = server.service('apt-cacher-ng')
        assert not cache.is_running and not cache.is_enabled
        assert not server.file('/etc/apt-cacher-ng/zzz_netboot.conf').exists
        for arch, user_class, boot_file in [(0, '', 'undionly.kpxe'), (7, '', 'snponly.efi'), (11, '', 'ipxe-arm64.efi'),
                                            (0, 'iPXE', f'http://{address}/boot.ipxe')]:
            offer = dhcp_offers(client, client_iface, arch=arch, user_class=user_class).get(address)
            assert offer is not None, f'no proxy offer for arch {arch} {user_class}'
            assert (offer['yiaddr'], offer['siaddr'], offer['file']) == ('0.0.0.0', address, boot_file)
        assert address not in dhcp_offers(client, client_iface, arch=16)
    finally:
        result = run_site()
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert server.service('kea-dhcp4-server').is_running
    assert not server.service('dnsmasq').is_running and not server.service('dnsmasq').is_enabled
    assert server.service('apt-cacher-ng').is_running
    answer = dhcp_exchange(client, client_iface, arch=7)
    assert answer['ack']['file'] == 'snponly.efi' and answer['ack']['yiaddr'] != '0.0.0.0'
