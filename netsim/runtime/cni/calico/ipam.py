"""calico-ipam: blocks with node affinity (libcalico-go/lib/ipam). A node claims a block the
first time it needs an address: the pool's blocks walked from an index drawn with Go's
math/rand seeded by the FNV-1 hash of the node's name (randomBlockGenerator), the first one
no node holds; inside a block the lowest free ordinal, the block's network address included
(#3825). Addresses are /32."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from netsim.runtime.cni.calico import gorand
from netsim.runtime.cni.calico.resources import Pool


@dataclass
class Block:
    cidr: IPv4Network
    node: str
    pool: Pool
    used: set[int] = field(default_factory=set)

    def take(self) -> IPv4Address | None:
        free = next((o for o in range(self.cidr.num_addresses) if o not in self.used), None)
        if free is None:
            return None
        self.used.add(free)
        return self.cidr.network_address + free


@dataclass
class Ipam:
    pools: list[Pool]
    blocks: dict[IPv4Network, Block] = field(default_factory=dict)

    def affine(self, node: str) -> list[Block]:
        return [b for b in self.blocks.values() if b.node == node]

    def assign(self, node: str, pools: list[Pool] | None = None) -> IPv4Address | None:
        """autoAssign: an address of a block affine to the node, else a new block claimed;
        None when every pool is full."""
        usable = [p for p in (pools or self.pools) if not p.disabled]
        for b in self.affine(node):
            if b.pool in usable:
                got = b.take()
                if got is not None:
                    return got
        for pool in usable:
            block = self.claim(node, pool)
            if block is not None:
                return block.take()
        return None

    def claim(self, node: str, pool: Pool) -> Block | None:
        for cidr in candidates(pool, node):
            if cidr not in self.blocks:
                self.blocks[cidr] = Block(cidr, node, pool)
                return self.blocks[cidr]
        return None


def first_index(pool: Pool, node: str) -> int:
    blocks = 1 << (pool.block - pool.cidr.prefixlen)
    return gorand.big_rand(gorand.Rand(gorand.fnv32(node)), blocks)


def candidates(pool: Pool, node: str):
    """The pool's blocks in the order randomBlockGenerator yields them for this node."""
    count = 1 << (pool.block - pool.cidr.prefixlen)
    size = 1 << (32 - pool.block)
    start = first_index(pool, node) if pool.block < 32 else 0
    base = int(pool.cidr.network_address)
    for k in range(count):
        yield IPv4Network((base + ((start + k) % count) * size, pool.block))
