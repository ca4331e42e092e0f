#!/usr/bin/env bash
# The collection on a newer ansible-core than the tools' (Python 3.11, test-requirements.txt):
# Debian 13's own Python 3.13 in a container from netboot-pxe/debian:13, with a virtual
# environment pinned by tests/core-<version>-requirements.txt.
#   core-matrix.sh VERSION                      unit tests (tests/unit, bench) and ansible-test
#                                               sanity on that ansible-core
#   core-matrix.sh VERSION build                the image only
#   core-matrix.sh VERSION converge [SCENARIO]  the container as molecule's controller (host's
#                                               docker socket): converge, idempotence (no
#                                               deprecation warning in either), destroy;
#                                               SCENARIO default: default
# The environment is built once into a local image, netboot-pxe/core:VERSION-<key>, the key a
# hash of the requirements file, the Debian packages and the base image: a re-run reuses it.
# Each run copies the checkout's files (git ls-files, as sanity.sh) into a fresh container.
set -euo pipefail
version=${1:?usage: core-matrix.sh VERSION [build|converge [SCENARIO]]}
mode=${2:-tests}
scenario=${3:-default}
top=$(cd "$(dirname "$0")/../.." && pwd)
requirements="$top/tests/core-$version-requirements.txt"
if [ ! -f "$requirements" ]; then
  echo "core-matrix.sh: no $requirements for ansible-core $version" >&2
  exit 2
fi
base=netboot-pxe/debian:13
# Tools the tests run: git and shellcheck (sanity), gpg and gpgv (signatures), grub-common
# (grub-script-check, grub-editenv), nginx (nginx -t on the rendered locations); the docker CLI
# and iptables for molecule's controller.
packages=(python3-venv git shellcheck gpg gpg-agent gpgv grub-common nginx docker-cli iptables)
base_id=$(docker image inspect --format '{{.Id}}' "$base")
key=$(printf '%s\n' "$(sha256sum <"$requirements")" "${packages[*]}" "$base_id" | sha256sum | cut -c1-12)
image="netboot-pxe/core:$version-$key"

# Containers reach the Debian mirror and PyPI by the addresses this host uses for them, and
# trust this host's CA bundle (mounted read-only; the image's own bundle is left alone).
hostnames=(pypi.org files.pythonhosted.org)
while read -r name; do hostnames+=("$name"); done < <(
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -oE 'https?://[^/ ]+' | sed -E 's|^https?://||' | sort -u)
run_options=(-v /etc/ssl/certs/ca-certificates.crt:/etc/netboot-host-ca.crt:ro
  -e SSL_CERT_FILE=/etc/netboot-host-ca.crt -e REQUESTS_CA_BUNDLE=/etc/netboot-host-ca.crt)
for name in $(printf '%s\n' "${hostnames[@]}" | sort -u); do
  address=$(getent ahostsv4 "$name" | awk '{print $1; exit}' || true)
  [ -n "$address" ] && run_options+=(--add-host "$name:$address")
done

# The checkout's files (tracked and new, not ignored ones), as a tar stream on stdout.
checkout_tar() {
  (cd "$top" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -c)
}

# Inside the container: trust the host's CA bundle (ansible-test passes its pip commands no
# PIP_* variable: pip's own configuration, then); unpack the checkout (stdin) at $checkout, and
# the collection at $tree for ansible-test, without playbooks/collections/ (the clone's link to
# itself, galaxy.yml's build_ignore; as sanity.sh); offer ansible-test the offline pip bootstrap
# (sanity.sh explains it).
read -r -d '' unpack <<'SH' || true
printf '[global]\ncert = /etc/netboot-host-ca.crt\ndisable-pip-version-check = true\n' >/etc/pip.conf
checkout=/work/checkout
tree=/work/ansible_collections/netboot/pxe
mkdir -p "$checkout" && tar -x -C "$checkout"
mkdir -p "$tree" && tar -C "$checkout" --exclude=./.cache --exclude=./playbooks/collections -c . | tar -x -C "$tree"
SH
read -r -d '' pip_bootstrap <<'SH' || true
export PATH=/opt/venv/bin:$PATH
pip_version=$(python3 -c 'import inspect, re; from ansible_test._internal import python_requirements as m; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(m)).group(1))')
mkdir -p ~/.ansible/test/cache
pip_site=$(python3 -c 'import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))')
sed "s|@PIP_SITE@|$pip_site|" "$tree/tests/harness/get_pip.py" >~/.ansible/test/cache/get_pip_${pip_version//./_}.py
SH

build() {
  if docker image inspect "$image" >/dev/null 2>&1; then
    echo "image $image present, reused"
    return 0
  fi
  local name="netboot-core-build-$version-$$" started=$SECONDS
  docker rm -f "$name" >/dev/null 2>&1 || true
  # The venv, then the per-test environments of ansible-test sanity (--prime-venvs), so that
  # runs install nothing.
  if ! checkout_tar | docker run -i --name "$name" --network bridge "${run_options[@]}" \
    -v "$requirements:/tmp/requirements.txt:ro" "$base" bash -euo pipefail -c "
      $unpack
      export DEBIAN_FRONTEND=noninteractive
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null
      rm -rf /var/lib/apt/lists/*
      python3 -m venv /opt/venv
      /opt/venv/bin/pip install -q -r /tmp/requirements.txt
      $pip_bootstrap
      cd \"\$tree\" && ansible-test sanity --prime-venvs --venv --python 3.13 --color no >/dev/null
      rm -rf /work ~/.ansible/test/cache/get_pip_*.py ~/.cache/pip"; then
    docker rm -f "$name" >/dev/null 2>&1 || true
    echo "core-matrix.sh: building $image failed" >&2
    return 1
  fi
  docker commit --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$name" "$image" >/dev/null
  docker rm "$name" >/dev/null
  # Older images of this version: their key no longer matches.
  docker image ls --format '{{.Repository}}:{{.Tag}}' netboot-pxe/core \
    | grep "^netboot-pxe/core:$version-" | grep -vx "$image" | xargs -r docker image rm >/dev/null || true
  echo "image $image built in $((SECONDS - started)) s"
}

tests() {
  # The unit tests in the checkout made a git work tree again (a test lists its files with git).
  checkout_tar | docker run -i --rm --network bridge "${run_options[@]}" "$image" bash -uo pipefail -c "
    $unpack
    $pip_bootstrap
    python3 --version; ansible --version | head -n 1
    status=0
    echo '--- ansible-test sanity (Python 3.13)'
    (cd \"\$tree\" && ansible-test sanity --venv --python 3.13 --color no) || status=1
    echo '--- unit tests'
    cd \"\$checkout\" && git init -q && git add -A
    pytest -q -p no:cacheprovider tests/unit bench || status=1
    exit \$status"
}

converge() {
  # molecule drives the host's docker engine through its socket; in the host's network
  # namespace, as on the host, for the test networks' iptables rules (prepare.yml, cleanup.yml).
  # The scenario's files from the host's .cache (tests/harness/vm-assets.sh) come read-only.
  local vm=()
  [ -d "$top/.cache/vm" ] && vm=(-v "$top/.cache/vm:/work/checkout/.cache/vm:ro")
  checkout_tar | docker run -i --rm --network host --cap-add NET_ADMIN --cap-add NET_RAW \
    "${run_options[@]}" -v /var/run/docker.sock:/var/run/docker.sock "${vm[@]}" \
    -e MOLECULE_GLOB='extensions/molecule/**/molecule.yml' -e NETBOOT_TEST_RUN="core-$version-$scenario" \
    "$image" bash -uo pipefail -c "
    $unpack
    $pip_bootstrap
    cd \"\$checkout\"
    mkdir -p .cache/collections/ansible_collections/netboot .cache/results
    ln -sfn \"\$checkout\" .cache/collections/ansible_collections/netboot/pxe
    python3 --version; ansible --version | head -n 1
    status=0
    molecule destroy -s $scenario >/dev/null 2>&1 || true
    # converge creates and prepares the instances first; destroy runs cleanup first.
    for step in converge idempotence; do
      echo \"--- molecule \$step -s $scenario\"
      molecule \$step -s $scenario 2>&1 | tee -a /work/molecule.log || { status=1; break; }
    done
    if grep -F '[DEPRECATION WARNING]' /work/molecule.log; then
      echo 'core-matrix.sh: deprecation warnings on ansible-core $version (above)' >&2
      status=1
    fi
    echo '--- molecule destroy -s $scenario'
    molecule destroy -s $scenario || status=1
    exit \$status"
}

build
case "$mode" in
  build) ;;
  tests) tests ;;
  converge) converge ;;
  *) echo "usage: core-matrix.sh VERSION [build|converge [SCENARIO]]" >&2; exit 2 ;;
esac
