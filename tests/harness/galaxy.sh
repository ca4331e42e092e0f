#!/usr/bin/env bash
# Galaxy checks, with their tools in a virtual environment of their own
# (tests/galaxy-requirements.txt, created once per change):
#   galaxy.sh setup      create that environment
#   galaxy.sh importer   build the tarball; galaxy-importer must pass it without a warning,
#                        and the tarball must hold runtime content, README, LICENSE and
#                        changelog only
#   galaxy.sh docs       antsibull-docs lint-collection-docs --plugin-docs
#   galaxy.sh changelog  antsibull-changelog lint; galaxy.yml's version against the releases;
#                        CHANGELOG.md as changelogs/ renders it
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.cache/galaxy-venv"
out="$top/.cache/galaxy"
requirements="$top/tests/galaxy-requirements.txt"

setup() {
  "$(dirname "$0")/tool-venv.sh" "$venv" "$requirements"
  mkdir -p "$top/.cache/collections/ansible_collections/netboot"
  ln -sfn "$top" "$top/.cache/collections/ansible_collections/netboot/pxe"
}

importer() {
  rm -rf "$out" && mkdir -p "$out"
  "$venv/bin/ansible-galaxy" collection build "$top" --output-path "$out"
  local tarball
  tarball=$(ls "$out"/netboot-pxe-*.tar.gz)
  # Top-level entries of the tarball: runtime content, README, LICENSE, changelog.
  local extra
  extra=$(tar -tzf "$tarball" | cut -d/ -f1 | sort -u \
    | grep -vxE 'CHANGELOG.md|FILES.json|LICENSE|MANIFEST.json|README.md|changelogs|docs|meta|playbooks|plugins|roles' || true)
  if [ -n "$extra" ]; then
    echo "the tarball holds more than runtime content: $extra" >&2
    return 1
  fi
  echo "tarball: $(basename "$tarball"), $(tar -tzf "$tarball" | grep -vc '/$') files;" \
    "top level: $(tar -tzf "$tarball" | cut -d/ -f1 | sort -u | tr '\n' ' ')"
  # It unpacks the tarball outside this checkout, so that ansible-lint sees the tarball only.
  local status=0 work
  work=$(mktemp -d)
  # Its own HOME: nothing the importer (and its ansible-lint) installs stays in the user's ~/.ansible.
  mkdir -p "$work/home"
  # The dependencies in galaxy.yml (community.crypto, .general, .postgresql), as Galaxy installs them
  # for an import (its ansible-lint runs offline here, on a collections path of its own): the tools'
  # ansible package's, where ansible-core looks too (ansible_collections in its Python's site-packages).
  local site galaxy_site
  site=$("$top/.cache/venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  galaxy_site=$("$venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  mkdir -p "$galaxy_site/ansible_collections"
  ln -sfn "$site/ansible_collections/community" "$galaxy_site/ansible_collections/community"
  (cd "$work" && HOME="$work/home" TMPDIR="$work" PATH="$venv/bin:$PATH" \
    GALAXY_IMPORTER_CONFIG="$top/tests/harness/galaxy-importer.cfg" \
    "$venv/bin/python3" -m galaxy_importer.main "$tarball") >"$out/importer.log" 2>&1 || status=$?
  rm -rf "$work"
  cat "$out/importer.log"
  if [ $status -ne 0 ] || grep -qE '^(WARNING|ERROR)' "$out/importer.log" \
    || ! grep -q 'Importer processing completed successfully' "$out/importer.log"; then
    echo "galaxy-importer: failed or warned (exit $status), see above" >&2
    return 1
  fi
}

docs() {
  # The dependencies in galaxy.yml (community.crypto) come with the tools' ansible package.
  local site
  site=$("$top/.cache/venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  cd "$top/.cache/collections/ansible_collections/netboot/pxe"
  ANSIBLE_COLLECTIONS_PATH="$top/.cache/collections:$site" PATH="$venv/bin:$PATH" \
    antsibull-docs lint-collection-docs --plugin-docs .
  echo "antsibull-docs lint-collection-docs --plugin-docs: no problems"
}

changelog() {
  cd "$top"
  "$venv/bin/antsibull-changelog" lint
  # galaxy.yml names the newest release, or the next one while fragments wait for it.
  "$venv/bin/python3" - <<'PY'
import pathlib
import sys

import yaml
from packaging.version import Version

version = Version(yaml.safe_load(open('galaxy.yml'))['version'])
releases = sorted(Version(v) for v in yaml.safe_load(open('changelogs/changelog.yaml'))['releases'])
pending = [f.name for f in pathlib.Path('changelogs/fragments').glob('*.y*ml')]
newest = releases[-1] if releases else None
if not (newest is None or version > newest or (version == newest and not pending)):
    sys.exit(f'galaxy.yml says {version}; changelog.yaml has {newest} and fragments {pending}')
print(f'galaxy.yml {version}: newest release in changelog.yaml {newest}, {len(pending)} fragments for the next')
PY
  rm -rf "$out/changelog" && mkdir -p "$out/changelog"
  PATH="$venv/bin:$PATH" "$venv/bin/antsibull-changelog" generate --output "$out/changelog/CHANGELOG.md" --output-format md
  diff -u CHANGELOG.md "$out/changelog/CHANGELOG.md" || {
    echo "CHANGELOG.md is not what changelogs/ renders: run antsibull-changelog generate" >&2
    return 1
  }
}

case "${1:-}" in
  setup) setup ;;
  importer) setup && importer ;;
  docs) setup && docs ;;
  changelog) setup && changelog ;;
  *) echo "usage: galaxy.sh setup|importer|docs|changelog" >&2; exit 2 ;;
esac
