"""Make this checkout importable as ansible_collections.netboot.pxe."""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.cache', 'collections')
if not os.path.isdir(os.path.join(COLLECTIONS, 'ansible_collections', 'netboot', 'pxe')):
    os.makedirs(os.path.join(COLLECTIONS, 'ansible_collections', 'netboot'), exist_ok=True)
    os.symlink(ROOT, os.path.join(COLLECTIONS, 'ansible_collections', 'netboot', 'pxe'))
sys.path.insert(0, COLLECTIONS)
