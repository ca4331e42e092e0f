# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.netboot.pxe.plugins.filter import kea

URLS = ['http://10.0.0.2:8000/', 'http://10.0.0.3:8000/']
HOSTS = [{'name': 'kea1', 'url': URLS[0]}, {'name': 'kea2', 'url': URLS[1]}]


def test_filters_chain():
    peers = kea.kea_ha_peers_from_hosts(['kea1', 'kea2'], URLS, 'load-balancing')
    assert [peer['role'] for peer in peers] == ['primary', 'secondary']
    assert kea.kea_ha_peer_addresses(peers) == ['10.0.0.2', '10.0.0.3']


@pytest.mark.parametrize('call, message', [
    (lambda: kea.kea_ha_peer_addresses([{'url': 'http://10.0.0.2/'}]),
     "kea_ha_peer_addresses: peers[0].url must look like http://10.0.0.2:8000/"),
])
def test_filter_errors_are_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)
