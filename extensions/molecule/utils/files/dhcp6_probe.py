"""Play one PXE/iPXE/HTTP boot client's DHCPv6 exchange (SOLICIT, ADVERTISE, REQUEST, REPLY); print the
replies as JSON. The client speaks from the interface's link-local address, port 546, to ff02::1:2 port 547;
the server answers it there by unicast."""

import argparse
import ipaddress
import json
import random
import socket
import struct
import sys
import time

from scapy.all import conf
from scapy.layers.dhcp6 import (DUID_LL, USER_CLASS_DATA, VENDOR_CLASS_DATA, DHCP6_Request, DHCP6_Solicit,
                                DHCP6OptClientArchType, DHCP6OptClientId, DHCP6OptElapsedTime, DHCP6OptIA_NA,
                                DHCP6OptIAAddress, DHCP6OptOptReq, DHCP6OptUserClass, DHCP6OptVendorClass)

conf.verb = 0

ADVERTISE, REPLY = 2, 7
TENTATIVE = 0x40  # IFA_F_TENTATIVE in /proc/net/if_inet6


def tlvs(data):
    """The (code, value) pairs of a run of DHCPv6 options."""
    found = []
    while len(data) >= 4:
        code, length = struct.unpack('!HH', data[:4])
        found.append((code, data[4:4 + length]))
        data = data[4 + length:]
    return found


def strings(data):
    """The items of a list of uint16-length-prefixed strings (options 15, 16's data, 60)."""
    found = []
    while len(data) >= 2:
        (length,) = struct.unpack('!H', data[:2])
        found.append(data[2:2 + length].decode(errors='replace'))
        data = data[2 + length:]
    return found


def summary(server, message):
    options = tlvs(message[4:])
    status = 0
    addresses = []
    bootfile_url = None
    bootfile_params = []
    vendor_class = []
    server_id = None
    for code, value in options:
        if code == 13 and len(value) >= 2:
            status = status or struct.unpack('!H', value[:2])[0]
        elif code == 2:
            server_id = value
        elif code == 3 and len(value) >= 12:
            for inner, inner_value in tlvs(value[12:]):
                if inner == 5 and len(inner_value) >= 24:
                    addresses.append(str(ipaddress.IPv6Address(inner_value[:16])))
                    for sub, sub_value in tlvs(inner_value[24:]):
                        if sub == 13 and len(sub_value) >= 2:
                            status = status or struct.unpack('!H', sub_value[:2])[0]
                elif inner == 13 and len(inner_value) >= 2:
                    status = status or struct.unpack('!H', inner_value[:2])[0]
        elif code == 59:
            bootfile_url = value.decode(errors='replace')
        elif code == 60:
            bootfile_params.extend(strings(value))
        elif code == 16 and len(value) >= 4:
            vendor_class.extend(strings(value[4:]))
    return {
        'server': server,
        'status': status,
        'addresses': addresses,
        'bootfile_url': bootfile_url,
        'bootfile_params': bootfile_params,
        'vendor_class': vendor_class,
        'options': sorted({code for code, _value in options}),
    }, server_id


def link_local(iface, timeout):
    """The interface's link-local address once duplicate address detection is over."""
    deadline = time.time() + timeout
    while True:
        with open('/proc/net/if_inet6') as table:
            for line in table:
                address, _index, _prefix, scope, flags, name = line.split()
                if name == iface and int(scope, 16) == 0x20 and not int(flags, 16) & TENTATIVE:
                    return str(ipaddress.IPv6Address(bytes.fromhex(address)))
        if time.time() >= deadline:
            return None
        time.sleep(0.2)


def interface_mac(iface):
    with open(f'/sys/class/net/{iface}/address') as address:
        return address.read().strip()


def client_options(args):
    options = (DHCP6OptClientId(duid=DUID_LL(lladdr=args.mac))
               / DHCP6OptElapsedTime(elapsedtime=min(int((time.time() - args.started) * 100), 0xffff))
               / DHCP6OptOptReq(reqopts=[59, 60, 23, 16])
               / DHCP6OptClientArchType(archtypes=[args.arch]))
    if args.user_class:
        options = options / DHCP6OptUserClass(userclassdata=[USER_CLASS_DATA(data=args.user_class.encode())])
    return options / DHCP6OptVendorClass(enterprisenum=343, vcdata=[VENDOR_CLASS_DATA(data=args.vendor_class.encode())])


def exchange(args, sock, build, wanted):
    """Send the message build(transaction id) until a message of type wanted with that id comes back."""
    trid = random.randrange(1, 2**24)
    deadline = time.time() + args.timeout
    destination = ('ff02::1:2', 547, 0, socket.if_nametoindex(args.iface))
    while time.time() < deadline:
        sock.sendto(bytes(build(trid)), destination)
        resend = min(time.time() + 1, deadline)
        while time.time() < resend:
            sock.settimeout(max(resend - time.time(), 0.01))
            try:
                message, source = sock.recvfrom(65535)
            except socket.timeout:
                break
            if len(message) >= 4 and message[0] == wanted and int.from_bytes(message[1:4], 'big') == trid:
                return summary(source[0].split('%')[0], message)
    return None, None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iface', required=True)
    parser.add_argument('--arch', type=int, default=7, help='option 61 value')
    parser.add_argument('--user-class', default='', help='option 15, e.g. iPXE')
    parser.add_argument('--vendor-class', default='', help='option 16 data (enterprise 343)')
    parser.add_argument('--mac', default='', help="the DUID-LL's address (default: the interface's)")
    parser.add_argument('--timeout', type=float, default=8)
    args = parser.parse_args()
    args.mac = args.mac or interface_mac(args.iface)
    args.vendor_class = args.vendor_class or f'PXEClient:Arch:{args.arch:05d}:UNDI:003010'
    args.started = time.time()
    iaid = int.from_bytes(bytes.fromhex(args.mac.replace(':', ''))[-4:], 'big')
    source = link_local(args.iface, args.timeout)
    if not source:
        json.dump({'error': f'no link-local address on {args.iface}', 'advertise': None, 'reply': None}, sys.stdout)
        print()
        return 1
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.iface.encode())
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(args.iface))
    sock.bind((source, 546, 0, socket.if_nametoindex(args.iface)))

    advertise, server_id = exchange(args, sock, lambda trid: (
        DHCP6_Solicit(trid=trid) / client_options(args) / DHCP6OptIA_NA(iaid=iaid, T1=0, T2=0)), ADVERTISE)
    reply = None
    if advertise and server_id is not None:
        request = DHCP6OptIA_NA(iaid=iaid, T1=0, T2=0, ianaopts=[
            DHCP6OptIAAddress(addr=address) for address in advertise['addresses']])
        server = struct.pack('!HH', 2, len(server_id)) + server_id
        reply, _server_id = exchange(args, sock, lambda trid: (
            bytes(DHCP6_Request(trid=trid) / client_options(args) / request) + server), REPLY)
    sock.close()
    result = {'advertise': advertise, 'reply': reply}
    if not advertise:
        result['error'] = f'no Advertise in {args.timeout:g} s'
    elif not reply:
        result['error'] = f'no Reply in {args.timeout:g} s'
    json.dump(result, sys.stdout)
    print()
    return 0 if advertise and reply else 1


if __name__ == '__main__':
    sys.exit(main())
