"""One probe with a marker the tracer can match in every namespace: a TCP connect or UDP
datagram from a chosen source port, or an ICMP echo with a chosen id. Called in a thread
inside the source namespace; says the verdict, what the server said it saw, and the kernel's
error if any."""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time

ECHO_REQUEST, ECHO_REPLY, UNREACHABLE = 8, 0, 3


def _refused_words(proto: str) -> str:
    return "connection refused (RST)" if proto == "tcp" else "ICMP port unreachable"


def _socket_probe(proto: str, dst: str, port: int, sport: int, timeout: float) -> dict:
    """A TCP connect or a UDP datagram from `sport`; the echo service answers with the
    address:port it saw."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", sport))
    s.settimeout(timeout)
    try:
        s.connect((dst, port))
        if proto == "udp":
            s.send(b"netsim trace\n")
        else:
            s.settimeout(min(timeout, 1.0))
        said = s.recv(512).decode(errors="replace").strip()
        return {"result": "open", "seen": said.rsplit(":", 1)[0] if ":" in said else None}
    except ConnectionRefusedError:
        return {"result": "closed", "error": _refused_words(proto)}
    except TimeoutError:
        return {"result": "blocked", "error": "no answer before the timeout"}
    except OSError as e:
        return {"result": "blocked", "error": os.strerror(e.errno or errno.EIO)}
    finally:
        s.close()


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def icmp(dst: str, ident: int, timeout: float) -> dict:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, 1)
    payload = b"netsim trace"
    packet = struct.pack("!BBHHH", ECHO_REQUEST, 0, _checksum(header + payload), ident, 1)
    try:
        s.sendto(packet + payload, (dst, 0))
    except OSError as e:
        s.close()
        return {"result": "blocked", "error": os.strerror(e.errno or errno.EIO)}
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([s], [], [], left)[0]:
                break
            data, (src, _) = s.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            kind = data[ihl]
            if kind == ECHO_REPLY and struct.unpack("!H", data[ihl + 4:ihl + 6])[0] == ident:
                return {"result": "reach", "seen": None}
            if kind == UNREACHABLE and len(data) >= ihl + 8 + 28:
                inner = data[ihl + 8:]
                inner_ihl = (inner[0] & 0x0F) * 4
                if struct.unpack("!H", inner[inner_ihl + 4:inner_ihl + 6])[0] == ident:
                    return {"result": "blocked", "error": f"ICMP destination unreachable "
                            f"(code {data[ihl + 1]}) from {src}"}
        return {"result": "blocked", "error": "no answer before the timeout"}
    finally:
        s.close()


def send(proto: str, dst: str, port: int, mark: int, timeout: float) -> dict:
    return (icmp(dst, mark, timeout) if proto == "icmp"
            else _socket_probe(proto, dst, port, mark, timeout))
