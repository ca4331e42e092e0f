# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.netboot.pxe.plugins.module_utils._boot.images import (
    ImageError,
    check_entries,
    check_entry,
    compression,
    image_description,
    image_files,
    planned_images,
)

SHA256 = 'sha256:' + 'ab' * 32
SHA512 = 'sha512:' + 'cd' * 64
BUILT = {'name': 'web', 'form': 'archive', 'build': {'suite': 'trixie', 'packages': ['nginx']}}


def url_entry(url, form='raw', name='img', checksum=SHA256):
    return {'name': name, 'form': form, 'url': url, 'checksum': checksum}


@pytest.mark.parametrize('entries, files', [
    pytest.param([], {}, id='none'),
    pytest.param([BUILT], {'web': {'file': 'root.tar.zst', 'form': 'archive', 'compression': 'zst', 'source': 'build'}},
                 id='built-archive'),
    pytest.param([{'name': 'db', 'form': 'raw', 'build': {'suite': 'bookworm'}}],
                 {'db': {'file': 'disk.raw.zst', 'form': 'raw', 'compression': 'zst', 'source': 'build'}}, id='built-raw'),
    pytest.param([url_entry('https://images.lab/debian-13-genericcloud-amd64.qcow2')],
                 {'img': {'file': 'disk.raw.zst', 'form': 'raw', 'compression': 'zst', 'source': 'url'}}, id='qcow2-converted'),
    pytest.param([url_entry('https://images.lab/disk.img.xz')],
                 {'img': {'file': 'disk.img.xz', 'form': 'raw', 'compression': 'xz', 'source': 'url'}}, id='raw-xz'),
    pytest.param([url_entry('http://images.lab/a/disk.raw')],
                 {'img': {'file': 'disk.raw', 'form': 'raw', 'compression': 'none', 'source': 'url'}}, id='raw-plain'),
    pytest.param([url_entry('file:///srv/images/root.tar.gz', 'archive', checksum=SHA512)],
                 {'img': {'file': 'root.tar.gz', 'form': 'archive', 'compression': 'gz', 'source': 'url'}}, id='archive-file-url'),
    pytest.param([url_entry('https://images.lab/root.tar', 'archive')],
                 {'img': {'file': 'root.tar', 'form': 'archive', 'compression': 'none', 'source': 'url'}}, id='archive-plain'),
    pytest.param([url_entry('https://images.lab/my%2Bimage.raw.zst')],
                 {'img': {'file': 'my+image.raw.zst', 'form': 'raw', 'compression': 'zst', 'source': 'url'}}, id='quoted-name'),
])
def test_image_files(entries, files):
    assert image_files(entries) == files


@pytest.mark.parametrize('entries, message', [
    pytest.param('web', "netboot_images must be a list of images, got 'web'", id='not-a-list'),
    pytest.param(['web'], "netboot_images[0] must be a mapping with name, form and build or url, got 'web'", id='not-a-mapping'),
    pytest.param([dict(BUILT, image='x')], 'netboot_images[0] has unknown key(s) image; known: name, form, build, url, checksum',
                 id='unknown-key'),
    pytest.param([dict(BUILT, name='Web')], "netboot_images[0].name must be 1-63 lower-case letters, digits and \"-\", "
                                            "starting with a letter or digit, got 'Web'", id='name-upper-case'),
    pytest.param([dict(BUILT, name='web\n')], "netboot_images[0].name must be", id='name-newline'),
    pytest.param([dict(BUILT, name='-web')], 'netboot_images[0].name must be', id='name-leading-hyphen'),
    pytest.param([dict(BUILT, name='w' * 64)], 'netboot_images[0].name must be', id='name-too-long'),
    pytest.param([dict(BUILT, form='iso')], "netboot_images[0].form must be one of archive, raw, got 'iso'", id='form'),
    pytest.param([BUILT, dict(BUILT, form='raw')], "netboot_images[1].name 'web' is given twice (also netboot_images[0])",
                 id='duplicate'),
    pytest.param([{'name': 'web', 'form': 'raw'}], 'netboot_images[0] (web) must have either build or url (with checksum), '
                                                   'got neither', id='neither'),
    pytest.param([dict(BUILT, url='https://images.lab/root.tar', checksum=SHA256)],
                 'netboot_images[0] (web) must have either build or url (with checksum), not both', id='both'),
    pytest.param([dict(BUILT, checksum=SHA256)], 'netboot_images[0].checksum is for a url; a built image has none',
                 id='built-with-checksum'),
    pytest.param([dict(BUILT, build='trixie')], "netboot_images[0].build must be a mapping with suite, mirror and packages, "
                                                "got 'trixie'", id='build-not-a-mapping'),
    pytest.param([dict(BUILT, build={'suite': 'trixie', 'include': []})],
                 'netboot_images[0].build has unknown key(s) include; known: suite, mirror, packages', id='build-unknown-key'),
    pytest.param([dict(BUILT, build={'suite': 'sid'})], "netboot_images[0].build.suite must be one of trixie, bookworm, "
                                                        "got 'sid'", id='suite'),
    pytest.param([dict(BUILT, build={})], 'netboot_images[0].build.suite must be one of trixie, bookworm, got None',
                 id='suite-missing'),
    pytest.param([dict(BUILT, build={'suite': 'trixie', 'mirror': 'http://mirror.lab/debian main'})],
                 "netboot_images[0].build.mirror must be the http(s) URL of a Debian mirror, got 'http://mirror.lab/debian main'",
                 id='mirror-two-words'),
    pytest.param([dict(BUILT, build={'suite': 'trixie', 'packages': 'nginx'})],
                 "netboot_images[0].build.packages must be a list of Debian package names, got 'nginx'", id='packages-string'),
    pytest.param([dict(BUILT, build={'suite': 'trixie', 'packages': ['nginx', 'a,b']})],
                 "netboot_images[0].build.packages[1] must be a Debian package name, got 'a,b'", id='package-comma'),
    pytest.param([dict(BUILT, build={'suite': 'trixie', 'packages': ['--hook=x']})],
                 "netboot_images[0].build.packages[0] must be a Debian package name, got '--hook=x'", id='package-option'),
    pytest.param([url_entry('https://images.lab/disk.raw', checksum='md5:00')],
                 "netboot_images[0].checksum must be sha256:<64 hex> or sha512:<128 hex>, got 'md5:00'", id='checksum-md5'),
    pytest.param([url_entry('https://images.lab/disk.raw', checksum=SHA256 + '\n')],
                 'netboot_images[0].checksum must be sha256:<64 hex> or sha512:<128 hex>, got ', id='checksum-newline'),
    pytest.param([url_entry('https://images.lab/disk.raw', checksum=None)],
                 'netboot_images[0].checksum must be sha256:<64 hex> or sha512:<128 hex>, got None', id='checksum-missing'),
    pytest.param([url_entry('ftp://images.lab/disk.raw')],
                 "netboot_images[0].url must be an http(s):// URL or a file:// URL of an absolute path, without query, "
                 "got 'ftp://images.lab/disk.raw'", id='url-scheme'),
    pytest.param([url_entry('https://images.lab/disk.raw?token=1')], 'netboot_images[0].url must be an http(s)://',
                 id='url-query'),
    pytest.param([url_entry('file://srv/disk.raw')], 'netboot_images[0].url must be an http(s)://', id='file-url-relative'),
    pytest.param([url_entry('https://images.lab/')], "netboot_images[0].url must end in a file name of letters, digits and "
                                                     "._+~- (not image.json), got 'https://images.lab/'", id='url-no-file'),
    pytest.param([url_entry('https://images.lab/image.json')], 'netboot_images[0].url must end in a file name',
                 id='url-description-name'),
    pytest.param([url_entry('https://images.lab/disk.raw.bz2')],
                 "netboot_images[0].url must be compressed with zstd, xz or gzip (.zst, .xz, .gz) or not at all, "
                 "got 'https://images.lab/disk.raw.bz2'", id='bzip2'),
    pytest.param([url_entry('https://images.lab/disk.qcow2.xz')],
                 'netboot_images[0].url must be a plain .qcow2 file (it is converted on the server)', id='compressed-qcow2'),
    pytest.param([url_entry('https://images.lab/root.tar.zst', 'raw')],
                 "netboot_images[0].url is a tar archive: its form must be archive, got 'raw'", id='tar-as-raw'),
    pytest.param([url_entry('https://images.lab/disk.qcow2', 'archive')],
                 "netboot_images[0].url is a qcow2 disk image: its form must be raw, got 'archive'", id='qcow2-as-archive'),
    pytest.param([url_entry('https://images.lab/root.zst', 'archive')],
                 'netboot_images[0].url of an archive must name a tar archive (.tar, .tar.zst, .tar.xz, .tar.gz)',
                 id='archive-not-tar'),
])
def test_check_entries_refuses(entries, message):
    with pytest.raises(ImageError) as raised:
        check_entries(entries)
    assert str(raised.value).startswith(message)


def test_errors_name_the_variable_given():
    with pytest.raises(ImageError, match=r"^images_entries\[0\]\.form must be"):
        check_entries([dict(BUILT, form='disk')], name='images_entries')
    with pytest.raises(ImageError, match=r'^form must be one of archive, raw'):
        check_entry(dict(BUILT, form='disk'))


def test_a_build_gets_the_default_mirror_and_no_packages_and_a_checksum_lower_case():
    assert check_entries([{'name': 'db', 'form': 'raw', 'build': {'suite': 'trixie'}}], mirror='http://mirror.lab/debian') == [
        {'name': 'db', 'form': 'raw', 'build': {'suite': 'trixie', 'mirror': 'http://mirror.lab/debian', 'packages': []}}]
    upper = 'sha256:' + 'AB' * 32
    assert check_entries([url_entry('https://images.lab/disk.raw', checksum=upper)])[0]['checksum'] == SHA256
    own = {'suite': 'bookworm', 'mirror': 'https://mirror.lab/debian', 'packages': ['nginx']}
    assert check_entries([dict(BUILT, build=own)], mirror='http://other/debian')[0]['build'] == own


def test_planned_images_carry_the_published_file():
    assert planned_images([BUILT, url_entry('https://images.lab/disk.img.gz')]) == [
        {'name': 'web', 'form': 'archive', 'file': 'root.tar.zst', 'compression': 'zst',
         'build': {'suite': 'trixie', 'mirror': 'https://deb.debian.org/debian', 'packages': ['nginx']}},
        {'name': 'img', 'form': 'raw', 'url': 'https://images.lab/disk.img.gz', 'checksum': SHA256, 'file': 'disk.img.gz',
         'compression': 'gz'}]
    with pytest.raises(ImageError, match=r'^images_entries\[0\]'):
        planned_images([{}])


@pytest.mark.parametrize('name, kind', [('a.zst', 'zst'), ('a.tar.xz', 'xz'), ('a.img.gz', 'gz'), ('a.raw', 'none'),
                                        ('zst', 'none')])
def test_compression(name, kind):
    assert compression(name) == kind


def test_image_description():
    assert image_description('root.tar.zst', SHA256, 'archive', 'zst', 3 * 1024 ** 3) == {
        'file': 'root.tar.zst', 'checksum': SHA256, 'form': 'archive', 'compression': 'zst', 'size': 3 * 1024 ** 3}
