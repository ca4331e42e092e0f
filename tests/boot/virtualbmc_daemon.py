"""virtualbmc's daemon (vbmcd) for the tests, its IPMI endpoints behaving as a machine's BMC does in
two points where the emulator does not:

- Cipher suites. pyghmi's IPMI server (which virtualbmc runs) speaks cipher suite 3 only
  (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES) but answers a client's proposal of SHA-256 as if it had
  accepted it, then signs with SHA-1; pyghmi's client (behind community.general's ipmi modules)
  proposes SHA-256 first, so the two never agree. A BMC that has only cipher suite 3 refuses the
  other proposals (RMCP+ status 0x11, invalid authentication algorithm; IPMI 2.0 table 13-15), and
  pyghmi's client then proposes SHA-1, as it does with such BMCs.
- The boot device. virtualbmc makes the device set over IPMI the domain's only boot device, for
  good; a machine keeps its disks after a one-time network boot. Here the disks follow the network
  (as sushy-tools does for Redfish), so that a machine deployed from the network can boot its disk.

Nothing else changes. Run with the emulators' Python: python3 virtualbmc_daemon.py --foreground
"""

import os
import sys
import xml.etree.ElementTree as ET

from pyghmi.ipmi.private import serversession
from virtualbmc import utils
from virtualbmc import vbmc
from virtualbmc.cmd.vbmcd import main

SHA1_AUTHENTICATION, SHA1_96_INTEGRITY = 1, 1
INVALID_AUTHENTICATION_ALGORITHM = 0x11
_accepting = serversession.ServerSession.create_open_session_response
_setting_boot_device = vbmc.VirtualBMC.set_boot_device


def create_open_session_response(self, request):
    """The RMCP+ Open Session response: refuse algorithms other than cipher suite 3's."""
    if len(request) >= 24 and (request[12] & 0x3F, request[20] & 0x3F) != (SHA1_AUTHENTICATION, SHA1_96_INTEGRITY):
        self.clientsessionid = request[4:8]
        self.managedsessionid = os.urandom(4)
        return bytearray([request[0], INVALID_AUTHENTICATION_ALGORITHM, 0, 0]) + self.clientsessionid
    return _accepting(self, request)


def set_boot_device(self, bootdevice):
    """Boot from ``bootdevice`` first; after the network, from the disks."""
    answer = _setting_boot_device(self, bootdevice)
    if answer is None and vbmc.SET_BOOT_DEVICES_MAP.get(bootdevice) == 'network':
        with utils.libvirt_open(**self._conn_args) as conn:
            domain = utils.get_libvirt_domain(conn, self.domain_name)
            tree = ET.fromstring(self.get_xml_desc(domain, dump_sensitive=True))
            for os_element in tree.findall('os'):
                ET.SubElement(os_element, 'boot').set('dev', 'hd')
            conn.defineXML(ET.tostring(tree, encoding='unicode'))
    return answer


serversession.ServerSession.create_open_session_response = create_open_session_response
vbmc.VirtualBMC.set_boot_device = set_boot_device

if __name__ == '__main__':
    sys.exit(main())
