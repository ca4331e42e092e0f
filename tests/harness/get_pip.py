"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates a virtual environment per sanity test without pip, then runs this
script with pip install arguments. Here pip comes from the tools' virtual environment
(its site-packages path is written in below by sanity.sh), and packages come from PyPI like every other requirement.
"""

import sys

sys.path.insert(0, '@PIP_SITE@')

from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(main(['install'] + args))
