"""The daemons run, answer only on the test network, and hold a checked configuration."""

import json

import pytest

SERVICES = ['kea-dhcp4-server', 'tftpd-hpa', 'nginx']


@pytest.mark.parametrize('name', SERVICES)
def test_service_enabled_and_running(server, name):
    service = server.service(name)
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize('spec, owner', [
    ('udp://{addr}:67', 'kea-dhcp4'),
    ('udp://{addr}:69', 'in.tftpd'),
    ('tcp://{addr}:80', 'nginx'),
])
def test_listens_on_server_address_only(server, lab, spec, owner):
    addr = lab['netboot_server_address']
    assert server.socket(spec.format(addr=addr)).is_listening
    port = spec.rsplit(':', 1)[1]
    proto = spec.split(':', 1)[0]
    flag = '-u' if proto == 'udp' else '-t'
    lines = server.check_output(f'ss -H -n -l -p {flag} sport = :{port}').splitlines()
    assert lines, f'nothing listens on {proto} port {port}'
    for line in lines:
        local = line.split()[3]
        assert local.startswith(addr + ':'), f'{owner} listens beyond {addr}: {line}'


def test_kea_listens_only_on_the_test_interface(server, lab):
    config = json.loads(server.check_output(
        "sed -e '/^ *\\/\\//d' /etc/kea/kea-dhcp4.conf"))
    interfaces = config['Dhcp4']['interfaces-config']['interfaces']
    addr_line = server.check_output(f'ip -o -4 addr show to {lab["netboot_server_address"]}')
    assert interfaces == [addr_line.split()[1]]


def test_kea_config_passes_kea_checker(server):
    assert server.run('kea-dhcp4 -t /etc/kea/kea-dhcp4.conf').rc == 0


def test_kea_control_socket_answers_status_get(server_ansible):
    result = server_ansible.ansible('netboot.pxe.kea_command', 'command=status-get', check=False)
    assert result['result'] == 0, result
    assert result['arguments']['pid'] > 0
    assert result['changed'] is False


def test_kea_control_socket_not_world_accessible(server):
    socket_file = server.file('/run/kea/kea4-ctrl-socket')
    assert socket_file.is_socket
    assert not socket_file.mode & 0o002


def test_tftpd_is_read_only_and_chrooted(server):
    options = server.check_output('. /etc/default/tftpd-hpa && echo "$TFTP_OPTIONS"').split()
    assert '--secure' in options
    assert '--create' not in options and '-c' not in options
    # Its reads are logged by default: the boot report shows them.
    assert options.count('--verbose') == 1


def test_nginx_config_passes_nginx_checker(server):
    assert server.run('nginx -t').rc == 0
