# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._bmc.settings import BmcError, check_bmc

SECRET = 'Pa55-w0rd$ecret'
REDFISH = {'type': 'redfish', 'address': 'bmc1.lab.example', 'user': 'admin', 'password': SECRET}
IPMI = {'type': 'ipmi', 'address': '10.0.9.21', 'user': 'ADMIN', 'password': SECRET}


@pytest.mark.parametrize('bmc, checked', [
    pytest.param(REDFISH, {'type': 'redfish', 'host': 'bmc1.lab.example', 'user': 'admin', 'port': 443,
                           'baseuri': 'bmc1.lab.example', 'system_id': '', 'validate_certs': True, 'ca_path': '',
                           'boot_device': 'Pxe'}, id='redfish-defaults'),
    pytest.param(dict(REDFISH, address='10.0.9.20:8443', system_id='System.Embedded.1', validate_certs=False, boot='http'),
                 {'type': 'redfish', 'host': '10.0.9.20', 'user': 'admin', 'port': 8443, 'baseuri': '10.0.9.20:8443',
                  'system_id': 'System.Embedded.1', 'validate_certs': False, 'ca_path': '', 'boot_device': 'UefiHttp'},
                 id='redfish-all'),
    pytest.param(dict(REDFISH, ca_path='/etc/ssl/lab-ca.pem', boot='pxe'),
                 {'type': 'redfish', 'host': 'bmc1.lab.example', 'user': 'admin', 'port': 443, 'baseuri': 'bmc1.lab.example',
                  'system_id': '', 'validate_certs': True, 'ca_path': '/etc/ssl/lab-ca.pem', 'boot_device': 'Pxe'},
                 id='redfish-ca'),
    pytest.param(IPMI, {'type': 'ipmi', 'host': '10.0.9.21', 'user': 'ADMIN', 'port': 623}, id='ipmi-defaults'),
    pytest.param(dict(IPMI, port='6230', user='DOMAIN\\ops'),
                 {'type': 'ipmi', 'host': '10.0.9.21', 'user': 'DOMAIN\\ops', 'port': 6230}, id='ipmi-port-as-text'),
])
def test_check_bmc_takes(bmc, checked):
    assert check_bmc(bmc) == checked
    assert SECRET not in repr(check_bmc(bmc))


@pytest.mark.parametrize('bmc, message', [
    pytest.param(None, 'bmc: must be a mapping with type, address, user and password, got a NoneType', id='none'),
    pytest.param(SECRET, 'bmc: must be a mapping with type, address, user and password, got a text of 15 characters',
                 id='text'),
    pytest.param(dict(REDFISH, type='idrac'), "bmc.type: 'idrac' is not one of redfish, ipmi", id='type'),
    pytest.param({k: v for k, v in REDFISH.items() if k != 'type'}, 'bmc.type: None is not one of redfish, ipmi',
                 id='no-type'),
    pytest.param(dict(REDFISH, pasword=SECRET), "bmc: unknown key(s) 'pasword' for type redfish; known: type, address, "
                 'user, password, system_id, validate_certs, ca_path, boot', id='misspelt'),
    pytest.param(dict(IPMI, system_id='1'), "bmc: unknown key(s) 'system_id' for type ipmi; known: type, address, user, "
                 'password, port', id='redfish-key-on-ipmi'),
    pytest.param(dict(IPMI, boot='http'), "bmc: unknown key(s) 'boot' for type ipmi", id='ipmi-has-no-http-boot'),
    pytest.param(dict(REDFISH, port=443), "bmc: unknown key(s) 'port' for type redfish", id='redfish-port-key'),
    pytest.param({k: v for k, v in IPMI.items() if k != 'password'}, 'bmc: misses password', id='no-password'),
    pytest.param({'type': 'ipmi'}, 'bmc: misses address, user, password', id='only-type'),
    pytest.param(dict(IPMI, address='10.0.9.21:623'), "bmc.address: '10.0.9.21:623' has a port; an IPMI BMC takes it in "
                 'the port field', id='ipmi-port-in-address'),
    pytest.param(dict(REDFISH, address='https://bmc1.lab'), "bmc.address: 'https://bmc1.lab' is not a host name or IPv4 "
                 'address with an optional :port', id='url'),
    pytest.param(dict(REDFISH, address='bmc1.lab\nx'), "bmc.address: 'bmc1.lab\\nx' is not a host name", id='newline'),
    pytest.param(dict(REDFISH, address='10.0.9.300'), "bmc.address: '10.0.9.300' is not an IPv4 address", id='bad-ipv4'),
    pytest.param(dict(REDFISH, address='bmc1:0'), "bmc.address: 'bmc1:0' is not a host name", id='port-0'),
    pytest.param(dict(REDFISH, address='bmc1:65536'), "bmc.address: 'bmc1:65536' is not a host name", id='port-high'),
    pytest.param(dict(REDFISH, address='a' * 300), "bmc.address: '" + 'a' * 64 + "'... is not a host name", id='long'),
    pytest.param(dict(IPMI, port=0), 'bmc.port: 0 is not a port from 1 to 65535', id='ipmi-port-0'),
    pytest.param(dict(IPMI, port=True), 'bmc.port: True is not a port from 1 to 65535', id='ipmi-port-bool'),
    pytest.param(dict(IPMI, user=''), "bmc.user: '' is not a user name of 1 to 64 printable characters", id='no-user'),
    pytest.param(dict(IPMI, user='ad min'), "bmc.user: 'ad min' is not a user name", id='user-space'),
    pytest.param(dict(IPMI, user=7), 'bmc.user: 7 is not a user name', id='user-number'),
    pytest.param(dict(IPMI, password=''), 'bmc.password: must be a text of 1 to 256 characters (quote it in YAML, or '
                 'vault it), got a text of 0 characters', id='empty-password'),
    pytest.param(dict(IPMI, password=123456), 'bmc.password: must be a text of 1 to 256 characters (quote it in YAML, '
                 'or vault it), got a int', id='number-password'),
    pytest.param(dict(IPMI, password='x' * 257), 'bmc.password: must be a text of 1 to 256 characters', id='long-password'),
    pytest.param(dict(REDFISH, system_id='a b'), "bmc.system_id: 'a b' is not a Redfish Id", id='system-id'),
    pytest.param(dict(REDFISH, system_id=1), 'bmc.system_id: 1 is not a Redfish Id', id='system-id-number'),
    pytest.param(dict(REDFISH, validate_certs='no'), "bmc.validate_certs: 'no' is not true or false", id='certs-text'),
    pytest.param(dict(REDFISH, ca_path='lab-ca.pem'), "bmc.ca_path: 'lab-ca.pem' is not an absolute path", id='ca-relative'),
    pytest.param(dict(REDFISH, ca_path='/etc/ca.pem', validate_certs=False), 'bmc.ca_path: is used only with '
                 'validate_certs true', id='ca-without-validation'),
    pytest.param(dict(REDFISH, boot='cd'), "bmc.boot: 'cd' is not one of pxe, http (PXE, or UEFI HTTP boot)", id='boot'),
])
def test_check_bmc_refuses_naming_the_field(bmc, message):
    with pytest.raises(BmcError) as error:
        check_bmc(bmc)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize('bmc', [
    dict(REDFISH, pasword=SECRET), dict(IPMI, password=SECRET * 20), dict(IPMI, password=[SECRET]), SECRET,
    dict(REDFISH, type=None), dict(REDFISH, user=''),
], ids=['misspelt-key', 'long', 'list', 'whole', 'type', 'user'])
def test_no_message_shows_the_password(bmc):
    with pytest.raises(BmcError) as error:
        check_bmc(bmc)
    assert SECRET not in str(error.value)


def test_the_name_of_the_variable_is_given():
    with pytest.raises(BmcError) as error:
        check_bmc(dict(IPMI, port=70000), where='hostvars.node1.bmc')
    assert str(error.value) == 'hostvars.node1.bmc.port: 70000 is not a port from 1 to 65535'
