"""A Swarm among the lab's managed engines, over the LAN: `swarm init` on the first host,
`swarm join` on the others with the worker token (real Raft, gossip and VXLAN)."""

from __future__ import annotations

import time
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


SETTLE_S = 20.0  # how long gossip may take to tell every engine of every endpoint
POLL_S = 0.2


def settle(clients: dict, overlays: dict[str, tuple[str, dict[str, str]]],
           timeout: float = SETTLE_S) -> list[str]:
    """Wait until each engine's view of each overlay (`docker network inspect --verbose`:
    its networkDB, filled by gossip) holds every container on it, as the engines will once
    gossip has spread: probing earlier would measure the spread, not the network.
    `overlays`: network id -> (its name, {container: the host it runs on}).
    -> a sentence for each view that did not settle in time (a finding, not a guess)."""
    missing: dict[tuple[str, str], set[str]] = {}
    deadline = time.monotonic() + timeout
    while True:
        missing = {}
        for net_id, (name, members) in overlays.items():
            for host in sorted(set(members.values())):
                got = clients[host].api.inspect_network(net_id, verbose=True)
                known = {t["Name"] for s in (got.get("Services") or {}).values()
                         for t in s.get("Tasks") or ()}
                if not set(members) <= known:
                    missing[host, name] = set(members) - known
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(POLL_S)
    return [f"{host}'s engine did not learn {', '.join(sorted(gone))} on overlay {name} "
            f"within {timeout:.0f} s (its networkDB, by gossip)"
            for (host, name), gone in sorted(missing.items())]
