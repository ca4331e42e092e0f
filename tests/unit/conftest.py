"""Make this checkout importable as ansible_collections.netboot.pxe."""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.cache', 'collections')
if not os.path.isdir(os.path.join(COLLECTIONS, 'ansible_collections', 'netboot', 'pxe')):
    os.makedirs(os.path.join(COLLECTIONS, 'ansible_collections', 'netboot'), exist_ok=True)
    os.symlink(ROOT, os.path.join(COLLECTIONS, 'ansible_collections', 'netboot', 'pxe'))
sys.path.insert(0, COLLECTIONS)


import shutil  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402


class OpenPGP:
    """A throwaway signing key (gpg in a private home) and its public keyring."""

    def __init__(self, home, name):
        self.home = str(home)
        os.makedirs(self.home, mode=0o700)
        self.gpg('--quick-gen-key', f'{name} <{name}@example.invalid>', 'ed25519', 'sign', 'never')
        self.keyring = os.path.join(self.home, 'keyring.gpg')
        self.gpg('--output', self.keyring, '--export')

    def gpg(self, *args, data=None):
        return subprocess.run(['gpg', '--batch', '--quiet', '--homedir', self.home, '--passphrase', '',
                               '--pinentry-mode', 'loopback', *args],
                              input=data, capture_output=True, check=True).stdout

    def clearsign(self, text):
        """``text`` (str) clearsigned, as bytes."""
        return self.gpg('--clearsign', '--digest-algo', 'SHA256', data=text.encode())


@pytest.fixture(scope='session')
def openpgp(tmp_path_factory):
    """Two throwaway keys: ``signer`` signs, ``stranger`` is a wrong keyring."""
    if not shutil.which('gpg') or not shutil.which('gpgv'):
        pytest.fail('the signature tests need gpg and gpgv (Debian packages gpg and gpgv)')
    base = tmp_path_factory.mktemp('openpgp')
    keys = {'signer': OpenPGP(base / 'signer', 'signer'), 'stranger': OpenPGP(base / 'stranger', 'stranger')}
    yield keys
    for key in keys.values():  # gpg started an agent for each home; it would outlive the tests
        subprocess.run(['gpgconf', '--homedir', key.home, '--kill', 'gpg-agent'], capture_output=True, check=False)
