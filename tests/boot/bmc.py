"""BMC emulators for the tests and the benchmark, from .cache/bmc-venv (tests/harness/bmc.sh):
sushy-tools' Redfish emulator (over libvirt domains, or its fake driver's systems in memory) and
virtualbmc's IPMI (one port per libvirt domain). They listen on 127.0.0.1 only; Redfish over HTTPS
with a certificate of its own, passwords checked.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BMC_VENV = os.path.join(REPO, '.cache', 'bmc-venv')
STARTUP_SECONDS = 30


def tool(name):
    path = os.path.join(BMC_VENV, 'bin', name)
    if not os.path.exists(path):
        raise RuntimeError(f'{path} is missing: run tests/harness/bmc.sh')
    return path


def certificate(directory):
    """A self-signed certificate for 127.0.0.1 (its own CA): (certificate, key)."""
    cert, key = os.path.join(directory, 'bmc-cert.pem'), os.path.join(directory, 'bmc-key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


def auth_file(directory, user, password):
    """sushy's password file (bcrypt hashes only)."""
    hashed = subprocess.run([tool('python'), '-c', 'import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), '
                             'bcrypt.gensalt(rounds=4)).decode())', password],
                            check=True, capture_output=True, text=True).stdout.strip()
    path = os.path.join(directory, 'bmc-auth')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(f'{user}:{hashed}\n')
    os.chmod(path, 0o600)
    return path


def refuse_taken(port):
    """Fail when something listens on ``port`` already (an emulator a killed run left)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(('127.0.0.1', port)) == 0:
            raise RuntimeError(f'127.0.0.1:{port} is taken already (an emulator a killed run left?)')


def wait_listening(port, process):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'the emulator on port {port} ended with {process.returncode}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f'the emulator on port {port} did not listen within {STARTUP_SECONDS} s')


@contextlib.contextmanager
def redfish(directory, name, port, cert, key, auth, domains=None, fake_systems=None, wait=True):
    """A sushy-emulator on 127.0.0.1:``port``: over the libvirt ``domains`` (their UUIDs; only those),
    or with the fake driver's ``fake_systems``. Yields the process (listening, with ``wait``); its log
    is ``name``.log."""
    refuse_taken(port)
    config = os.path.join(directory, f'{name}.conf')
    settings = {'SUSHY_EMULATOR_AUTH_FILE': auth,
                # Its own state (else every emulator shares $TMPDIR/sushy-emulator).
                'SUSHY_EMULATOR_STATE_DIR': os.path.join(directory, f'{name}-state')}
    if fake_systems is not None:
        settings.update(SUSHY_EMULATOR_FAKE_DRIVER=True, SUSHY_EMULATOR_FAKE_SYSTEMS=fake_systems)
    else:
        settings.update(SUSHY_EMULATOR_LIBVIRT_URI='qemu:///system', SUSHY_EMULATOR_ALLOWED_INSTANCES=list(domains))
    with open(config, 'w', encoding='utf-8') as handle:
        handle.write(''.join(f'{key} = {value!r}\n' for key, value in settings.items()))
    with open(os.path.join(directory, f'{name}.log'), 'w', encoding='utf-8') as log, \
            subprocess.Popen([tool('sushy-emulator'), '--config', config, '--interface', '127.0.0.1', '--port', str(port),
                              '--ssl-certificate', cert, '--ssl-key', key], stdout=log, stderr=subprocess.STDOUT) as process:
        try:
            if wait:
                wait_listening(port, process)
            yield process
        finally:
            process.terminate()
            process.wait(10)


@contextlib.contextmanager
def ipmi(directory, domains, user, password, server_port=50891):
    """virtualbmc's daemon with an IPMI endpoint on 127.0.0.1 per libvirt domain (``domains``: {name: port})."""
    refuse_taken(server_port)
    config_dir = os.path.join(directory, 'vbmc')
    os.makedirs(config_dir, mode=0o700, exist_ok=True)
    config = os.path.join(directory, 'virtualbmc.conf')
    with open(config, 'w', encoding='utf-8') as handle:
        handle.write(f'[default]\nconfig_dir = {config_dir}\npid_file = {directory}/vbmcd.pid\nserver_port = {server_port}\n')
    environment = dict(os.environ, VIRTUALBMC_CONFIG=config)
    with open(os.path.join(directory, 'vbmcd.log'), 'w', encoding='utf-8') as log, \
            subprocess.Popen([tool('python'), os.path.join(os.path.dirname(os.path.abspath(__file__)), 'virtualbmc_daemon.py'),
                              '--foreground'], env=environment, stdout=log, stderr=subprocess.STDOUT) as daemon:
        try:
            for domain, port in domains.items():
                _vbmc(environment, daemon, 'add', domain, '--address', '127.0.0.1', '--port', str(port), '--username', user,
                      '--password', password, '--libvirt-uri', 'qemu:///system')
                _vbmc(environment, daemon, 'start', domain)
            yield daemon
        finally:
            daemon.terminate()
            daemon.wait(10)


def _vbmc(environment, daemon, *args):
    """vbmc ``args`` once the daemon answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        result = subprocess.run([tool('vbmc'), *args], env=environment, capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f'vbmc {args[0]} failed: {result.stderr.strip()[-500:]}')
        time.sleep(0.5)
