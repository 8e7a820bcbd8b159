"""`docker run --network NAME [--network OTHER]`: endpoints on bridge, macvlan and overlay
networks, the default route, and port publishing (spec §1.6, §2.4, §4, §7.3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING

from netsim.model.drivers import bridge
from netsim.model.graph import EdgeKind, NodeKind, Route
from netsim.model.portalloc import PortTaken
from netsim.scenario.portspec import PortRequest

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon, NetState
    from netsim.scenario.schema import Container, Network

DEFAULT = IPv4Network("0.0.0.0/0")


def validate_bridge(b: Builder, name: str, spec: Network, path: tuple) -> None:
    for key in ("parent", "mode"):
        if getattr(spec, key) is not None:
            raise b.error((*path, key), f"'{key}' is a macvlan option; the bridge driver "
                          "does not take it", at_key=True)
    if spec.hosts is not None:
        raise b.error((*path, "hosts"), "a bridge network belongs to one host: use host:",
                      at_key=True)
    for key in spec.options:
        if key not in bridge.OPTIONS:
            b.model.warnings.append(("option", f"networks.{name}: option {key} is not one "
                                     "netsim models; Docker's bridge driver ignores unknown ones"))


def bridge_attach(b: Builder, d: Daemon, st: NetState, name: str, ip: IPv4Address,
                  ifname: str, cns: str):
    return bridge.attach(b, d, st, name, ip, ifname, cns)


def bridge_gateway(b: Builder, st: NetState) -> bool:
    """Internal networks give no default route (26+; 20.10 still did: docker-observed §5)."""
    return not st.net.internal or b.profile.internal_default_route


def run(b: Builder, d: Daemon, name: str, spec: Container, path: tuple, target: str | None,
        nets: list) -> None:
    from netsim.model.drivers import DRIVERS

    b.add_ns(name, NodeKind.CONTAINER, name, host=d.name)
    addresses: dict[str, IPv4Address] = {}
    gateway: tuple[NetState, str] | None = None
    for i, (net, attach, npath) in enumerate(nets):
        st = b.lookup_net(d, net, npath)
        is_default = st.net.name == "bridge" and st.net.scope == "local"
        if attach and attach.aliases and is_default:
            raise b.error((*npath, "aliases"), "network-scoped alias is supported only for "
                          "containers in user defined networks")
        ip = b.take_ip(st, attach.ip if attach else None, npath, is_default, name)
        driver = DRIVERS[st.net.driver]
        iface = driver.attach(b, d, st, name, ip, f"eth{i}", name)
        addresses[net] = ip
        st.net.endpoints[name] = iface.addrs[0]
        b.model.graph.add_edge(_net_node(st, d), iface.id, kind=EdgeKind.ATTACH)
        if gateway is None and driver.provides_gateway(b, st):
            gateway = (st, iface.name)
    if gateway is None and any(b.lookup_net(d, n, p).net.driver == "overlay" for n, _, p in nets):
        gateway = _gwbridge(b, d, name, len(nets), addresses)
    if gateway is not None and gateway[0].net.gateway is not None:
        b.model.ns[name].routes.append(Route(DEFAULT, gateway[1], via=gateway[0].net.gateway))
    b.endpoint(name, NodeKind.CONTAINER, name, addresses)
    _links(b, name, spec, path)
    publish(b, d, name, spec, path, gateway[0] if gateway else None, nets)
    b.listen(b.model.ns[name], list(spec.listen) + app_ports(spec), f"{name}'s echo service")


def app_ports(spec: Container) -> list:
    """`-p 8080:80` says the app listens on 80 (even where publishing does nothing, as on
    macvlan); `-P` says the same of every exposed port."""
    from netsim.scenario.portspec import PortProto

    ports = [PortProto(r.container_port, r.proto) for reqs in spec.ports for r in reqs]
    if spec.publish_all:
        ports += list(spec.expose)
    return ports


def _net_node(st: NetState, d: Daemon) -> str:
    return f"net:{st.net.host or 'swarm'}/{st.net.name}"


def _gwbridge(b: Builder, d: Daemon, name: str, index: int,
              addresses: dict) -> tuple[NetState, str]:
    """Overlay endpoints give no gateway: Docker adds docker_gwbridge (spec §7.3)."""
    st = d.gwbridge
    ip = b.take_ip(st, None, ("containers", name), False, name)
    iface = bridge.attach(b, d, st, name, ip, f"eth{index}", name)
    st.net.endpoints[name] = iface.addrs[0]
    addresses["docker_gwbridge"] = ip
    b.model.graph.add_edge(_net_node(st, d), iface.id, kind=EdgeKind.ATTACH)
    return st, iface.name


def _links(b: Builder, name: str, spec: Container, path: tuple) -> None:
    """--link TARGET[:ALIAS]: the target must be running already (spec §1.8)."""
    for i, link in enumerate(spec.links):
        target, _, alias = link.partition(":")
        alias = alias or target
        if target not in b.model.container_meta or target == name:
            raise b.error((*path, "links", i), f"Cannot link to a non running container: "
                          f"/{target} AS /{name}/{alias}",
                          "a container defined earlier in the file")


def publish(b: Builder, d: Daemon, name: str, spec: Container, path: tuple,
            st: NetState | None, nets: list) -> None:
    """-p / -P on the endpoint that gives the default route (spec §4)."""
    requests: list[tuple[PortRequest, tuple]] = [
        (req, (*path, "ports", i)) for i, reqs in enumerate(spec.ports) for req in reqs]
    if spec.publish_all:
        requests += [(PortRequest(None, (), p.port, p.proto, "-P"), (*path, "publish_all"))
                     for p in spec.expose]
    if not requests:
        return
    drivers = {b.lookup_net(d, n, p).net.driver for n, _, p in nets}
    if st is None or st.net.internal or st.net.driver not in ("bridge",):
        why = ("the network is --internal" if st is not None and st.net.internal
               else "macvlan has no NAT: the container is on the LAN at its own address"
               if "macvlan" in drivers else "no network gives it a gateway")
        b.model.warnings.append(("P26", f"containers.{name}.ports: nothing is published: {why} "
                                 "(docker port shows nothing)"))
        return
    meta = b.model.container_meta[name]
    chosen = []
    for req, rpath in requests:
        host_ip = IPv4Address(req.host_ip or st.net.options.get(bridge.HOST_BINDING, "0.0.0.0"))
        try:
            hport = d.ports.request(host_ip, req.host_ports, req.proto)
        except PortTaken as e:
            epid = b.digest("endpoint", name, st.net.name)
            raise b.error(rpath, f"{b.profile.wrap_prefix}driver failed programming external "
                          f"connectivity on endpoint {name} ({epid}): {e}") from None
        pb = bridge.PortBinding(host_ip, hport, req.proto, name, st.net.endpoints[name].ip,
                                req.container_port, st.net.name, req.spec)
        chosen.append(pb)
        meta["ports"].append(pb)
        d.bindings.append(pb)
    bridge.publish(b, d, st, chosen)
