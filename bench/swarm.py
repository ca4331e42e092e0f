"""Many PXE clients at once, from one container: each plays firmware PXE's DHCP exchange
(DISCOVER, OFFER, REQUEST, ACK with option 93), fetches the iPXE binary over TFTP, then
boot.ipxe and a kernel over HTTP. Prints one JSON object with completions, failures and times.

Runs on the benchmark client (copied there by bench/run); needs scapy and root.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import random
import socket
import statistics
import sys
import threading
import time
import urllib.request

from scapy.all import BOOTP, DHCP, IP, UDP, AsyncSniffer, Ether, conf, sendp

conf.verb = 0
TFTP_RRQ, TFTP_DATA, TFTP_ACK, TFTP_ERROR, TFTP_OACK = 1, 3, 4, 5, 6


def tftp_get(server, name, blksize=1468, timeout=3.0, retries=5):
    """Fetch ``name`` over TFTP (RFC 1350 with the blksize option); return the byte count."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    request = (TFTP_RRQ.to_bytes(2, 'big') + name.encode() + b'\0octet\0blksize\0'
               + str(blksize).encode() + b'\0')
    last, target = request, (server, 69)
    block_size, expected, received = 512, 1, 0
    try:
        while True:
            for _attempt in range(retries):
                sock.sendto(last, target)
                try:
                    data, peer = sock.recvfrom(65536)
                    break
                except socket.timeout:
                    continue
            else:
                raise TimeoutError(f'no answer for {name} block {expected}')
            target = peer
            opcode = int.from_bytes(data[:2], 'big')
            if opcode == TFTP_OACK:
                options = data[2:].split(b'\0')
                values = dict(zip(options[::2], options[1::2]))
                block_size = int(values.get(b'blksize', b'512'))
                last = TFTP_ACK.to_bytes(2, 'big') + (0).to_bytes(2, 'big')
            elif opcode == TFTP_DATA:
                block = int.from_bytes(data[2:4], 'big')
                last = TFTP_ACK.to_bytes(2, 'big') + data[2:4]
                if block == expected % 65536:
                    received += len(data) - 4
                    expected += 1
                    if len(data) - 4 < block_size:
                        sock.sendto(last, target)
                        return received
            elif opcode == TFTP_ERROR:
                raise OSError(f'TFTP error {int.from_bytes(data[2:4], "big")}: {data[4:-1].decode(errors="replace")}')
    finally:
        sock.close()


class DhcpSwarm:
    """DHCP exchanges of many clients through one sender and one sniffer."""

    def __init__(self, iface, arch):
        self.iface = iface
        self.arch = arch
        self.replies = {}
        self.lock = threading.Lock()
        self.sniffer = AsyncSniffer(iface=iface, store=False, prn=self._reply,
                                    lfilter=lambda p: BOOTP in p and p[BOOTP].op == 2)

    def _reply(self, packet):
        kind = dict(o[:2] for o in packet[DHCP].options if isinstance(o, tuple) and len(o) >= 2).get('message-type')
        with self.lock:
            self.replies[(packet[BOOTP].xid, kind)] = (time.monotonic(), packet)

    def packet(self, client, message_type, extra=()):
        options = [('message-type', message_type), *extra, (93, self.arch.to_bytes(2, 'big')),
                   ('vendor_class_id', f'PXEClient:Arch:{self.arch:05d}:UNDI:002001'.encode()),
                   ('param_req_list', [1, 3, 6, 43, 60, 66, 67]), 'end']
        return (Ether(src=client['mac'], dst='ff:ff:ff:ff:ff:ff') / IP(src='0.0.0.0', dst='255.255.255.255')
                / UDP(sport=68, dport=67)
                / BOOTP(chaddr=bytes.fromhex(client['mac'].replace(':', '')), xid=client['xid'], flags=0x8000)
                / DHCP(options=options))

    def _round(self, clients, kind, build, deadline):
        """Send build(client) for every client lacking a ``kind`` reply, resending every 2 s."""
        while time.monotonic() < deadline:
            waiting = [c for c in clients if (c['xid'], kind) not in self.replies]
            if not waiting:
                return
            sendp([build(c) for c in waiting], iface=self.iface)
            pause = time.monotonic() + 2
            while time.monotonic() < min(pause, deadline):
                if all((c['xid'], kind) in self.replies for c in waiting):
                    break
                time.sleep(0.02)

    def run(self, clients, timeout):
        self.sniffer.start()
        time.sleep(0.3)
        deadline = time.monotonic() + timeout
        try:
            self._round(clients, 2, lambda c: self.packet(c, 'discover'), deadline)
            offered = [c for c in clients if (c['xid'], 2) in self.replies]
            for client in offered:
                offer = self.replies[(client['xid'], 2)][1]
                client['address'] = offer[BOOTP].yiaddr
                client['server_id'] = dict(o[:2] for o in offer[DHCP].options
                                           if isinstance(o, tuple) and len(o) >= 2).get('server_id')
            self._round(offered, 5, lambda c: self.packet(
                c, 'request', [('requested_addr', c['address']), ('server_id', c['server_id'])]), deadline)
        finally:
            self.sniffer.stop()
        for client in clients:
            ack = self.replies.get((client['xid'], 5))
            if ack:
                client['dhcp_done'] = ack[0]
                client['boot_file'] = ack[1][BOOTP].file.rstrip(b'\0').decode()
                client['next_server'] = ack[1][BOOTP].siaddr


def boot(client, http_paths, timeout):
    """TFTP of the boot file from next-server, then the HTTP files; records times and errors."""
    try:
        client['tftp_bytes'] = tftp_get(client['next_server'], client['boot_file'])
        client['tftp_done'] = time.monotonic()
        for path in http_paths:
            with urllib.request.urlopen(f'http://{client["next_server"]}/{path}', timeout=timeout) as answer:
                while answer.read(1 << 20):
                    pass
        client['http_done'] = time.monotonic()
    except (OSError, ValueError) as exc:
        client['error'] = f'{type(exc).__name__}: {exc}'
    return client


def mac_address(index):
    """A locally administered MAC, unique per index, different from run to run."""
    octets = (0x10 + index // 65536 % 256, index // 256 % 256, index % 256, random.randrange(256))
    return '02:5a:' + ':'.join(f'{octet:02x}' for octet in octets)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iface', required=True)
    parser.add_argument('--clients', type=int, default=200)
    parser.add_argument('--arch', type=int, default=0, help='option 93 of the simulated firmware')
    parser.add_argument('--http', nargs='+', default=['boot.ipxe'], help='paths fetched after TFTP')
    parser.add_argument('--timeout', type=float, default=60)
    args = parser.parse_args()
    clients = [{'mac': mac_address(index), 'xid': random.randrange(1, 2 ** 32)} for index in range(args.clients)]
    start = time.monotonic()
    DhcpSwarm(args.iface, args.arch).run(clients, args.timeout)
    leased = [c for c in clients if 'dhcp_done' in c]
    dhcp_seconds = time.monotonic() - start
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(leased) or 1) as pool:
        list(pool.map(lambda c: boot(c, args.http, args.timeout), leased))
    total = time.monotonic() - start
    done = [c for c in leased if 'http_done' in c]
    completion = sorted(c['http_done'] - start for c in done)
    result = {
        'clients': len(clients),
        'dhcp_ok': len(leased),
        'tftp_ok': sum(1 for c in leased if 'tftp_done' in c),
        'http_ok': len(done),
        'failures': len(clients) - len(done),
        'errors': sorted({c.get('error', 'no DHCP lease') for c in clients if 'http_done' not in c})[:10],
        'unique_addresses': len({c['address'] for c in leased}),
        'dhcp_seconds': round(dhcp_seconds, 3),
        'total_seconds': round(total, 3),
        'completion_p50_seconds': round(statistics.median(completion), 3) if completion else None,
        'completion_p95_seconds': round(completion[int(len(completion) * 0.95) - 1], 3) if completion else None,
    }
    json.dump(result, sys.stdout)
    print()
    return 0 if not result['failures'] else 1


if __name__ == '__main__':
    sys.exit(main())
