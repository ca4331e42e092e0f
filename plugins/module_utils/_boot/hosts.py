# Copyright (c) netboot.pxe developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plan the machines with an iPXE script of their own (the ipxe role's ``ipxe_hosts``).

Each entry has a ``mac`` and either menu ``items``, the ``os`` (a catalog entry) to install
unattended, or the ``image`` (of the images role) that the netboot.pxe agent deploys. The plan is
the list of installs (the role renders their answer files; an image deploy's job is rendered here)
and the per-host scripts, ``hosts/<mac>.ipxe`` (iPXE), or for a ``secure_boot`` machine
``grub/hosts/<mac>.cfg`` (GRUB).

Private module: its API may change without notice.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping

from ansible_collections.netboot.pxe.plugins.module_utils._boot.access import (
    HostAccessError,
    machine_locations,
    render_nginx_access,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.catalog import (
    CatalogError,
    host_items,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.discovery_files import DiscoveryPlanError, discovery_plan
from ansible_collections.netboot.pxe.plugins.module_utils._boot.grub import (
    GrubMenuError,
    own_disk_config,
    render_grub_menu,
)
from ansible_collections.netboot.pxe.plugins.module_utils._boot.ipxe import OWN_DISK_LINES, render_menu
from ansible_collections.netboot.pxe.plugins.module_utils._boot.menu import MenuError, check_text, normalize_item
from ansible_collections.netboot.pxe.plugins.module_utils._boot.seed import SeedError, seed
from ansible_collections.netboot.pxe.plugins.module_utils._validate import (
    DIGITS,
    DISK_ID,
    DISK_PATH,
    HOST_NAME,
    HTTP_URL,
    IMAGE_NAME,
    KERNEL_ARGS,
    RELATIVE_PATH,
    SSH_KEY,
    is_ipv4,
    is_ipv6,
    normalize_mac,
)
from ansible_collections.netboot.pxe.plugins.module_utils._dhcp.subnets6 import DUID, SYSTEM_UUID

KEYS = ('mac', 'items', 'os', 'hostname', 'ip', 'ipv6', 'duid', 'uuid', 'default', 'timeout', 'answer_template', 'build', 'secure_boot',
        'image', 'disk')
DEFAULT_TIMEOUT = 1
# What chooses the disk an image is written to (the agent's rule; every one given must hold).
DISK_KEYS = ('path', 'serial', 'model', 'min_size', 'max_size')
# What the agent does after a failed deploy: wait, or power the machine off. Either way the disk was
# wiped and the machine does not boot again by itself, so a failure never starts a reinstall loop.
ON_FAILURE = ('wait', 'poweroff')
# An image deploy's job and the menu item that boots the agent with it.
JOB_FILE = 'job.json'
DEPLOY_KEY = 'deploy'


class IpxeHostsError(CatalogError):
    """An ipxe_hosts entry (or a setting of the plan) that cannot be used; the message names where."""


def _mac(where, entry):
    if 'mac' not in entry:
        raise IpxeHostsError(f'{where}: needs a "mac" like 52:54:00:12:34:56, got {entry!r}')
    mac = entry['mac']
    normalized = normalize_mac(mac)
    if normalized:
        return normalized
    hint = ''
    if isinstance(mac, int) and not isinstance(mac, bool):
        hint = '; quote it in YAML, which reads a MAC of digits and ":" only as a number'
    raise IpxeHostsError(f'{where}.mac: {mac!r} is not a MAC address like 52:54:00:12:34:56, 52-54-00-12-34-56, 5254.0012.3456 or 525400123456{hint}')


def _timeout(where, entry):
    value = entry.get('timeout', DEFAULT_TIMEOUT)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value):
        return int(value)
    raise IpxeHostsError(f'{where}.timeout: must be a whole number of seconds >= 0 (0 waits forever), got {value!r}')


def _size(where, value):
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value) and int(value) >= 1:
        return int(value)
    raise IpxeHostsError(f'{where}: must be a whole number of bytes >= 1, got {value!r}')


def disk_rule(where, value):
    """The disk rule of an image entry (``disk``), checked: the agent writes the image to the disk that
    matches every key given (``path``, ``serial``, ``model``, ``min_size``, ``max_size``)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IpxeHostsError(f'{where}: must be a mapping of {", ".join(DISK_KEYS)}, got {value!r}')
    unknown = sorted(set(value) - set(DISK_KEYS), key=str)
    if unknown:
        raise IpxeHostsError(f'{where}: unknown key(s) {", ".join(map(str, unknown))}; known: {", ".join(DISK_KEYS)}')
    rule = {}
    if 'path' in value:
        if not (isinstance(value['path'], str) and DISK_PATH.fullmatch(value['path'])):
            raise IpxeHostsError(f'{where}.path: {value["path"]!r} is not a disk as the kernel names it, like /dev/sda or '
                                 '/dev/nvme0n1 (the agent matches the names of /sys/block, not /dev/disk/by-id links)')
        rule['path'] = value['path']
    for key in ('serial', 'model'):
        if key in value:
            if not (isinstance(value[key], str) and DISK_ID.fullmatch(value[key])):
                raise IpxeHostsError(f'{where}.{key}: {value[key]!r} is not a disk {key} as the kernel reports it: 1 to 128 '
                                     'printable ASCII characters, no space at either end (quote it in YAML)')
            rule[key] = value[key]
    for key in ('min_size', 'max_size'):
        if key in value:
            rule[key] = _size(f'{where}.{key}', value[key])
    if rule.get('min_size', 0) > rule.get('max_size', rule.get('min_size', 0)):
        raise IpxeHostsError(f'{where}: min_size {rule["min_size"]} is larger than max_size {rule["max_size"]}')
    return rule


def check_entry(entry, where):
    """Validate one ipxe_hosts entry; return its MAC, lower case with ":"."""
    if not isinstance(entry, dict):
        raise IpxeHostsError(f'{where}: must be a mapping with a "mac" and "items", "os" or "image", got {entry!r}')
    unknown = sorted(set(entry) - set(KEYS), key=str)
    if unknown:
        described = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            described.append(f'{key} (did you mean {close[0]}?)' if close else str(key))
        raise IpxeHostsError(f'{where}: unknown key(s) {", ".join(described)}; known: {", ".join(KEYS)}')
    mac = _mac(where, entry)
    if 'items' in entry and 'os' in entry:
        raise IpxeHostsError(f'{where}: has both "items" and "os"; give the menu items or the catalog entry to install, '
                             f'got {entry!r}')
    for other in ('items', 'os'):
        if 'image' in entry and other in entry:
            raise IpxeHostsError(f'{where}: has both "image" and "{other}"; give the image to deploy, the catalog entry to '
                                 f'install or the menu items, got {entry!r}')
    secure_boot = entry.get('secure_boot', False)
    if not isinstance(secure_boot, bool):
        raise IpxeHostsError(f'{where}.secure_boot: must be true or false, got {secure_boot!r}')
    if 'items' not in entry and 'os' not in entry and 'image' not in entry and not secure_boot:
        raise IpxeHostsError(f'{where}: needs "items" (a non-empty list of menu items) or "os" (the catalog entry to '
                             f'install) or "image" (the OS image to deploy), got {entry!r}')
    if 'items' in entry and (not isinstance(entry['items'], list) or not entry['items']):
        raise IpxeHostsError(f'{where}.items: must be a non-empty list of menu items, got {entry["items"]!r}')
    if 'os' in entry and not isinstance(entry['os'], str):
        raise IpxeHostsError(f'{where}.os: must be the name of a catalog entry, got {entry["os"]!r}')
    if 'image' in entry and not (isinstance(entry['image'], str) and IMAGE_NAME.fullmatch(entry['image'])):
        raise IpxeHostsError(f'{where}.image: must be the name of an image of ipxe_images (lower-case letters, digits '
                             f'and "-"), got {entry["image"]!r}')
    if 'disk' in entry:
        if 'image' not in entry:
            raise IpxeHostsError(f'{where}.disk: only goes with "image" (the disk the image is written to), got {entry!r}')
        disk_rule(f'{where}.disk', entry['disk'])
    hostname = entry.get('hostname')
    if 'hostname' in entry and not (isinstance(hostname, str) and HOST_NAME.fullmatch(hostname)):
        raise IpxeHostsError(f'{where}.hostname: {hostname!r} is not a host name of at most 63 lowercase letters, '
                             'digits and "-", starting and ending with a letter or digit')
    default = entry.get('default')
    if default is not None and not isinstance(default, str):
        raise IpxeHostsError(f'{where}.default: must be the key of one of the entry\'s items, got {default!r}')
    template = entry.get('answer_template')
    if 'answer_template' in entry and not (isinstance(template, str) and template):
        raise IpxeHostsError(f'{where}.answer_template: must be the path of a template on the controller, got {template!r}')
    if 'answer_template' in entry and 'image' in entry:
        raise IpxeHostsError(f'{where}.answer_template: only goes with "os"; an image deploy\'s answers are its cloud-init '
                             f'seed, from the ipxe_answer_* variables, got {entry!r}')
    if 'ip' in entry and not is_ipv4(entry['ip']):
        raise IpxeHostsError(f'{where}.ip: must be the machine\'s reserved IPv4 address, got {entry["ip"]!r}')
    if 'ipv6' in entry and not is_ipv6(entry['ipv6']):
        raise IpxeHostsError(f'{where}.ipv6: must be the machine\'s reserved IPv6 address (global or unique local, '
                             f'without zone index), got {entry["ipv6"]!r}')
    if 'duid' in entry and not (isinstance(entry['duid'], str) and DUID.fullmatch(entry['duid'])):
        raise IpxeHostsError(f'{where}.duid: must be the machine\'s DHCPv6 DUID in colon-separated hex (like '
                             f'00:03:00:01:52:54:00:12:34:56), got {entry["duid"]!r}')
    if 'uuid' in entry and not (isinstance(entry['uuid'], str) and SYSTEM_UUID.fullmatch(entry['uuid'])):
        raise IpxeHostsError(f'{where}.uuid: must be the machine\'s system UUID (like 4c4c4544-0042-3510-8052-b4c04f4d3732), '
                             f'got {entry["uuid"]!r}')
    for field in ('duid', 'uuid'):
        if field in entry and 'ipv6' not in entry:
            raise IpxeHostsError(f'{where}.{field}: only goes with "ipv6", the address reserved for that {field.upper()}, '
                                 f'got {entry!r}')
    if 'duid' in entry and 'uuid' in entry:
        raise IpxeHostsError(f'{where}: give "duid" or "uuid" (which makes iPXE\'s DUID), not both, got {entry!r}')
    if 'image' in entry and 'ip' not in entry:
        raise IpxeHostsError(f'{where}: an "image" entry needs "ip", the machine\'s reserved address: its job, its report and '
                             f'its build marker are served to that address only, got {entry!r}')
    build = entry.get('build', 1)
    if isinstance(build, bool) or not isinstance(build, int) or build < 1:
        raise IpxeHostsError(f'{where}.build: must be a whole number >= 1 (raise it to install again), got {build!r}')
    if 'build' in entry and 'os' not in entry and 'image' not in entry:
        raise IpxeHostsError(f'{where}.build: only goes with "os" or "image" (an unattended install or an image deploy), '
                             f'got {entry!r}')
    _timeout(where, entry)
    return mac


def _own_disk_script(mac, build):
    return '\n'.join(['#!ipxe', f'# {mac}: build {build} installed; this machine boots its own disk.'] + OWN_DISK_LINES) + '\n'


def _mapping(where, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IpxeHostsError(f'{where}: must be a mapping, got {value!r}')
    return value


def _installed_mirror(entry, mirrors, builtin_mirrors, proxy):
    """The package mirror of the installed system: the catalog's when it is http(s), else the built-in one.
    Through a package cache (``proxy``) over http: the cache cannot look into https (apt checks the
    signatures of what it fetches either way)."""
    name = entry.get('mirror')
    if name is None:
        return ''
    mirror = mirrors.get(name, '')
    if not (isinstance(mirror, str) and mirror.startswith(('http://', 'https://'))):
        mirror = builtin_mirrors.get(name, '')
    if proxy and mirror.startswith('https://'):
        return 'http://' + mirror[len('https://'):]
    return mirror


def _script(items, entry, where, items_name, menu_title, base_url, only_while=None):
    """The per-host script: a menu of ``items`` that boots its default after the entry's timeout
    (only while the file at ``only_while`` is there, when given). A secure_boot machine's is a
    GRUB configuration, an iPXE script otherwise."""
    default = entry.get('default')
    try:
        if default is not None:
            keys = [item['key'] for item in (normalize_item(item, index, base_url, items_name)
                                             for index, item in enumerate(items)) if 'key' in item]
            if default not in keys:
                raise IpxeHostsError(f'{where}.default: {default!r} is not the key of one of its items; keys: {", ".join(keys)}')
        render = render_grub_menu if entry.get('secure_boot') else render_menu
        return render(items, title=menu_title, default=default, timeout=_timeout(where, entry),
                      base_url=base_url, name=items_name, only_while=only_while)
    except (MenuError, GrubMenuError) as exc:
        raise IpxeHostsError(str(exc)) from exc


# The answers shared by every unattended install, as each answer file (preseed, autoinstall
# user-data, kickstart) can hold them without quoting: one word each, SSH keys one line each.
ANSWERS = {
    'ipxe_answer_locale': r'[A-Za-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]{1,16})?(@[a-z]{1,16})?',
    'ipxe_answer_keyboard': r'[A-Za-z0-9_-]{1,32}',
    'ipxe_answer_timezone': r'[A-Za-z0-9_+-]{1,32}(/[A-Za-z0-9_+-]{1,32}){0,2}',
    'ipxe_answer_domain': r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*',
    'ipxe_answer_user': r'[a-z_][a-z0-9_-]{0,31}',
    # A crypt(3) hash ($id$..., as mkpasswd writes it), or "!" or "*" (no password): never a password itself.
    'ipxe_answer_password_hash': r'!|\*|\$(?:1|2[abxy]|5|6|7|y|gy)\$[A-Za-z0-9./$=,+_-]{1,508}',
    # The installers' HTTP proxy (a package cache), or none.
    'ipxe_answer_proxy': r'(http://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?/)?',
}


def answer_problems(answers):
    """Problems of the answers shared by the unattended installs (``{variable: value}``), naming each."""
    problems = []
    for variable, pattern in ANSWERS.items():
        if variable in answers and not (isinstance(answers[variable], str) and re.fullmatch(pattern, answers[variable])):
            if variable == 'ipxe_answer_password_hash':
                # Perhaps the password itself, given by mistake: never part of a message.
                problems.append(f'{variable} must be a crypted password (mkpasswd -m sha-512) or "!", one word matching '
                                f'{pattern} (no spaces, quotes or line breaks); its value is not shown')
                continue
            problems.append(f'{variable} must match {pattern} (one word, no quotes or line breaks), got {answers[variable]!r}')
    keys = answers.get('ipxe_answer_ssh_keys', [])
    if not isinstance(keys, list):
        problems.append(f'ipxe_answer_ssh_keys must be a list of SSH public keys, got {keys!r}')
        keys = []
    for index, key in enumerate(keys):
        if not isinstance(key, str) or not SSH_KEY.fullmatch(key):
            problems.append(f'ipxe_answer_ssh_keys[{index}] must be one SSH public key line like "ssh-ed25519 AAAA... user@host" '
                            f'(a comment of letters, digits and @._+:=,-), got {key!r}')
    unknown = sorted(set(answers) - set(ANSWERS) - {'ipxe_answer_ssh_keys'})
    if unknown:
        problems.append(f'answers: unknown variable(s) {", ".join(unknown)}')
    return problems


def _agent(images, kernel, initrd, args, on_failure):
    """The settings of image deploys, checked: the image names, and how the agent boots and ends."""
    images = [] if images is None else images
    if not isinstance(images, list) or not all(isinstance(image, str) and IMAGE_NAME.fullmatch(image) for image in images):
        raise IpxeHostsError(f'ipxe_images: must be a list of image names (lower-case letters, digits and "-"), got {images!r}')
    for variable, value in (('ipxe_agent_kernel', kernel), ('ipxe_agent_initrd', initrd)):
        if not (isinstance(value, str) and (RELATIVE_PATH.fullmatch(value) or HTTP_URL.fullmatch(value))):
            raise IpxeHostsError(f'{variable}: must be a path under the HTTP root (like agent/vmlinuz) or an http(s) URL, '
                                 f'got {value!r}')
    if not (isinstance(args, str) and KERNEL_ARGS.fullmatch(args)):
        raise IpxeHostsError(f'ipxe_agent_args: must be plain kernel command-line words (letters, digits and ._,:/=@+-) '
                             f'one space apart, got {args!r}')
    if on_failure not in ON_FAILURE:
        raise IpxeHostsError(f'ipxe_deploy_on_failure: must be one of {", ".join(ON_FAILURE)}, got {on_failure!r}')
    return {'images': images, 'kernel': kernel, 'initrd': initrd, 'args': args, 'on_failure': on_failure}


def _image_install(entry, where, key, mac, index, build, base, agent, answers):
    """The install of an image entry (kind ``image``) and the menu item that boots the agent with its job.
    The job (``answers/<token>/job.json``) is written only under a pending build's token."""
    directory = build['token'] if build is not None else key
    job_url = f'{base}/answers/{directory}/{JOB_FILE}'
    hostname = entry.get('hostname', 'host-' + key.replace('-', ''))
    answer_files = []
    done_url = ''
    if build is not None:
        done_url = f'{base}/builds/{build["token"]}'
        try:
            seed_files = seed(answers, hostname, build['token'])
        except SeedError as exc:
            raise IpxeHostsError(f'{where}: {exc}') from exc
        job = {'version': 1, 'image': f'{base}/images/{entry["image"]}/image.json',
               'disk': disk_rule(f'{where}.disk', entry.get('disk')), 'seed': seed_files,
               'report_url': f'{base}/reports/{build["token"]}.json', 'done_url': done_url,
               'on_failure': agent['on_failure']}
        answer_files.append({'path': f'answers/{directory}/{JOB_FILE}', 'content': json.dumps(job, indent=2) + '\n'})
    install = {
        'key': key,
        'mac': mac,
        'index': index,
        'os': '',
        'image': entry['image'],
        'hostname': hostname,
        'kind': 'image',
        'files': [JOB_FILE],
        'answer_files': answer_files,
        'mirror': '',
        'template': '',
        'url': job_url,
        'build': entry.get('build', 1),
        'directory': directory,
        'done_url': done_url,
    }
    words = [agent['args'], f'BOOTIF=01-{key}', f'netboot.job={job_url}']
    item = {'key': DEPLOY_KEY, 'label': f'Deploy image {entry["image"]}', 'kernel': agent['kernel'],
            'initrd': [agent['initrd']], 'args': ' '.join(word for word in words if word)}
    if entry.get('secure_boot'):
        # Debian's kernel, signed for Secure Boot.
        item['signed'] = True
    return install, [item]


def host_plan(hosts, catalog, mirrors=None, builtin_mirrors=None, base_url=None, answer_templates=None,
              answer_url_files=None, menu_title='Network boot', name='ipxe_hosts', answers=None, builds=None,
              require_address=False, images=None, agent_kernel='agent/vmlinuz', agent_initrd='agent/initrd.img',
              agent_args='console=tty0 console=ttyS0,115200', deploy_on_failure='wait', discovery=None, renew=None):
    """The unattended installs and the per-host scripts of ``hosts`` (the entries of ipxe_hosts).

    ``catalog`` is the merged OS catalog; ``mirrors`` the mirror URLs its {mirror}
    stands for and ``builtin_mirrors`` the upstream ones, the package mirror of an
    installed system when its catalog mirror is not http(s).  ``base_url`` is the
    URL of the HTTP root.  ``answer_templates`` maps an answer kind (preseed,
    autoinstall, kickstart) to its answer files, the first being the one
    ``answer_template`` replaces; ``answer_url_files`` maps it to the file the
    installer is pointed at ('' for the directory).  ``name`` is how errors name
    ``hosts``.

    Returns ``{'installs': [...], 'scripts': {<mac with hyphens>: <iPXE script>},
    'grub_configs': {<mac with hyphens>: <GRUB configuration>}}`` (the machines with
    ``secure_boot`` boot GRUB: theirs are in ``grub_configs``; one without items or os has none),
    one install per entry with ``os``: ``key`` (the MAC with hyphens), ``mac``,
    ``index`` (in ``hosts``), ``os``, ``hostname``, ``kind`` (the answer kind),
    ``files``, ``mirror``, ``template`` ('' for the role's) and ``url`` (of the
    answer file).  Raises IpxeHostsError (a CatalogError) on the first entry that
    cannot be used, naming it ``name[index]``, and on ``answers`` (the ipxe_answer_*
    variables) that could add a line or a directive to an answer file.

    ``builds`` ({key: {'token', 'state', ...}}, from the build_state module) puts each install
    under its build: a pending one finds its answer files under ``answers/<token>/`` and ends
    by deleting ``builds/<token>`` (``done_url``), and its script boots the installer only while
    that marker is there (then the machine's own disk); an installed one gets a script that
    boots its own disk, and no install. Without ``builds`` (checking the input before the builds are
    known), the answer files are planned under ``answers/<key>/``.

    ``nginx_access`` (text) are the nginx locations that serve a machine with an ``ip`` (its reserved
    address) its script, GRUB configuration, answer files and build marker, to that address only;
    ``require_address`` refuses a machine with a file of its own but no ``ip``.

    An entry with ``image`` (one of ``images``) is an install of kind ``image`` under the same
    lifecycle: while its build is pending, its script boots the agent (``agent_kernel``,
    ``agent_initrd`` under ``base_url``, with ``agent_args``, the MAC as ``BOOTIF`` and its job's URL
    as ``netboot.job``), then its own disk. Its one answer file is the job, ``answers/<token>/job.json``,
    given whole (``content``, with the cloud-init seed from ``answers``) and only once the builds are
    known. The agent PUTs its report to ``reports/<token>.json`` (served to the machine's ``ip`` only,
    which an image entry needs) and, after ``deploy_on_failure`` ``wait`` or ``poweroff``, a failed
    deploy stays failed until the machine is started again.

    ``discovery`` (``discovery_files.discovery_plan``'s settings, or None for off) adds ``discovery``:
    the files that boot a machine the inventory does not name into the agent's inspection
    (``files``), and nginx's location for its record (in ``nginx_access``).

    ``renew`` (ipxe_renew_builds: MACs of entries with ``os`` or ``image``) gives ``renew``, their keys:
    the builds that start again under a new token (build_state's ``renew``).
    """
    problems = answer_problems(answers or {})
    if problems:
        raise IpxeHostsError('; '.join(problems))
    agent = _agent(images, agent_kernel, agent_initrd, agent_args, deploy_on_failure)
    if hosts is None:
        hosts = []
    if not isinstance(hosts, list):
        raise IpxeHostsError(f'{name}: must be a list of entries, got {hosts!r}')
    if not isinstance(base_url, str) or not HTTP_URL.fullmatch(base_url):
        raise IpxeHostsError(f'base_url: must be the http(s) URL of the HTTP root, got {base_url!r}')
    try:
        check_text('base_url', base_url)
    except MenuError as exc:
        raise IpxeHostsError(str(exc)) from exc
    mirrors = _mapping('mirrors', mirrors)
    builtin_mirrors = _mapping('builtin_mirrors', builtin_mirrors)
    answer_templates = _mapping('answer_templates', answer_templates)
    answer_url_files = _mapping('answer_url_files', answer_url_files)
    if not isinstance(catalog, list) or not all(isinstance(entry, dict) for entry in catalog):
        raise IpxeHostsError(f'os catalog: must be a list of entries, got {catalog!r}')

    macs = []
    seen = {}
    for index, entry in enumerate(hosts):
        where = f'{name}[{index}]'
        mac = check_entry(entry, where)
        if mac in seen:
            raise IpxeHostsError(f'{where}.mac: {entry["mac"]!r} is the MAC of {seen[mac]} too; each MAC may appear once')
        seen[mac] = where
        macs.append(mac)

    entries = {}
    for entry in catalog:
        if isinstance(entry.get('name'), str):
            entries.setdefault(entry['name'], entry)
    answers_url = base_url[:-1] if base_url.endswith('/') else base_url
    installs = []
    ipxe_scripts = {}
    grub_configs = {}
    for index, (entry, mac) in enumerate(zip(hosts, macs)):
        where = f'{name}[{index}]'
        key = mac.replace(':', '-')
        # A secure_boot machine boots GRUB: its configuration goes with the GRUB menu.
        scripts = grub_configs if entry.get('secure_boot') else ipxe_scripts
        if 'items' not in entry and 'os' not in entry and 'image' not in entry:
            continue
        if 'items' in entry:
            scripts[key] = _script(entry['items'], entry, where, f'{where}.items', menu_title, base_url)
            continue
        if 'image' in entry and entry['image'] not in agent['images']:
            raise IpxeHostsError(f'{where}.image: {entry["image"]!r} is not an image of ipxe_images (the images the images '
                                 f'role publishes, from netboot_images); known: {", ".join(agent["images"]) or "none"}')
        build = (builds or {}).get(key)
        if builds is not None and build is None:
            raise IpxeHostsError(f'{where}: no build is known for {key}; run the build_state module on the installs first')
        if build is not None and build.get('state') == 'installed':
            own_disk = own_disk_config if entry.get('secure_boot') else _own_disk_script
            scripts[key] = own_disk(mac, entry.get('build', 1))
            continue
        if 'image' in entry:
            install, items = _image_install(entry, where, key, mac, index, build, answers_url, agent, answers or {})
            installs.append(install)
            scripts[key] = _script(items, entry, where, f'{where}.image', menu_title, base_url,
                                   only_while=install['done_url'] or None)
            continue
        directory = build['token'] if build is not None else key
        found = entries.get(entry['os'], {})
        kind = found.get('answer', 'none')
        url = f'{answers_url}/answers/{directory}/{answer_url_files.get(kind, "")}'
        try:
            # Refuses an os that is not an enabled catalog entry installing unattended.
            items = host_items(catalog, entry['os'], url, mirrors, name=f'{where}.os')
        except CatalogError as exc:
            raise IpxeHostsError(str(exc)) from exc
        if entry.get('secure_boot') and not found.get('signed'):
            raise IpxeHostsError(f'{where}.os: {entry["os"]!r} has no kernel signed for Secure Boot (its catalog entry is not '
                                 'signed: true); a secure_boot machine installs only signed entries')
        installs.append({
            'key': key,
            'mac': mac,
            'index': index,
            'os': entry['os'],
            'hostname': entry.get('hostname', 'host-' + key.replace('-', '')),
            'kind': kind,
            'files': list(answer_templates.get(kind, [])),
            # Each answer file and the template it comes from: the entry's answer_template replaces the first.
            'answer_files': [{'path': f'answers/{directory}/{name}',
                              'template': entry['answer_template'] if entry.get('answer_template') and not position
                              else f'answers/{name}.j2'}
                             for position, name in enumerate(answer_templates.get(kind, []))],
            'mirror': _installed_mirror(found, mirrors, builtin_mirrors, (answers or {}).get('ipxe_answer_proxy')),
            'template': entry.get('answer_template', ''),
            'url': url,
            'build': entry.get('build', 1),
            'directory': directory,
            'done_url': f'{answers_url}/builds/{build["token"]}' if build is not None else '',
        })
        # The installer's last step deletes the build's marker: from that moment the script boots
        # the machine's own disk, before the next run writes the installed script.
        scripts[key] = _script(items, entry, where, f'{where}.os', menu_title, base_url,
                               only_while=installs[-1]['done_url'] or None)
    machines = []
    for index, (entry, mac) in enumerate(zip(hosts, macs)):
        key = mac.replace(':', '-')
        build = (builds or {}).get(key) or {}
        token = build.get('token') if build.get('state') == 'pending' else None
        has_files = key in ipxe_scripts or key in grub_configs
        addresses = [entry[field] for field in ('ip', 'ipv6') if field in entry]
        if not addresses:
            if require_address and has_files:
                raise IpxeHostsError(f'{name}[{index}]: has no "ip" (or "ipv6"); its files carry its build token, and '
                                     'without a reserved address anyone who knows its MAC can fetch them (require_address)')
            continue
        try:
            machines.append(machine_locations(addresses, key, script=key in ipxe_scripts,
                                              grub_config=key in grub_configs, token=token, report='image' in entry))
        except HostAccessError as exc:
            raise IpxeHostsError(f'{name}[{index}]: {exc}') from exc
    try:
        found = discovery_plan(discovery, macs, base_url, agent, menu_title)
    except DiscoveryPlanError as exc:
        raise IpxeHostsError(str(exc)) from exc
    try:
        nginx_access = render_nginx_access(machines, found['networks'])
    except HostAccessError as exc:
        raise IpxeHostsError(f'{name}: {exc}') from exc
    return {'installs': installs, 'scripts': ipxe_scripts, 'grub_configs': grub_configs, 'nginx_access': nginx_access,
            'discovery': found['files'], 'renew': _renew_keys(renew, hosts, macs)}


def _renew_keys(renew, hosts, macs):
    """The keys of ``renew`` (ipxe_renew_builds), each the MAC of an entry that installs."""
    if renew is None:
        return []
    if not isinstance(renew, list):
        raise IpxeHostsError(f'ipxe_renew_builds: must be a list of MACs of ipxe_hosts entries with "os" or "image", got {renew!r}')
    installs = {mac for entry, mac in zip(hosts, macs) if 'os' in entry or 'image' in entry}
    keys = []
    for index, value in enumerate(renew):
        mac = normalize_mac(value)
        if mac is None:
            raise IpxeHostsError(f'ipxe_renew_builds[{index}]: {value!r} is not a MAC address like 52:54:00:12:34:56')
        if mac not in installs:
            raise IpxeHostsError(f'ipxe_renew_builds[{index}]: {value!r} is not the MAC of an ipxe_hosts entry with "os" or '
                                 '"image" (nothing to install again)')
        keys.append(mac.replace(':', '-'))
    return sorted(set(keys))


def _source_of(item):
    """Whether an answer file is rendered from a ``template`` or given whole (``content``), or None."""
    if not isinstance(item, Mapping) or not isinstance(item.get('path'), str):
        return None
    if isinstance(item.get('template'), str) and 'content' not in item:
        return 'template'
    if isinstance(item.get('content'), str) and 'template' not in item:
        return 'content'
    return None


def _without_contents(install):
    """``install`` as a message shows it: a file given whole (it holds password hashes) by its name only."""
    if not isinstance(install, Mapping) or not isinstance(install.get('answer_files'), list):
        return install
    return dict(install, answer_files=[dict(item, content='(not shown)') if isinstance(item, Mapping) and 'content' in item
                                       else item for item in install['answer_files']])


def answer_file_sources(installs):
    """[(path, template, install)] of every answer file of ``installs`` (host_plan's) rendered from a
    template, in order; the files given whole (``content``, an image deploy's job) are the role's to
    write as they are. Refuses installs without their ``answer_files`` and a path given twice."""
    sources, seen = [], set()
    for index, install in enumerate(installs):
        files = install.get('answer_files') if isinstance(install, Mapping) else None
        if not isinstance(files, list) or not all(_source_of(item) for item in files):
            raise IpxeHostsError(f'installs[{index}] must be an install of ipxe_host_plan, with answer_files '
                                 f'(path and template of each), got {_without_contents(install)!r}')
        for item in files:
            if item['path'] in seen:
                raise IpxeHostsError(f'installs[{index}]: answer file {item["path"]} is given twice')
            seen.add(item['path'])
            if _source_of(item) == 'template':
                sources.append((item['path'], item['template'], install))
    return sources
