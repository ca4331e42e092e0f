#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at ansible_collections/netboot/pxe.
set -euo pipefail
# The shellcheck sanity test needs Debian's shellcheck.
if ! command -v shellcheck >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
# Outside this checkout: inside it, ansible-test would list files with git and skip ignored ones.
tree="${TMPDIR:-/tmp}/netboot-pxe-sanity/ansible_collections/netboot/pxe"
rm -rf "$tree" && mkdir -p "$tree"
# Not playbooks/collections/: the clone's link to itself, not part of the collection (galaxy.yml build_ignore).
(cd "$top" && git ls-files -z --cached --others --exclude-standard | grep -zv '^playbooks/collections/' \
  | xargs -0 cp --parents -t "$tree")

# ansible-test bootstraps pip in its per-test environments with a script it downloads
# from outside PyPI; offer it the offline stand-in instead.
pip_version=$(python3 -c 'from ansible_test._internal.python_requirements import PIP_VERSION; print(PIP_VERSION)' 2>/dev/null || echo 24.2)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
pip_site=$(python3 -c 'import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))')
sed "s|@PIP_SITE@|$pip_site|" "$top/tests/harness/get_pip.py" >"$cache"

cd "$tree"
ansible-test sanity --venv --python 3.11 --color no
