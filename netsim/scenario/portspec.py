"""Docker's `-p` syntax, parsed the way go-connections `nat.ParsePortSpec` does (spec §4.1).

`[ip:][hostPort:]containerPort[/proto]`, split on ':' from the right; ranges `8000-8001:80-81`
map pairwise, `8000-8010:80` means "any free host port of that range". Error texts are Docker's.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

_DIGITS = re.compile(r"[0-9]{1,5}\Z")
MAX_RANGE = 1024  # ports in one mapping: netsim makes rules and a probe per port
PROTOS = ("tcp", "udp")  # sctp parses in Docker, but netsim cannot probe it
SYNTAX = "[IP:][HOST:]CONTAINER[/tcp|udp], e.g. 8080:80, 127.0.0.1:8081:80, 9090:80/udp"


@dataclass(frozen=True)
class PortRequest:
    """One container port and the host ports it may take (empty = random from the ephemeral range)."""

    host_ip: str | None  # None: the network's host_binding_ipv4 (0.0.0.0); IPv6 without brackets
    host_ports: tuple[int, ...]  # candidates, in order; () = random
    container_port: int
    proto: str
    spec: str  # the text the user wrote


@dataclass(frozen=True)
class PortProto:
    port: int
    proto: str
    ip: ipaddress.IPv4Address | None = None  # a listener bound to one address (None: any)

    def __str__(self) -> str:
        return (f"{self.ip}:" if self.ip else "") + f"{self.port}/{self.proto}"


def _range(text: str) -> tuple[int, int]:
    """Docker's ParsePortRange: "80" or "8000-8010", each a uint16."""
    if not text:
        raise ValueError
    lo, sep, hi = text.partition("-")
    if not _DIGITS.match(lo) or (sep and not _DIGITS.match(hi)):  # ASCII only, as Go's Atoi
        raise ValueError
    start = int(lo, 10)
    end = int(hi, 10) if sep else start
    if not (0 < start <= 65535 and 0 < end <= 65535) or end < start:
        raise ValueError
    return start, end


@functools.lru_cache(maxsize=4096)  # a scenario names the same few ports thousands of times
def parse_port_proto(text: str) -> PortProto:
    """"80/tcp", "53/udp" or "80" (tcp), as `--expose` and netsim's `listen` take them."""
    port, _, proto = str(text).partition("/")
    proto = (proto or "tcp").lower()
    if proto not in PROTOS:
        raise ValueError(f'"{text}": invalid proto: {proto} (valid: tcp, udp)')
    try:
        lo, hi = _range(port)
    except ValueError:
        raise ValueError(f'"{text}" is not a port (valid: PORT[/tcp|udp], e.g. 80/tcp)') from None
    if lo != hi:
        raise ValueError(f'"{text}": give single ports here, not a range')
    return PortProto(lo, proto)


def parse_listen(text: str) -> PortProto:
    """`listen:` entries: "80/tcp", or bound to one address: "127.0.0.1:8192/tcp"."""
    ip, colon, rest = str(text).rpartition(":")
    if not colon:
        return parse_port_proto(text)
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        raise ValueError(f'"{text}": "{ip}" is not an IPv4 address (valid: [IP:]PORT[/tcp|udp], '
                         "e.g. 127.0.0.1:8192/tcp)") from None
    got = parse_port_proto(rest)
    return PortProto(got.port, got.proto, addr)


def parse_port_spec(raw: str) -> list[PortRequest]:
    """One `-p` argument -> one request per container port; ValueError carries Docker's words."""
    text = str(raw)
    parts = text.split(":")
    container = parts[-1]
    host = parts[-2] if len(parts) >= 2 else ""
    ip = ":".join(parts[:-2]) if len(parts) >= 3 else ""
    container, _, proto = container.partition("/")
    proto = proto.lower() or "tcp"

    def bad(why: str) -> ValueError:
        return ValueError(f'"{text}" is not a port mapping: {why}')

    if ip.startswith("["):
        ip = ip.strip("[]")
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise bad(f"invalid IP address: {ip}") from None
    if not container:
        raise bad(f"no port specified: {text}<empty>")
    try:
        c_lo, c_hi = _range(container)
    except ValueError:
        raise bad(f"invalid containerPort: {container}") from None
    h_lo = h_hi = 0
    if host:
        try:
            h_lo, h_hi = _range(host)
        except ValueError:
            raise bad(f"invalid hostPort: {host}") from None
        if (c_hi - c_lo) != (h_hi - h_lo) and c_hi != c_lo:
            raise bad(f"invalid ranges specified for container and host Ports: {container} and {host}")
    if proto not in PROTOS:
        raise bad(f"invalid proto: {proto}")
    if c_hi - c_lo >= MAX_RANGE:  # Docker takes it; netsim would make 65,535 rules and probes
        raise bad(f"{c_hi - c_lo + 1} container ports in one mapping: netsim models up to "
                  f"{MAX_RANGE} per -p")
    host_ip = ip or None
    if c_lo == c_hi:  # one container port; the host side may be a range to choose from
        hosts = tuple(range(h_lo, h_hi + 1)) if host else ()
        return [PortRequest(host_ip, hosts, c_lo, proto, text)]
    return [
        PortRequest(host_ip, (h_lo + i,) if host else (), c_lo + i, proto, text)
        for i in range(c_hi - c_lo + 1)
    ]
