"""Play one PXE/iPXE client's DHCP exchange (DISCOVER, OFFER, REQUEST, ACK); print the replies as JSON.
With --offers SECONDS: send one DISCOVER and print every offer that arrives in that time (a
DHCP server's and a proxyDHCP server's)."""

import argparse
import json
import random
import sys
import time

from scapy.all import BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, conf, sendp

conf.verb = 0


def options(reply):
    found = {}
    for option in reply[DHCP].options:
        if isinstance(option, tuple) and len(option) >= 2:
            name, value = option[0], option[1]
            found[str(name)] = value.hex() if isinstance(value, bytes) else str(value)
    return found


def summary(reply):
    return {
        'server': reply[IP].src,
        'yiaddr': reply[BOOTP].yiaddr,
        'siaddr': reply[BOOTP].siaddr,
        'file': reply[BOOTP].file.rstrip(b'\0').decode(errors='replace'),
        'options': options(reply),
    }


def exchange(args, message_type, extra, collect=0.0):
    xid = args.xid
    dhcp_options = [('message-type', message_type)] + extra + [
        (93, args.arch.to_bytes(2, 'big')),
        (94, b'\x01\x02\x01'),
        ('vendor_class_id', args.vendor_class.encode()),
        ('param_req_list', [1, 3, 6, 43, 60, 66, 67, 175]),
    ]
    if args.user_class:
        dhcp_options.append((77, args.user_class.encode()))
    dhcp_options.append('end')
    mac = bytes.fromhex(args.mac.replace(':', ''))
    packet = (Ether(src=args.mac, dst='ff:ff:ff:ff:ff:ff') / IP(src='0.0.0.0', dst='255.255.255.255')
              / UDP(sport=68, dport=67) / BOOTP(chaddr=mac, xid=xid, flags=0x8000) / DHCP(options=dhcp_options))
    replies = []
    sniffer = AsyncSniffer(iface=args.iface, count=0 if collect else 1, prn=replies.append,
                           lfilter=lambda p: BOOTP in p and p[BOOTP].xid == xid and p[BOOTP].op == 2)
    sniffer.start()
    time.sleep(0.2)
    if collect:
        sendp(packet, iface=args.iface)
        time.sleep(collect)
        sniffer.stop()
        return [summary(reply) for reply in replies]
    deadline = time.time() + args.timeout
    while time.time() < deadline and not replies:
        sendp(packet, iface=args.iface)
        for _attempt in range(10):
            time.sleep(0.1)
            if replies:
                break
    if sniffer.running:
        sniffer.stop()
    if not replies:
        return None
    return summary(replies[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iface', required=True)
    parser.add_argument('--arch', type=int, required=True, help='option 93 value')
    parser.add_argument('--user-class', default='', help='option 77, e.g. iPXE')
    parser.add_argument('--vendor-class', default='')
    parser.add_argument('--mac', default='02:00:%02x:%02x:%02x:%02x' % tuple(random.randrange(256) for _byte in range(4)))
    parser.add_argument('--timeout', type=float, default=10)
    parser.add_argument('--offers', type=float, default=0, help='collect every offer for this many seconds')
    args = parser.parse_args()
    args.xid = random.randrange(1, 2**32)
    if not args.vendor_class:
        kind = 'HTTPClient' if args.arch in (16, 19) else 'PXEClient'
        args.vendor_class = f'{kind}:Arch:{args.arch:05d}:UNDI:003016'
    if args.offers:
        offers = exchange(args, 'discover', [], collect=args.offers)
        json.dump({'mac': args.mac, 'offers': offers}, sys.stdout)
        print()
        return 0 if offers else 1
    offer = exchange(args, 'discover', [])
    ack = None
    if offer:
        ack = exchange(args, 'request', [('requested_addr', offer['yiaddr']),
                                         ('server_id', offer['options'].get('server_id', ''))])
    json.dump({'mac': args.mac, 'offer': offer, 'ack': ack}, sys.stdout)
    print()
    return 0 if offer and ack else 1


if __name__ == '__main__':
    sys.exit(main())
