"""The package cache (netboot_package_cache, the debian12 scenario): apt-cacher-ng listens on the
lab address, fetches a file once for a client of the lab network, and the installers are told
to use it."""

import os

import pytest

from netboot_checks import builds

CACHE_PORT = 3142

# Only the debian12 scenario turns the package cache on (netboot_package_cache).
pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'debian12',
                                reason='the package cache is tested in the debian12 scenario')


def test_the_scenario_turns_the_cache_on(lab):
    assert lab['netboot_package_cache'] is True


def test_the_cache_listens_on_the_lab_address_only(server, lab):
    assert server.service('apt-cacher-ng').is_running and server.service('apt-cacher-ng').is_enabled
    assert server.socket(f'tcp://{lab["netboot_server_address"]}:{CACHE_PORT}').is_listening
    assert not server.socket(f'tcp://0.0.0.0:{CACHE_PORT}').is_listening


def test_a_lab_client_fetches_debian_packages_through_the_cache(server, client, lab):
    proxy = f'http://{lab["netboot_server_address"]}:{CACHE_PORT}'
    url = 'http://deb.debian.org/debian/dists/bookworm/InRelease'
    for _attempt in range(2):
        answer = client.check_output(f'curl -sS -o /dev/null -w "%{{http_code}}" -x {proxy} {url}')
        assert answer == '200'
    assert server.run('find /var/cache/apt-cacher-ng -name InRelease -path "*bookworm*" | grep -q .').rc == 0


def test_the_installers_are_told_to_use_the_cache(server, lab):
    proxy = f'http://{lab["netboot_server_address"]}:{CACHE_PORT}/'
    answers = '/srv/netboot/answers'
    checked = []
    for key, build in builds(server).items():
        for name, line in (('preseed.cfg', f'd-i mirror/http/proxy string {proxy}'), ('user-data', f'proxy: {proxy}')):
            path = server.file(f'{answers}/{build["token"]}/{name}')
            if path.exists:
                assert line in path.content_string, (key, name)
                checked.append(name)
    assert sorted(set(checked)) == ['preseed.cfg', 'user-data'], checked
