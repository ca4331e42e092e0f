"""Fail unless each collection of a requirements file is installed at a version it allows.

Usage: check_collections.py REQUIREMENTS.yml (run with the tools' Python, ansible-galaxy on PATH).
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from packaging.specifiers import SpecifierSet


def main(path):
    with open(path, encoding='utf-8') as handle:
        wanted = yaml.safe_load(handle)['collections']
    listing = subprocess.run(['ansible-galaxy', 'collection', 'list', '--format', 'json'],
                             capture_output=True, text=True, check=True).stdout
    found = {}
    for collections in json.loads(listing).values():
        for name, info in collections.items():
            found.setdefault(name, info['version'])
    problems = []
    for entry in wanted:
        version = found.get(entry['name'])
        if version is None or version not in SpecifierSet(entry['version']):
            problems.append(f"{entry['name']} {entry['version']}: installed {version or 'none'}")
    for problem in problems:
        print(f'{path}: {problem}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
