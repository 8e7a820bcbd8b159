"""Docker's host-port allocator (spec §4.2, §4.3; observed `-P` on 20.10).

Per daemon: a specific-address binding conflicts with the same port on 0.0.0.0 and vice versa;
random ports come from the ephemeral range, per protocol, round-robin from its start.
"""

from __future__ import annotations

from ipaddress import IPv4Address

EPHEMERAL = (32768, 60999)  # /proc/sys/net/ipv4/ip_local_port_range on Debian
ANY = IPv4Address("0.0.0.0")


class PortTaken(ValueError):
    pass


class PortAllocator:
    def __init__(self) -> None:
        self.used: dict[tuple[str, int], set[IPv4Address]] = {}
        self.cursor: dict[str, int] = {}

    def _free(self, ip: IPv4Address, port: int, proto: str) -> bool:
        holders = self.used.get((proto, port), set())
        return not holders or (ip != ANY and ANY not in holders and ip not in holders)

    def request(self, ip: IPv4Address, candidates: tuple[int, ...], proto: str) -> int:
        """Take the first free candidate, or a random (round-robin) port when none are given."""
        if not candidates:
            return self._ephemeral(ip, proto)
        for port in candidates:
            if self._free(ip, port, proto):
                self.used.setdefault((proto, port), set()).add(ip)
                return port
        shown = f"{candidates[0]}" if len(candidates) == 1 else f"{candidates[0]}-{candidates[-1]}"
        raise PortTaken(f"Bind for {ip}:{shown} failed: port is already allocated")

    def _ephemeral(self, ip: IPv4Address, proto: str) -> int:
        lo, hi = EPHEMERAL
        start = self.cursor.get(proto, lo)
        for i in range(hi - lo + 1):
            port = lo + (start - lo + i) % (hi - lo + 1)
            if self._free(ip, port, proto):
                self.used.setdefault((proto, port), set()).add(ip)
                self.cursor[proto] = port + 1
                return port
        raise PortTaken("all ports are allocated")

    def holds(self, port: int, proto: str) -> bool:
        return bool(self.used.get((proto, port)))
