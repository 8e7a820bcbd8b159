"""Docker's host-port allocator (spec §4.2, §4.3; observed `-P` and conflicts, 20.10 and 28).

Per daemon. Random ports come from the ephemeral range, per protocol, round-robin from its
start. Whether a binding on one address conflicts with the same port on 0.0.0.0 is the
allocator's business in 28 (`overlap=True`: it names the binding already there), while in
20.10 the allocator keeps one table per host address and the clash only shows when the
userland proxy binds the socket (`holder()` tells the caller who would be in the way).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

EPHEMERAL = (32768, 60999)  # /proc/sys/net/ipv4/ip_local_port_range on Debian
IP = IPv4Address | IPv6Address


def _shares(a: IP, b: IP) -> bool:
    """Two bindings of one port meet: the same address, or the wildcard of the same family
    on either side (0.0.0.0 and [::] are apart: a plain `-p` takes both)."""
    return a == b or (a.version == b.version and (a.is_unspecified or b.is_unspecified))


class PortTaken(ValueError):
    def __init__(self, holder: IP | None, port: int | None):
        super().__init__(f"{holder}:{port}")
        self.holder, self.port = holder, port  # None: the whole range is allocated


class PortAllocator:
    def __init__(self, overlap: bool = True) -> None:
        self.overlap = overlap
        self.used: dict[tuple[str, int], list[IP]] = {}
        self.cursor: dict[str, int] = {}

    def holder(self, ip: IP, port: int, proto: str) -> IP | None:
        """A binding that shares (ip, port): the same address, or 0.0.0.0 on either side."""
        for h in self.used.get((proto, port), ()):
            if _shares(h, ip):
                return h
        return None

    def clash(self, ip: IP, port: int, proto: str) -> IP | None:
        """Another binding (besides one at `ip` itself) that a socket on (ip, port) would meet."""
        others = list(self.used.get((proto, port), ()))
        if ip in others:
            others.remove(ip)
        return next((h for h in others if _shares(h, ip)), None)

    def _free(self, ip: IP, port: int, proto: str) -> IP | None:
        """None when free; else the binding in the way (as this allocator sees it)."""
        if self.overlap:
            return self.holder(ip, port, proto)
        return ip if ip in self.used.get((proto, port), ()) else None

    def request(self, ip: IP, candidates: tuple[int, ...], proto: str) -> int:
        """Take the first free candidate, or a random (round-robin) port when none are given."""
        if not candidates:
            return self._ephemeral(ip, proto)
        first_holder = None
        for port in candidates:
            holder = self._free(ip, port, proto)
            if holder is None:
                self.used.setdefault((proto, port), []).append(ip)
                return port
            first_holder = first_holder or holder
        raise PortTaken(first_holder, candidates[0])

    def release(self, ip: IP, port: int, proto: str) -> None:
        held = self.used.get((proto, port), [])
        if ip in held:
            held.remove(ip)

    def _ephemeral(self, ip: IP, proto: str) -> int:
        lo, hi = EPHEMERAL
        start = self.cursor.get(proto, lo)
        for i in range(hi - lo + 1):
            port = lo + (start - lo + i) % (hi - lo + 1)
            if self._free(ip, port, proto) is None:
                self.used.setdefault((proto, port), []).append(ip)
                self.cursor[proto] = port + 1
                return port
        raise PortTaken(None, None)

    def holds(self, port: int, proto: str) -> bool:
        return bool(self.used.get((proto, port)))
