#!/usr/bin/python
# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: boot_asset
short_description: Fetch a kernel, initrd or ISO into the netboot HTTP root, verified by checksum or signature
version_added: 0.2.0
author: netboot.pxe developers (@netboot)
description:
  - Downloads one OS boot file (kernel, initrd, ISO image) from an http://, https:// or file:// URL,
    or copies it from an absolute path on the target, and verifies its digest before it is put in place.
  - "The expected digest comes from O(checksum), from a checksum list at O(checksum_url) (for example a
    distribution's C(SHA256SUMS), C(CHECKSUM) or C(.treeinfo)), or with O(checksum=dpkg) from the
    md5sums of the Debian package that installed a local file. RV(authenticity) tells which chain was used."
  - "Authenticity: a checksum list from the same mirror as the file only detects corruption. With
    O(release_url) and O(keyring) the list is checked against a signed Debian C(InRelease), which must be
    the release O(release_url) names and not older than the one accepted before; with O(keyring) alone
    the list itself must be clearsigned. Failures are fatal (fail closed)."
  - Idempotent by checksum. When O(dest) already is a regular file with the expected digest nothing is downloaded.
  - The file is streamed into a partial file in the private directory O(work_dir), outside the served
    tree, created exclusively (mode 0600, never through a symbolic link), and hashed on the way.
    A partial file with the wrong digest is removed and the task fails; an existing O(dest) is left as it was.
  - The verified file gets its owner, group and mode before it gets the name O(dest), by a rename;
    across filesystems it is first copied into a new file (mode 0600) in the directory of O(dest).
  - A symbolic link at O(dest) is never read or written through; it is replaced by the file.
  - A partial file left by an interrupted run is continued with an HTTP range request; when
    the server ignores the range the download starts again from the beginning. If a continued
    download then has the wrong digest, it is restarted once from the beginning.
  - Redirects are followed for http:// and https:// only, never from https:// to http://; after a
    redirect to another host, O(url_username), O(url_password) and C(Authorization) and C(Cookie)
    headers are not sent on.
  - The directory of O(dest) must exist.
options:
  url:
    description:
      - Where to get the file, an V(http://), V(https://) or V(file://) URL, or an absolute path on the target.
      - Proxies from the environment (C(http_proxy), C(https_proxy), C(no_proxy)) apply unless O(use_proxy=false).
    type: str
    required: true
  dest:
    description: Path of the file to write.
    type: path
    required: true
  checksum:
    description:
      - Expected digest as V(sha256:<64 hex digits>) or V(sha512:<128 hex digits>).
      - V(dpkg) for a local O(url) (path or V(file://)) installed by a Debian package - the file is checked
        against the MD5 in that package's md5sums (C(dpkg-query --search), C(dpkg-query --control-path)).
        apt checked the package's signature at install time; a file of no package is refused.
      - Exactly one of O(checksum) and O(checksum_url) is required, for local sources too.
    type: str
  checksum_url:
    description:
      - URL (same schemes as O(url)) or absolute path of a checksum list holding the expected digest.
      - "Understood formats: GNU coreutils (C(<hex>  name) or C(<hex> *name)), BSD tag
        (V(SHA256 (name\\) = <hex>), also with V(SHA512)) and the C([checksums]) lines of a C(.treeinfo)
        (C(images/pxeboot/vmlinuz = sha256:<hex>)). Other lines, such as comments, are ignored."
      - The algorithm follows from the length of the digest (64 hex digits SHA-256, 128 SHA-512) or the tag.
      - The list is read in check mode too.
    type: str
  checksum_name:
    description:
      - Name of the file in the O(checksum_url) list. Defaults to the last path component of O(url).
      - An entry with exactly that name wins (a leading C(./) is ignored on both sides);
        otherwise the one entry whose path ends with C(/<checksum_name>) is used.
        No matching entry, or several, is an error.
    type: str
  release_url:
    description:
      - URL or absolute path of a signed Debian C(InRelease) that lists the SHA-256 and size of the
        O(checksum_url) list, for example V(https://deb.debian.org/debian/dists/trixie/InRelease).
      - It is verified with C(gpgv) against O(keyring); its C(SHA256) entry for the path of O(checksum_url)
        relative to the directory of O(release_url) (for example V(main/installer-amd64/current/images/SHA256SUMS))
        must match the list. O(checksum_url) must lie below that directory. An expired C(Valid-Until) is refused.
      - "The release is pinned: the path of O(release_url) must end in C(dists/<name>/InRelease), and the signed
        C(Codename) or C(Suite) must be exactly C(<name>) (so Debian 12's C(InRelease), which lists the same
        installer path, is refused for V(dists/trixie/)). Its C(Date) is required and must not be older than the
        C(Date) accepted before for the same O(release_url) on this host, kept in O(release_dates_file)
        (a replayed or rolled-back release is refused)."
      - Needs O(checksum_url) and O(keyring).
    type: str
  release_dates_file:
    description:
      - JSON file on the target that keeps, per O(release_url), the C(Date) of the last C(InRelease) accepted.
        An C(InRelease) with an older C(Date) is refused; one with the same or a newer C(Date) is accepted
        and its C(Date) recorded.
      - Written atomically (mode 0644, owned by the user the module runs as), its directory created when missing;
        never written in check mode. Recording a newer C(Date) does not by itself make the task changed.
      - "To accept an older release on purpose, remove its line (or the file): the record starts afresh."
      - Only used with O(release_url).
    type: path
    default: /var/lib/netboot-pxe/release-dates.json
    version_added: 0.5.0
  keyring:
    description:
      - Path on the target of a binary OpenPGP keyring (as C(gpgv --keyring) reads it), for example
        V(/usr/share/keyrings/debian-archive-keyring.gpg).
      - With O(release_url), the keyring that signs the C(InRelease). Without it, O(checksum_url) must be one
        clearsigned message (Fedora and EL C(CHECKSUM) style) signed by a key of the keyring, and only the
        signed text is read; anything outside the signed block makes the list refused.
      - At least one valid signature by a key of the keyring and no bad one are needed; signatures by
        other keys are ignored. Needs C(gpgv) (Debian package gpgv, a dependency of apt).
    type: path
  work_dir:
    description:
      - Private directory for partial downloads, outside the served tree. Created with mode 0700 when missing;
        it must be a directory (not a symbolic link) of the user the module runs as, and its mode is set to 0700.
      - Must not be the directory of O(dest).
    type: path
    default: /var/cache/netboot-pxe/boot-asset
  max_size:
    description:
      - Largest file accepted, in bytes. A larger C(Content-Length), or more bytes received, fails the task
        and removes the partial file.
      - The default, 4 GiB, caps what a hostile or broken mirror can write before the checksum could fail;
        raise it for larger images (for example a distribution's DVD image).
    type: int
    default: 4294967296
  timeout:
    description: Seconds to wait for a connection and for each read from it.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry after a transient error (connection refused or reset, timeout,
        HTTP 408, 429, 5xx, connection closed early), waiting 1, 2, 4... seconds in between.
      - A retry continues the partial download with an HTTP range request.
    type: int
    default: 3
  validate_certs:
    description: Verify the TLS certificates of https:// servers.
    type: bool
    default: true
  headers:
    description: HTTP headers to send with every request (O(url), O(checksum_url), O(release_url)), as a mapping.
    type: dict
  url_username:
    description: User name for HTTP Basic authentication (for O(url), O(checksum_url) and O(release_url)).
    type: str
  url_password:
    description: Password for HTTP Basic authentication. Never logged.
    type: str
  force_basic_auth:
    description: Send the Basic authentication header with the first request instead of waiting for a 401 challenge.
    type: bool
    default: false
  use_proxy:
    description: Use the proxies of the environment. V(false) connects directly.
    type: bool
    default: true
  client_cert:
    description: PEM file with a TLS client certificate (and its key, unless O(client_key) is given).
    type: path
  client_key:
    description: PEM file with the private key of O(client_cert).
    type: path
extends_documentation_fragment:
  - netboot.pxe.attributes
  - netboot.pxe.attributes.full
  - ansible.builtin.files
attributes:
  check_mode:
    details:
      - The checksum list, the release file (signatures checked) and the current O(dest) are read; nothing is
        downloaded or written.
      - On a host an earlier task has not prepared yet, a missing directory of O(dest) or, with O(checksum=dpkg),
        a missing local file counts as a new file, and without C(gpgv) the signatures are not checked; each with
        a warning (a real run fails on all of them).
  diff_mode:
    details: Shows the checksum of O(dest) before and after, a replaced symbolic link, and changed file attributes.
notes:
  - Files are read and hashed in chunks; an ISO image of several gigabytes is never held in memory.
  - The partial file is removed on checksum mismatch or when O(max_size) is exceeded, and kept on network
    failure, so the next run continues it. Its name in O(work_dir) is derived from O(url) and O(dest).
  - Without O(release_url) or O(keyring), a O(checksum_url) fetched over plain http (or from an untrusted
    mirror) authenticates nothing; prefer a signed chain or a O(checksum) written in the playbook.
  - A signed chain alone does not stop an attacker from serving an older, correctly signed release of the same
    name. O(release_dates_file) refuses one older than a release this host accepted before, and an expired
    C(Valid-Until) is refused; but on the first run on a host, or after the record is removed, an older point
    release without C(Valid-Until) (the main Debian archive has none) is accepted. Prefer https:// mirrors.
seealso:
  - module: ansible.builtin.get_url
"""

EXAMPLES = r"""
- name: Debian installer kernel, SHA256SUMS checked through the archive's signed InRelease
  netboot.pxe.boot_asset:
    url: https://deb.debian.org/debian/dists/trixie/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux
    dest: /srv/http/debian/trixie/linux
    checksum_url: https://deb.debian.org/debian/dists/trixie/main/installer-amd64/current/images/SHA256SUMS
    checksum_name: netboot/debian-installer/amd64/linux
    release_url: https://deb.debian.org/debian/dists/trixie/InRelease
    keyring: /usr/share/keyrings/debian-archive-keyring.gpg
    mode: "0644"

- name: An ISO checked against a clearsigned CHECKSUM list and the distribution's key
  netboot.pxe.boot_asset:
    url: https://dl.fedoraproject.org/pub/fedora/linux/releases/44/Server/x86_64/iso/Fedora-Server-netinst-x86_64-44-1.7.iso
    dest: /srv/http/fedora/44/netinst.iso
    checksum_url: https://dl.fedoraproject.org/pub/fedora/linux/releases/44/Server/x86_64/iso/Fedora-Server-44-1.7-x86_64-CHECKSUM
    keyring: /etc/netboot/keys/fedora-44.gpg
    max_size: 4294967296

- name: Fedora PXE kernel, checked against the (unsigned) .treeinfo
  netboot.pxe.boot_asset:
    url: https://dl.fedoraproject.org/pub/fedora/linux/releases/44/Everything/x86_64/os/images/pxeboot/vmlinuz
    dest: /srv/http/fedora/44/vmlinuz
    checksum_url: https://dl.fedoraproject.org/pub/fedora/linux/releases/44/Everything/x86_64/os/.treeinfo
    checksum_name: images/pxeboot/vmlinuz

- name: An ISO with a known digest from a mirror that wants a login
  netboot.pxe.boot_asset:
    url: https://mirror.example.org/alpine/v3.20/releases/x86_64/alpine-standard-3.20.3-x86_64.iso
    dest: /srv/http/alpine/alpine-standard-3.20.3-x86_64.iso
    checksum: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    url_username: lab
    url_password: "{{ mirror_password }}"
    headers:
      X-Lab: netboot
    retries: 6
    timeout: 60

- name: Memtest86+ from its Debian package, checked against the package's md5sums
  netboot.pxe.boot_asset:
    url: /boot/memtest86+x64.bin
    dest: /srv/http/memtest/memtest86+x64.bin
    checksum: dpkg

- name: Copy an initrd built on the server
  netboot.pxe.boot_asset:
    url: /var/lib/netboot/build/initrd.img
    dest: /srv/http/custom/initrd.img
    checksum: "sha512:{{ initrd_sha512 }}"
"""

RETURN = r"""
dest:
  description: Path of the file.
  returned: always
  type: str
  sample: /srv/http/debian/trixie/linux
url:
  description: The O(url) the file comes from.
  returned: always
  type: str
  sample: https://deb.debian.org/debian/dists/trixie/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux
checksum:
  description:
    - Digest of the file now at O(dest), as C(algorithm:hex) (C(md5:hex) with O(checksum=dpkg)).
    - In check mode, when the file would be downloaded, the digest it would have.
  returned: success
  type: str
  sample: sha256:4a1c0e1c2d8d1f8e2b9a6a0a3f6f3d1a2c3b4d5e6f708192a3b4c5d6e7f80912
authenticity:
  description:
    - How the expected digest was vouched for. V(signed-release) - the checksum list matched a signed
      C(InRelease); V(signed-checksums) - the checksum list was clearsigned by a key of O(keyring);
      V(checksum) - the digest was given in O(checksum); V(dpkg) - the md5sums of the package that installed
      the file; V(unsigned-checksums) - a checksum list without a signature (integrity only).
  returned: when the expected digest was found
  type: str
  sample: signed-release
size:
  description: Size of the file at O(dest) in bytes.
  returned: success, except in check mode when the file would be downloaded
  type: int
  sample: 8147392
downloaded:
  description: Whether the file was downloaded (or copied) and moved into place.
  returned: success
  type: bool
  sample: true
resumed:
  description: Whether the download continued a partial file in O(work_dir) instead of starting from the beginning.
  returned: success
  type: bool
  sample: false
diff:
  description:
    - Checksum of O(dest) before and after (V(null) when it did not exist or was a symbolic link),
      C(state) V(link) to V(file) when a symbolic link is replaced, and changed file attributes.
  returned: success
  type: dict
  sample: {"before": {"checksum": null}, "after": {"checksum": "sha256:4a1c0e1c..."}}
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netboot.pxe.plugins.module_utils._files.checksums import (
    BootAssetError,
    file_digest,
    find_checksum,
    format_checksum,
    parse_checksum,
    parse_checksum_list,
)
from ansible_collections.netboot.pxe.plugins.module_utils._files.dpkg import dpkg_checksum
from ansible_collections.netboot.pxe.plugins.module_utils._files.fetch import (
    ChecksumMismatchError,
    default_checksum_name,
    dest_kind,
    ensure_work_dir,
    fetch_verified,
    install_file,
    is_supported_source,
    local_path,
    part_path,
    read_bytes,
    url_options,
)
from ansible_collections.netboot.pxe.plugins.module_utils._files.signed import (
    OlderReleaseError,
    SignatureError,
    check_against_release,
    clearsigned_text,
    read_release_dates,
    verify_clearsigned,
    write_release_dates,
)

URL_OPTIONS = ('timeout', 'validate_certs', 'headers', 'url_username', 'url_password', 'force_basic_auth',
               'use_proxy', 'client_cert', 'client_key')
# The default max_size: 4 GiB.
DEFAULT_MAX_SIZE = 4 * 1024 ** 3


def _runner(module, encoding=None):
    """run(argv) -> (rc, stdout, stderr), without a shell; bytes unless ``encoding`` is given."""
    def run(argv):
        return module.run_command(argv, encoding=encoding, expand_user_and_vars=False, environ_update={'LC_ALL': 'C'})
    return run


def _unchecked_text(data, keyring, where, run):
    """The text of a clearsigned message, its signature not checked (check mode before gpgv is there)."""
    return clearsigned_text(data, where)


def expected_checksum(module, options):
    """Return (algorithm, hex digest, authenticity) from checksum, dpkg or the checksum_url list."""
    params = module.params
    url = params['url']
    if params['checksum'] == 'dpkg':
        if '://' in url and not url.lower().startswith('file://'):
            raise BootAssetError(f'checksum dpkg is for a local file from a Debian package, got url {url!r}')
        return dpkg_checksum(url, _runner(module, 'utf-8')) + ('dpkg',)
    if params['checksum']:
        return parse_checksum(params['checksum']) + ('checksum',)
    list_url = params['checksum_url']
    for option in ('checksum_url', 'release_url'):
        if params[option] is not None and not is_supported_source(params[option]):
            raise BootAssetError(f'{option} must be an http(s):// or file:// URL or an absolute path, got {params[option]!r}')
    retries = params['retries']
    data = read_bytes(list_url, options, retries)
    verify = verify_clearsigned
    if module.check_mode and params['keyring'] and module.get_bin_path('gpgv') is None:
        # On a fresh server the role installs gpgv first: predict from the lists as they are.
        module.warn('gpgv is not installed yet: in check mode the signatures are not checked (a real run checks them)')
        verify = _unchecked_text
    try:
        if params['release_url']:
            release_url, dates_file = params['release_url'], params['release_dates_file']
            release = read_bytes(release_url, options, retries)
            signed = verify(release, params['keyring'], f'release_url {release_url}', _runner(module))
            dates = read_release_dates(dates_file)
            try:
                checked = check_against_release(data, signed, release_url, list_url, dates.get(release_url))
            except OlderReleaseError as exc:
                raise SignatureError(f'{exc}; the Dates accepted before are kept in {dates_file}') from exc
            if not module.check_mode and dates.get(release_url) != checked.date:
                write_release_dates(dates_file, {**dates, release_url: checked.date})
            text, authenticity = data.decode('utf-8', errors='replace'), 'signed-release'
        elif params['keyring']:
            text = verify(data, params['keyring'], f'checksum_url {list_url}', _runner(module))
            authenticity = 'signed-checksums'
        else:
            text, authenticity = data.decode('utf-8', errors='replace'), 'unsigned-checksums'
    except SignatureError as exc:
        raise BootAssetError(str(exc)) from exc
    name = params['checksum_name'] or default_checksum_name(url)
    return find_checksum(parse_checksum_list(text), name, list_url) + (authenticity,)


def _defaults(params, dest, kind):
    """Owner, group and mode for the new file: the task's, else those of the regular file it replaces."""
    args = dict(params)
    if kind == 'file':
        info = os.lstat(dest)
        if args['mode'] is None:
            args['mode'] = f'{stat.S_IMODE(info.st_mode):04o}'
        if os.geteuid() == 0:
            args['owner'] = args['owner'] or str(info.st_uid)
            args['group'] = args['group'] or str(info.st_gid)
    elif args['mode'] is None:
        umask = os.umask(0)
        os.umask(umask)
        args['mode'] = f'{0o666 & ~umask:04o}'
    return args


def main():
    module = AnsibleModule(
        argument_spec={
            'url': {'type': 'str', 'required': True},
            'dest': {'type': 'path', 'required': True},
            'checksum': {'type': 'str'},
            'checksum_url': {'type': 'str'},
            'checksum_name': {'type': 'str'},
            'release_url': {'type': 'str'},
            'keyring': {'type': 'path'},
            'work_dir': {'type': 'path', 'default': '/var/cache/netboot-pxe/boot-asset'},
            'release_dates_file': {'type': 'path', 'default': '/var/lib/netboot-pxe/release-dates.json'},
            'max_size': {'type': 'int', 'default': DEFAULT_MAX_SIZE},
            'timeout': {'type': 'int', 'default': 30},
            'retries': {'type': 'int', 'default': 3},
            'validate_certs': {'type': 'bool', 'default': True},
            'headers': {'type': 'dict'},
            'url_username': {'type': 'str'},
            'url_password': {'type': 'str', 'no_log': True},
            'force_basic_auth': {'type': 'bool', 'default': False},
            'use_proxy': {'type': 'bool', 'default': True},
            'client_cert': {'type': 'path'},
            'client_key': {'type': 'path'},
        },
        mutually_exclusive=[('checksum', 'checksum_url'), ('checksum', 'keyring'), ('checksum', 'release_url')],
        required_one_of=[('checksum', 'checksum_url')],
        required_by={'release_url': ['checksum_url', 'keyring'], 'keyring': ['checksum_url'], 'checksum_name': ['checksum_url']},
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    url, dest = params['url'], params['dest']
    result = {'changed': False, 'dest': dest, 'url': url, 'downloaded': False, 'resumed': False}
    if not is_supported_source(url):
        module.fail_json(msg=f'url must be an http(s):// or file:// URL or an absolute path, got {url!r}', **result)
    if params['timeout'] <= 0:
        module.fail_json(msg=f'timeout must be positive, got {params["timeout"]}', **result)
    if params['retries'] < 0:
        module.fail_json(msg=f'retries must not be negative, got {params["retries"]}', **result)
    if params['max_size'] is None or params['max_size'] <= 0:
        module.fail_json(msg=f'max_size must be a positive number of bytes, got {params["max_size"]}', **result)
    if params['headers'] and not all(isinstance(v, str) for v in params['headers'].values()):
        module.fail_json(msg='headers must map header names to strings', **result)
    for option in ('work_dir', 'release_dates_file'):
        if not os.path.isabs(params[option]):
            module.fail_json(msg=f'{option} must be an absolute path, got {params[option]!r}', **result)
    parent = os.path.dirname(dest) or '.'
    # In check mode an earlier task may not have made the directory yet: the file would be new.
    if not os.path.isdir(parent) and not (module.check_mode and not os.path.lexists(parent)):
        module.fail_json(msg=f'directory {parent} of dest does not exist', **result)
    kind = dest_kind(dest)
    if kind == 'directory':
        module.fail_json(msg=f'dest {dest} is a directory', **result)
    if kind == 'other':
        module.fail_json(msg=f'dest {dest} is not a regular file', **result)
    if os.path.realpath(params['work_dir']) == os.path.realpath(parent):
        module.fail_json(msg=f'work_dir {params["work_dir"]} must not be the directory of dest', **result)
    options = url_options(**{key: params[key] for key in URL_OPTIONS})

    try:
        algorithm, expected, authenticity = expected_checksum(module, options)
        # A symbolic link at dest is never read through: it is replaced by the file.
        current = file_digest(dest, algorithm, nofollow=True) if kind == 'file' else None
    except BootAssetError as exc:
        if module.check_mode and params['checksum'] == 'dpkg' and not os.path.lexists(local_path(url)):
            # On a fresh server an earlier task installs the file's package.
            module.warn(f'{local_path(url)} is not there yet: in check mode {dest} counts as new')
            result.update(changed=True)
            module.exit_json(**result)
        module.fail_json(msg=str(exc), **result)
    result['authenticity'] = authenticity
    if kind == 'link':
        module.warn(f'dest {dest} is a symbolic link; it is replaced by the file, never written through')
    after = format_checksum(algorithm, expected)
    before = format_checksum(algorithm, current) if current else None
    diff = {'before': {'checksum': before}, 'after': {'checksum': after}, 'before_header': dest, 'after_header': dest}
    if kind == 'link':
        diff['before']['state'], diff['after']['state'] = 'link', 'file'

    if current != expected:
        result.update(changed=True, checksum=after, diff=diff)
        if module.check_mode:
            module.exit_json(**result)
        args = _defaults(params, dest, kind)

        def prepare(path):
            module.set_fs_attributes_if_different(module.load_file_common_arguments(args, path=path), False)

        try:
            ensure_work_dir(params['work_dir'])
            part = part_path(params['work_dir'], url, dest)
            download = fetch_verified(url, part, algorithm, expected, options, params['retries'],
                                      max_size=params['max_size'])
            install_file(download.path, dest, algorithm, expected, prepare)
        except ChecksumMismatchError as exc:
            result.update(changed=False, expected=exc.expected, actual=exc.actual)
            result.pop('checksum')
            module.fail_json(msg=str(exc), **result)
        except BootAssetError as exc:
            result.update(changed=False)
            result.pop('checksum')
            module.fail_json(msg=str(exc), **result)
        result.update(downloaded=True, resumed=download.resumed)

    file_args = module.load_file_common_arguments(params, path=dest)
    result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'], diff)
    result.update(checksum=after, size=os.path.getsize(dest), diff=diff)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
