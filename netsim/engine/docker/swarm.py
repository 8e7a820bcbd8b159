"""A Swarm among the lab's managed engines, over the LAN: `swarm init` on the first host,
`swarm join` on the others with the worker token (real Raft, gossip and VXLAN)."""

from __future__ import annotations

from ipaddress import IPv4Address


def form(clients: dict, addresses: dict[str, IPv4Address]) -> str:
    """-> the manager's host name (where overlay networks are created)."""
    manager, *workers = clients
    addr = str(addresses[manager])
    clients[manager].swarm.init(advertise_addr=addr, listen_addr=f"{addr}:2377")
    token = clients[manager].swarm.attrs["JoinTokens"]["Worker"]
    for w in workers:
        a = str(addresses[w])
        clients[w].swarm.join(remote_addrs=[f"{addr}:2377"], join_token=token,
                              advertise_addr=a, listen_addr=f"{a}:2377")
    return manager
