"""Docker's built-in IPAM (spec §1.3, §2.1, §2.4, §7.1; observed on 20.10 and 26.1).

Subnets come from the default pools in order, skipping any that overlap a subnet in use or a
reserved prefix (the host's on-link routes: the LAN). Addresses inside a subnet are handed out
lowest-free; network and broadcast addresses are reserved; the gateway is requested first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Network

# ipamutils.localScopeDefaultNetworks: (base, size of each subnet)
LOCAL_POOLS: tuple[tuple[str, int], ...] = (
    ("172.17.0.0/16", 16),
    ("172.18.0.0/16", 16),
    ("172.19.0.0/16", 16),
    ("172.20.0.0/14", 16),
    ("172.24.0.0/14", 16),
    ("172.28.0.0/14", 16),
    ("192.168.0.0/16", 20),
)
# ipamutils.globalScopeDefaultNetworks (swarm): overlays get /24s of 10.0.0.0/8
GLOBAL_POOLS: tuple[tuple[str, int], ...] = (("10.0.0.0/8", 24),)

OVERLAPS = "invalid pool request: Pool overlaps with other one on this address space"


class IpamError(ValueError):
    pass


def pool_subnets(pools: Sequence[tuple[str, int]]) -> Iterator[IPv4Network]:
    for base, size in pools:
        yield from IPv4Network(base).subnets(new_prefix=size)


class SubnetAllocator:
    """One address space: a daemon's local pools, or the swarm's global pool."""

    def __init__(self, pools: Sequence[tuple[str, int]], reserved: Sequence[IPv4Network],
                 exhausted: str):
        self.pools = pools
        self.reserved = list(reserved)
        self.used: list[IPv4Network] = []
        self.exhausted = exhausted

    def claim(self, subnet: IPv4Network) -> IPv4Network:
        """A subnet the user gave (`--subnet`)."""
        if any(subnet.overlaps(u) for u in self.used):
            raise IpamError(OVERLAPS)
        self.used.append(subnet)
        return subnet

    def allocate(self) -> IPv4Network:
        for candidate in pool_subnets(self.pools):
            if any(candidate.overlaps(x) for x in self.used) or any(
                candidate.overlaps(r) for r in self.reserved
            ):
                continue
            self.used.append(candidate)
            return candidate
        raise IpamError(self.exhausted)


class AddressPool:
    """The addresses of one network: lowest free first, from `ip_range` when one is set."""

    def __init__(self, subnet: IPv4Network | IPv6Network, ip_range: IPv4Network | None = None):
        self.subnet = subnet
        self.range = ip_range or subnet
        self.used: set[int] = set()
        if subnet.version == 6:  # IPv6 has no broadcast: only the subnet-router anycast
            self.used.add(int(subnet.network_address))
        elif subnet.prefixlen < 31:
            self.used |= {int(subnet.network_address), int(subnet.broadcast_address)}
        self._cursor = int(self.range.network_address)

    def take(self, ip: IPv4Address) -> IPv4Address:
        if ip not in self.subnet:
            raise IpamError(f"no configured subnet or ip-range contain the IP address {ip}")
        if int(ip) in self.used:
            raise IpamError("Address already in use")
        self.used.add(int(ip))
        return ip

    def next(self) -> IPv4Address:
        last = int(self.range.broadcast_address)
        while self._cursor <= last and self._cursor in self.used:
            self._cursor += 1
        if self._cursor > last:
            raise IpamError("no available addresses on this pool")
        ip = self.subnet.network_address + (self._cursor - int(self.subnet.network_address))
        self.used.add(self._cursor)
        return ip

    def release(self, ip: IPv4Address) -> None:
        """The address is free again (a failed or removed container): lowest free comes next."""
        self.used.discard(int(ip))
        self._cursor = min(self._cursor, int(ip))

    def reserve(self, ip: IPv4Address) -> None:
        """--aux-address: reserved only if it falls in the allocatable range (spec §2.4)."""
        if ip in self.range:
            self.used.add(int(ip))
