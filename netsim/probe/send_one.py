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
from ipaddress import ip_address

from netsim.probe.icmp import (
    ECHO6_REPLY,
    ECHO6_REQUEST,
    ECHO_REPLY,
    ICMP6_ERRORS,
    ICMP_ERRORS,
    IP6_HEADER,
    echo_request,
)

FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
ANY = {4: "0.0.0.0", 6: "::"}


def _refused_words(proto: str) -> str:
    return "connection refused (RST)" if proto == "tcp" else "ICMP port unreachable"


def _seen(said: str) -> str | None:
    """The echo service's "ADDRESS:PORT [LOCAL:PORT]" (an IPv6 address may come bracketed):
    the address it saw."""
    first = said.split()[0] if said.split() else ""
    head = first.rsplit(":", 1)[0].strip("[]") if ":" in first else ""
    try:
        return str(ip_address(head))
    except ValueError:
        return None


def _socket_probe(proto: str, dst: str, port: int, sport: int, timeout: float) -> dict:
    """A TCP connect or a UDP datagram from `sport`; the echo service answers with the
    address:port it saw."""
    family = ip_address(dst).version
    s = socket.socket(FAMILY[family], socket.SOCK_STREAM if proto == "tcp" else
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ANY[family], sport))
    s.settimeout(timeout)
    try:
        s.connect((dst, port))
        if proto == "udp":
            s.send(b"netsim trace\n")
        else:
            s.settimeout(min(timeout, 1.0))
        return {"result": "open", "seen": _seen(s.recv(512).decode(errors="replace").strip())}
    except ConnectionRefusedError:
        return {"result": "closed", "error": _refused_words(proto)}
    except TimeoutError:
        return {"result": "blocked", "error": "no answer before the timeout"}
    except OSError as e:
        return {"result": "blocked", "error": os.strerror(e.errno or errno.EIO)}
    finally:
        s.close()


def _answer(data: bytes, ident: int, v6: bool) -> tuple[str, int] | None:
    """("reach" | "error", code) when `data` answers our echo: a reply, or an error quoting it.
    An IPv4 raw socket reads the IP header too; an IPv6 one does not."""
    hl = 0 if v6 else (data[0] & 0x0F) * 4
    kind = data[hl]
    if kind == (ECHO6_REPLY if v6 else ECHO_REPLY):
        return ("reach", 0) if struct.unpack_from("!H", data, hl + 4)[0] == ident else None
    if kind not in (ICMP6_ERRORS if v6 else ICMP_ERRORS):
        return None
    inner = hl + 8
    quoted = inner + (IP6_HEADER if v6 else (data[inner] & 0x0F) * 4) if len(data) > inner else 0
    if len(data) >= quoted + 6 and struct.unpack_from("!H", data, quoted + 4)[0] == ident:
        return "error", kind
    return None


def icmp(dst: str, ident: int, timeout: float) -> dict:
    v6 = ip_address(dst).version == 6
    s = socket.socket(FAMILY[6 if v6 else 4], socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    try:
        s.sendto(echo_request(ident, 1, b"netsim trace", ECHO6_REQUEST if v6 else 8), (dst, 0))
    except OSError as e:
        s.close()
        return {"result": "blocked", "error": os.strerror(e.errno or errno.EIO)}
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([s], [], [], left)[0]:
                break
            data, peer = s.recvfrom(2048)
            got = _answer(data, ident, v6)
            if got and got[0] == "reach":
                return {"result": "reach", "seen": None}
            if got:
                words = (ICMP6_ERRORS if v6 else ICMP_ERRORS)[got[1]]
                return {"result": "blocked", "error": f"ICMP{'v6' if v6 else ''} {words} "
                        f"(code {data[(0 if v6 else (data[0] & 0x0F) * 4) + 1]}) from {peer[0]}"}
        return {"result": "blocked", "error": "no answer before the timeout"}
    finally:
        s.close()


def send(proto: str, dst: str, port: int, mark: int, timeout: float) -> dict:
    return (icmp(dst, mark, timeout) if proto == "icmp"
            else _socket_probe(proto, dst, port, mark, timeout))
