#!/usr/bin/env bash
# The documentation site: antsibull-docs renders every module, filter, lookup and role of the
# collection with the guides of docs/docsite/, then Sphinx builds it with warnings as errors.
# Its tools have a virtual environment of their own (tests/docsite-requirements.txt, created
# once per change). The site lands in .cache/docsite/site/build/html/index.html.
#   docsite.sh setup   create that environment
#   docsite.sh build   build the site (setup first)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
venv="$top/.cache/docsite-venv"
out="$top/.cache/docsite"
requirements="$top/tests/docsite-requirements.txt"

setup() {
  "$(dirname "$0")/tool-venv.sh" "$venv" "$requirements"
}

build() {
  # This checkout, and nothing else, as the collection netboot.pxe.
  rm -rf "$out" && mkdir -p "$out/collections/ansible_collections/netboot"
  ln -sfn "$top" "$out/collections/ansible_collections/netboot/pxe"
  export ANSIBLE_COLLECTIONS_PATH="$out/collections" PATH="$venv/bin:$PATH"
  local site="$out/site"
  mkdir -p "$site"
  antsibull-docs sphinx-init --use-current --fail-on-error --squash-hierarchy --dest-dir "$site" \
    --project netboot.pxe --copyright "netboot.pxe developers" --title "netboot.pxe" \
    --html-short-title "netboot.pxe" netboot.pxe >/dev/null
  # Offline: references to Ansible's own documentation resolve from a local inventory.
  python3 "$top/tests/harness/docsite_inventory.py" "$site/ansible_devel.inv"
  cat >>"$site/conf.py" <<PY

# Added by tests/harness/docsite.sh: no inventory is fetched from the network.
intersphinx_mapping = {'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '$site/ansible_devel.inv')}
PY
  cd "$site"
  mkdir -p rst && chmod og-w rst
  antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --fail-on-error \
    --use-current --squash-hierarchy --dest-dir rst netboot.pxe >/dev/null
  sphinx-build -W --keep-going -n -q -b html -c . rst build/html
  echo "docsite: $(find build/html -name '*.html' | wc -l) pages, $site/build/html/index.html"
}

case "${1:-}" in
  setup) setup ;;
  build) setup && build ;;
  *) echo "usage: docsite.sh setup|build" >&2; exit 2 ;;
esac
