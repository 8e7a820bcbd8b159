"""ICMP and ICMPv6 echo messages as the probes send them (RFC 792, RFC 4443): the kernel adds
the IP header, and sums an ICMPv6 message itself (its checksum covers a pseudo-header)."""

from __future__ import annotations

import struct

ECHO_REQUEST, ECHO_REPLY = 8, 0
ECHO6_REQUEST, ECHO6_REPLY = 128, 129
ICMP_ERRORS = {3: "destination unreachable", 11: "time exceeded"}
ICMP6_ERRORS = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded"}
IP6_HEADER = 40  # what an ICMPv6 error quotes before our echo request


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes, kind: int = ECHO_REQUEST) -> bytes:
    head = struct.pack("!BBHHH", kind, 0, 0, ident, seq)
    if kind != ECHO_REQUEST:
        return head + payload
    return struct.pack("!BBHHH", kind, 0, checksum(head + payload), ident, seq) + payload
