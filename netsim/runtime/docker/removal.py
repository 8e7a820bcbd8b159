"""`docker rm` and `docker network disconnect`: an endpoint undone as Docker undoes it. Its
address goes back to the pool (the next container gets it at once: lowest free), its host
ports to the allocator, its links and the rules and docker-proxy it installed go away."""

from __future__ import annotations

from netsim.runtime.docker.context import Docker


def disconnect(dk: Docker, name: str, network: str) -> None:
    info = dk.model.containers[name]
    d = dk.daemons[info.host]
    st = d.nets.get(network) or dk.swarm.get(network) or (
        d.gwbridge if network == "docker_gwbridge" else None)
    if st is None or name not in st.net.endpoints:
        return
    addr = st.net.endpoints.pop(name)
    st.pool.release(addr.ip)
    addr6 = st.net.endpoints6.pop(name, None)
    if addr6 is not None and st.pool6 is not None:
        st.pool6.release(addr6.ip)
    ns = dk.model.ns[dk.model.endpoints[name].ns]
    iface = next(i for i in ns.ifaces.values() if i.network == network and addr in i.addrs)
    for dead in filter(None, [iface.id, iface.peer]):
        _drop_iface(dk, dead)
    ns.routes = [r for r in ns.routes if r.dev != iface.name]
    undo(dk, (name, network))
    unpublish(dk, name, network)
    ep = dk.model.endpoints[name]
    ep.addresses.pop(network, None)
    ep.addresses6.pop(network, None)
    ep.primary = next(iter(ep.addresses.values()), None)
    ep.primary6 = next(iter(ep.addresses6.values()), None)
    info.networks = [n for n in info.networks if n != network]


def undo(dk: Docker, owner: tuple[str, str]) -> None:
    """Take out the rules and docker-proxy listeners an owner installed."""
    for owner_ns, table, chain, item in dk.owned.pop(owner, []):
        if table.startswith("ip6 "):
            dk.model.ns[owner_ns].rules6.delete(table[4:], chain, item)
        elif table:
            dk.model.ns[owner_ns].rules.delete(table, chain, item)
        else:
            host_ip, port, proto = item
            dk.model.ns[owner_ns].listeners = [
                x for x in dk.model.ns[owner_ns].listeners
                if (x.ip, x.port, x.proto, x.role) != (host_ip, port, proto, "proxy")]


def unpublish(dk: Docker, name: str, network: str) -> None:
    """The container's published ports on that network: rules, proxies, host ports."""
    info = dk.model.containers[name]
    undo(dk, (name, f"{network}:ports"))
    for pb in [p for p in info.ports if p.network == network]:
        dk.daemons[info.host].ports.release(pb.host_ip, pb.host_port, pb.proto)
        info.ports.remove(pb)


def rm(dk: Docker, name: str) -> None:
    info = dk.model.containers[name]
    for network in list(dk.model.endpoints[name].addresses):
        disconnect(dk, name, network)
    ns_id = dk.model.endpoints[name].ns
    if info.mode in ("networks", "none"):  # its own namespace goes with it
        dk.model.remove_ns(ns_id)
    else:  # host / container: mode shares a namespace: only its listeners go
        shared = dk.model.ns[ns_id]
        shared.listeners = [x for x in shared.listeners if f"{name} (" not in x.origin]
        dk.model.leave(name)
    del dk.model.endpoints[name]
    del dk.model.containers[name]


def _drop_iface(dk: Docker, iface_id: str) -> None:
    dk.model.remove_iface(iface_id)
