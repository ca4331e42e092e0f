"""virtualbmc's daemon (vbmcd), its IPMI endpoints refusing what they cannot speak.

pyghmi's IPMI server (which virtualbmc runs) speaks cipher suite 3 only (RAKP-HMAC-SHA1,
HMAC-SHA1-96, AES) but answers a client's proposal of SHA-256 as if it had accepted it, and then
signs with SHA-1; pyghmi's client (behind community.general's ipmi modules) proposes SHA-256
first, so the two never agree on the key exchange. A BMC that has only cipher suite 3 refuses the
other proposals (RMCP+ status 0x11, invalid authentication algorithm; IPMI 2.0 table 13-15), and
pyghmi's client then proposes SHA-1, as it does with such BMCs. This makes the emulator do so;
nothing else of it changes. Run with the emulators' Python: python3 vbmcd_cipher_suite_3.py --foreground
"""

import os
import sys

from pyghmi.ipmi.private import serversession
from virtualbmc.cmd.vbmcd import main

SHA1_AUTHENTICATION, SHA1_96_INTEGRITY = 1, 1
INVALID_AUTHENTICATION_ALGORITHM = 0x11
_accepting = serversession.ServerSession.create_open_session_response


def create_open_session_response(self, request):
    """The RMCP+ Open Session response: refuse algorithms other than cipher suite 3's."""
    if len(request) >= 24 and (request[12] & 0x3F, request[20] & 0x3F) != (SHA1_AUTHENTICATION, SHA1_96_INTEGRITY):
        self.clientsessionid = request[4:8]
        self.managedsessionid = os.urandom(4)
        return bytearray([request[0], INVALID_AUTHENTICATION_ALGORITHM, 0, 0]) + self.clientsessionid
    return _accepting(self, request)


serversession.ServerSession.create_open_session_response = create_open_session_response

if __name__ == '__main__':
    sys.exit(main())
