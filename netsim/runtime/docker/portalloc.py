"""Docker's host-port allocator (spec §4.2, §4.3; observed `-P` and conflicts, 20.10 and 28).

Per daemon. Random ports come from the ephemeral range, per protocol, round-robin from its
start. Whether a binding on one address conflicts with the same port on 0.0.0.0 is the
allocator's business in 28 (`overlap=True`: it names the binding already there), while in
20.10 the allocator keeps one table per host address and the clash only shows when the
userland proxy binds the socket (`holder()` tells the caller who would be in the way).
"""

from __future__ import annotations

from ipaddress import IPv4Address

EPHEMERAL = (32768, 60999)  # /proc/sys/net/ipv4/ip_local_port_range on Debian
ANY = IPv4Address("0.0.0.0")


class PortTaken(ValueError):
    def __init__(self, holder: IPv4Address | None, port: int | None):
        super().__init__(f"{holder}:{port}")
        self.holder, self.port = holder, port  # None: the whole range is allocated


class PortAllocator:
    def __init__(self, overlap: bool = True) -> None:
        self.overlap = overlap
        self.used: dict[tuple[str, int], list[IPv4Address]] = {}
        self.cursor: dict[str, int] = {}

    def holder(self, ip: IPv4Address, port: int, proto: str) -> IPv4Address | None:
        """A binding that shares (ip, port): the same address, or 0.0.0.0 on either side."""
        for h in self.used.get((proto, port), ()):
            if h == ip or ANY in (h, ip):
                return h
        return None

    def clash(self, ip: IPv4Address, port: int, proto: str) -> IPv4Address | None:
        """Another binding (besides one at `ip` itself) that a socket on (ip, port) would meet."""
        others = list(self.used.get((proto, port), ()))
        if ip in others:
            others.remove(ip)
        return next((h for h in others if h == ip or ANY in (h, ip)), None)

    def _free(self, ip: IPv4Address, port: int, proto: str) -> IPv4Address | None:
        """None when free; else the binding in the way (as this allocator sees it)."""
        if self.overlap:
            return self.holder(ip, port, proto)
        return ip if ip in self.used.get((proto, port), ()) else None

    def request(self, ip: IPv4Address, candidates: tuple[int, ...], proto: str) -> int:
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

    def release(self, ip: IPv4Address, port: int, proto: str) -> None:
        held = self.used.get((proto, port), [])
        if ip in held:
            held.remove(ip)

    def _ephemeral(self, ip: IPv4Address, proto: str) -> int:
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
