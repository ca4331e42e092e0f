"""Boot one UEFI QEMU machine from the demo server, echo its serial console, screenshot the menu."""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'boot'))

from vm import Machine  # noqa: E402  pylint: disable=wrong-import-position

MENU_TITLE = 'netboot.pxe test lab'
MARKER = 'NETBOOT-PXE-GUEST-UP'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--screenshot', required=True, help='PNG file for the iPXE menu')
    parser.add_argument('--network', default='netboot-test-boot')
    args = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
    with Machine('demo', args.network, 'uefi', '52:54:00:77:20:11') as machine:
        machine.echo()
        if machine.wait_for(MENU_TITLE, timeout=300) is None:
            print('the iPXE menu did not appear; serial log:', machine.serial_log)
            return 1
        time.sleep(1)  # let iPXE finish drawing
        machine.screendump(args.screenshot)
        print(f'== iPXE menu saved to {args.screenshot}')
        booted = machine.wait_for(MARKER, timeout=300)
    if booted is None:
        print('the machine did not boot the default item; serial log:', machine.serial_log)
        return 1
    print(f'== the machine booted the menu default over the network in {booted:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
