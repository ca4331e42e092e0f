# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import BootAssetError, file_digest
from ansible_collections.netboot.pxe.plugins.module_utils._files.dpkg import dpkg_checksum
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import ChecksumMismatchError, fetch_verified


def installed_file():
    """A file of an installed package with its MD5 from the package's md5sums."""
    for path, package in [('/usr/share/doc/coreutils/copyright', 'coreutils'), ('/bin/ls', 'coreutils')]:
        sums = subprocess.run(['dpkg-query', '--control-path', package, 'md5sums'], capture_output=True, text=True, check=False).stdout.strip()
        if os.path.isfile(path) and sums:
            with open(sums) as f:
                for line in f:
                    digest, _sep, name = line.rstrip('\n').partition('  ')
                    if name == path.lstrip('/'):
                        return path, digest
    pytest.fail('no file of coreutils with an MD5 in its md5sums: is this a Debian system?')


def run_dpkg_query(argv):
    """dpkg-query as the module runs it (its run_command, no shell, LC_ALL=C): (rc, stdout, stderr) as text."""
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors='replace',
                          check=False, env=dict(os.environ, LC_ALL='C'))
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
@pytest.mark.parametrize('form', ['path', 'uri'])
def test_dpkg_checksum_of_an_installed_file(form):
    path, digest = installed_file()
    url = path if form == 'path' else 'file://' + path
    assert dpkg_checksum(url, run_dpkg_query) == ('md5', digest)
    assert file_digest(path, 'md5') == digest


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
def test_dpkg_checksum_refuses_a_tampered_file(tmp_path):
    path, digest = installed_file()
    copy = tmp_path / 'tampered'
    copy.write_bytes(open(path, 'rb').read() + b'tampered')

    def run_as_if_installed(argv):
        # dpkg-query really runs; the tampered copy stands in for the package's file,
        # in the answers and in a copy of the package's real md5sums.
        argv = [path if arg == str(copy) else arg for arg in argv]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        out = proc.stdout.replace(path, str(copy))
        if '--control-path' in argv:
            sums = tmp_path / 'md5sums'
            with open(proc.stdout.strip()) as f:
                sums.write_text(f.read().replace(f'  {path.lstrip("/")}\n', f'  {str(copy).lstrip("/")}\n'))
            out = str(sums)
        return proc.returncode, out, proc.stderr

    algorithm, expected = dpkg_checksum(str(copy), run_as_if_installed)
    assert (algorithm, expected) == ('md5', digest)
    with pytest.raises(ChecksumMismatchError, match=f'expected md5:{digest}'):
        fetch_verified(str(copy), str(tmp_path / 'x.part'), algorithm, expected)


@pytest.mark.skipif(not shutil.which('dpkg-query'), reason='needs dpkg')
@pytest.mark.parametrize('url, message', [
    ('/nonexistent/netboot-file', 'belongs to no installed package; give checksum or checksum_url'),
    ('/usr/share/doc/*/copyright', 'needs an absolute local path without whitespace'),
    ('http://m/linux', "needs an absolute local path without whitespace or \\*\\?\\[\\]\\\\, got url 'http://m/linux'"),
    ('relative/file', 'needs an absolute local path'),
])
def test_dpkg_checksum_refuses(url, message):
    with pytest.raises(BootAssetError, match=message):
        dpkg_checksum(url, run_dpkg_query)
