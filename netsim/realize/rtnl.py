"""A few rtnetlink requests packed by hand and pipelined: link up/master, addresses, routes.

pyroute2 makes the links (their attributes are many and it knows them all); the hundreds of
small follow-up requests of a build go out here, all at once per namespace, with the ACKs read
afterwards. That is what makes a 200-container build cost about what `ip -batch` costs.
"""

from __future__ import annotations

import errno
import socket
import struct
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLMSG_ERROR = 2
IFF_UP, IFF_NOARP = 0x1, 0x80
IFLA_MASTER = 10
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1
RTN_BLACKHOLE = 6
RT_SCOPE_LINK = 253
RTNH_F_ONLINK = 4  # rtm_flags: the gateway is on the link (ip route ... onlink)
IFA_F_NODAD = 0x02  # an IPv6 address usable at once: no duplicate address detection (nodad)
FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}


class RtnlError(OSError):
    pass


def _attr(kind: int, data: bytes) -> bytes:
    raw = struct.pack("HH", 4 + len(data), kind) + data
    return raw + b"\0" * (-len(raw) % 4)


class Batch:
    """Requests for one namespace; `send()` writes them all, then checks every ACK."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.msgs: list[tuple[bytes, str]] = []

    def _add(self, kind: int, flags: int, body: bytes, what: str) -> None:
        seq = len(self.msgs) + 1
        head = struct.pack("IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_ACK | flags, seq, 0)
        self.msgs.append((head + body, what))

    def link(self, index: int, up: bool = True, master: int | None = None,
             noarp: bool | None = None) -> None:
        flags = (IFF_UP if up else 0) | (IFF_NOARP if noarp else 0)
        change = IFF_UP | (IFF_NOARP if noarp is not None else 0)
        body = struct.pack("BxHiII", 0, 0, index, flags, change)
        if master is not None:
            body += _attr(IFLA_MASTER, struct.pack("I", master))
        self._add(RTM_NEWLINK, 0, body, f"link {index}")

    def addr(self, index: int, ip: IPv4Address | IPv6Address, prefixlen: int) -> None:
        """`ip addr add` (IPv6: nodad, as Docker's and the CNI plugins' addresses are)."""
        flags = IFA_F_NODAD if ip.version == 6 else 0
        body = struct.pack("BBBBI", FAMILY[ip.version], prefixlen, flags, 0, index)
        body += _attr(IFA_LOCAL, ip.packed) + _attr(IFA_ADDRESS, ip.packed)
        self._add(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body, f"address {ip}/{prefixlen}")

    def route(self, dst: IPv4Network | IPv6Network, oif: int | None,
              via: IPv4Address | IPv6Address | None, onlink: bool = False,
              proto: int = RTPROT_BOOT) -> None:
        """A unicast route out of `oif`; None: a blackhole (`ip route add blackhole DST`)."""
        body = struct.pack("BBBBBBBBI", FAMILY[dst.version], dst.prefixlen, 0, 0, RT_TABLE_MAIN,
                           # scope link without a gateway, as `ip route add DST dev X` does: a
                           # gateway is only reachable through such a route (169.254.1.1)
                           proto, RT_SCOPE_LINK if via is None and oif is not None
                           else RT_SCOPE_UNIVERSE,
                           RTN_UNICAST if oif is not None else RTN_BLACKHOLE,
                           RTNH_F_ONLINK if onlink else 0)
        if dst.prefixlen:
            body += _attr(RTA_DST, dst.network_address.packed)
        if via is not None:
            body += _attr(RTA_GATEWAY, via.packed)
        if oif is not None:
            body += _attr(RTA_OIF, struct.pack("I", oif))
        self._add(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body, f"route {dst} via {via}")

    def send(self) -> None:
        """Write everything (in chunks the ACK buffer can hold), then read every ACK."""
        for start in range(0, len(self.msgs), 200):
            chunk = self.msgs[start:start + 200]
            self.sock.send(b"".join(m for m, _ in chunk))
            waiting = {start + i + 1 for i in range(len(chunk))}
            while waiting:
                data = self.sock.recv(1 << 16)
                off = 0
                while off < len(data):
                    length, kind, _, seq, _ = struct.unpack_from("IHHII", data, off)
                    if kind == NLMSG_ERROR:
                        (code,) = struct.unpack_from("i", data, off + 16)
                        waiting.discard(seq)
                        if code:
                            raise RtnlError(-code, f"{self.msgs[seq - 1][1]}: "
                                            f"{errno.errorcode.get(-code, code)}")
                    off += (length + 3) & ~3
        self.msgs.clear()
