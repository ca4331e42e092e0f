"""The running server, not only its files: after a failed, killed or tampered-with state, one
run with the good inventory makes every daemon run what is on disk, answering DHCP, TFTP and
HTTP on the configured address only; the run after that changes nothing. Before the repairing
run, check mode with --diff reports the drift."""

import json
import os
import signal
import subprocess
import time

import pytest

from netboot_checks import converge_command, run_site

pytestmark = pytest.mark.skipif(os.environ.get('MOLECULE_SCENARIO_NAME') != 'default',
                                reason='the fault injections run in the default scenario')

TFTPD_DEFAULTS = '/etc/default/tftpd-hpa'
FOREIGN_TFTPD = 'TFTP_USERNAME="tftp"\nTFTP_DIRECTORY="/srv/tftp"\nTFTP_ADDRESS=":69"\nTFTP_OPTIONS="--secure"\n'
NGINX_DEFAULT_SITE = '/etc/nginx/sites-enabled/default'


def recap(result):
    return result.stdout.split('PLAY RECAP')[-1]


def changed_tasks(output):
    """Names of the tasks that reported a change (the banner before each "changed:" line)."""
    names, task = [], None
    for line in output.splitlines():
        if line.startswith('TASK ['):
            task = line[len('TASK ['):line.rfind(']')]
        elif line.startswith('changed:') and task:
            names.append(task)
    return names


def assert_serving_on_the_lab_address_only(server, client, lab, dhcp):
    """Real packets from the client: DHCP, TFTP and HTTP answer; nothing listens beyond the address."""
    address = lab['netboot_server_address']
    for name in ('kea-dhcp4-server', 'tftpd-hpa', 'nginx'):
        assert server.service(name).is_running and server.service(name).is_enabled, name
    answer = dhcp(7)
    assert answer['ack']['file'] == 'snponly.efi' and answer['ack']['siaddr'] == address
    assert dhcp(7, user_class='iPXE')['ack']['file'] == f'http://{address}/boot.ipxe'
    client.check_output(f'cd /tmp && rm -f snponly.efi && tftp -m binary {address} -c get snponly.efi && test -s snponly.efi')
    assert client.check_output(f'curl -sf http://{address}/boot.ipxe').startswith('#!ipxe')
    for flag, port in (('-u', 67), ('-u', 69), ('-t', 80)):
        lines = server.check_output(f'ss -H -n -l {flag} sport = :{port}').splitlines()
        assert lines, f'nothing listens on port {port}'
        for line in lines:
            assert line.split()[3] == f'{address}:{port}', f'port {port} is open beyond {address}: {line}'


def repair_and_settle(server, client, lab, dhcp):
    """One run with the good inventory repairs; the next one changes nothing."""
    repair = run_site()
    assert repair.returncode == 0, repair.stdout[-3000:] + repair.stderr[-2000:]
    assert_serving_on_the_lab_address_only(server, client, lab, dhcp)
    again = run_site()
    assert again.returncode == 0, again.stdout[-3000:]
    assert 'changed=0' in recap(again), changed_tasks(again.stdout)
    return repair


def check_reports(*tasks):
    """Run --check --diff: it must succeed and report each of ``tasks`` as changed; its output."""
    result = run_site('--check', '--diff')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    reported = changed_tasks(result.stdout)
    for task in tasks:
        assert any(task in name for name in reported), f'{task!r} not reported as changed: {reported}'
    return result.stdout


def kill_at(banner, *extra):
    """Run site.yml and SIGKILL it (with its workers) as soon as the task ``banner`` starts."""
    process = subprocess.Popen(converge_command(*extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith('TASK [') and banner in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL, ''.join(seen)[-3000:]
    time.sleep(1)  # let the connection that was cut go


def test_a_failure_inside_the_ipxe_role_is_repaired(server, client, lab, dhcp):
    # Daemons running another configuration when the run starts.
    server.check_output(f"printf '{FOREIGN_TFTPD}' > {TFTPD_DEFAULTS} && systemctl restart tftpd-hpa")
    server.check_output(f'ln -sf /etc/nginx/sites-available/default {NGINX_DEFAULT_SITE} && systemctl restart nginx')
    mirror = {'debian': 'http://10.77.13.3:8080/no-such-mirror', 'fedora': 'http://10.77.13.3:8080/fedora'}
    failed = run_site('-e', json.dumps({'ipxe_os_mirrors': mirror}))
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0 and 'no-such-mirror' in failed.stderr, output[-3000:]
    last_task = failed.stdout.split('PLAY RECAP')[0].rsplit('TASK [', 1)[-1]
    assert last_task.startswith('netboot.pxe.ipxe : Fetch the files of the catalog entries'), output[-3000:]
    # tftpd and nginx already run what the failed run wrote: each role converged its daemon.
    assert server.socket(f'udp://{lab["netboot_server_address"]}:69').is_listening
    assert not server.socket('udp://0.0.0.0:69').is_listening
    assert not server.socket('tcp://0.0.0.0:80').is_listening
    repair_and_settle(server, client, lab, dhcp)


def test_a_run_killed_inside_the_nginx_role_is_repaired(server, client, lab, dhcp):
    # nginx serves Debian's default site on every address; the killed run writes the netboot
    # site and dies before nginx is restarted.
    server.check_output(f'rm -f /etc/nginx/sites-enabled/netboot.conf && ln -sf /etc/nginx/sites-available/default '
                        f'{NGINX_DEFAULT_SITE} && systemctl restart nginx')
    kill_at('netboot.pxe.nginx : Disable the default site')
    assert server.socket('tcp://0.0.0.0:80').is_listening, 'the kill came too late to leave nginx behind'
    output = check_reports('netboot.pxe.nginx : Run nginx with the configuration on disk')
    assert 'listens on tcp/0.0.0.0:80, which its configuration does not name' in output
    repair_and_settle(server, client, lab, dhcp)


def test_a_run_killed_inside_the_kea_role_is_repaired(server, client, lab, dhcp):
    kill_at('netboot.pxe.kea_dhcp4 : Apply the Kea DHCPv4 configuration',
            '-e', json.dumps({'kea_dhcp4_valid_lifetime': 7200}))
    repair = repair_and_settle(server, client, lab, dhcp)
    assert dhcp(0)['ack']['options']['lease_time'] == '3600', repair.stdout[-2000:]


def test_daemons_changed_restarted_or_stopped_by_hand_are_repaired(server, server_ansible, client, lab, dhcp):
    # tftpd-hpa restarted on every address, then its file put back as it was (same content
    # and times): only the running daemon differs.
    server.check_output(f'cp -p {TFTPD_DEFAULTS} /root/tftpd-hpa.saved && printf \'{FOREIGN_TFTPD}\' > {TFTPD_DEFAULTS} '
                        f'&& systemctl restart tftpd-hpa && cp -p /root/tftpd-hpa.saved {TFTPD_DEFAULTS}')
    assert server.socket('udp://0.0.0.0:69').is_listening
    # Kea given another configuration by hand, without its PXE classes: the file is unchanged.
    running = server_ansible.ansible('netboot.pxe.kea_command', 'command=config-get', check=False)['arguments']
    running['Dhcp4']['client-classes'] = []
    running.pop('hash', None)
    answer = server_ansible.ansible('netboot.pxe.kea_command', json.dumps({'command': 'config-set', 'arguments': running}),
                                    check=False)
    assert answer['result'] == 0, answer
    assert dhcp(7)['ack']['file'] == '', 'Kea still hands out boot files'
    # nginx stopped and disabled.
    server.check_output('systemctl disable --now nginx')
    output = check_reports('netboot.pxe.tftpd : Run tftpd-hpa with the configuration on disk',
                           'netboot.pxe.kea_dhcp4 : Apply the Kea DHCPv4 configuration',
                           'netboot.pxe.nginx : Run nginx with the configuration on disk')
    assert 'started before /etc/default/tftpd-hpa changed' in output or 'listens on udp/0.0.0.0:69' in output
    assert "Kea's running configuration is not the one it loaded from /etc/kea/kea-dhcp4.conf" in output
    assert 'is not running (inactive)' in output
    repair_and_settle(server, client, lab, dhcp)
