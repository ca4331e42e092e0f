#!/usr/bin/env bash
# Create the tools' virtual environment from test-requirements.txt (once per change), check
# the test collections against tests/requirements.yml, and make this checkout resolvable as
# the collection netboot.pxe.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.cache/venv"
# Host tools the unit tests run: gpg (with its agent) signs throwaway releases, gpgv checks them;
# grub-script-check checks the GRUB configurations rendered.
"$(dirname "$0")/apt-install.sh" gpg gpg-agent gpgv grub-common
# nginx -t checks the nginx locations rendered: Debian's binary unpacked, not installed (no daemon on the host).
nginx_dir="$top/.cache/tools/nginx"
if [ ! -x "$nginx_dir/usr/sbin/nginx" ]; then
  rm -rf "$nginx_dir" && mkdir -p "$nginx_dir"
  (cd "$nginx_dir" && apt-get download -q nginx >/dev/null && dpkg-deb -x nginx_*.deb . && rm -f nginx_*.deb)
fi
"$(dirname "$0")/tool-venv.sh" "$venv" "$top/test-requirements.txt"
PATH="$venv/bin:$PATH" "$venv/bin/python3" "$top/tests/harness/check_collections.py" "$top/tests/requirements.yml"
mkdir -p "$top/.cache/collections/ansible_collections/netboot"
ln -sfn "$top" "$top/.cache/collections/ansible_collections/netboot/pxe"
