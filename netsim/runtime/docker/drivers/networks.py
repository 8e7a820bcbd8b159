"""`docker run --network NAME [--network OTHER]`: endpoints on bridge, macvlan, ipvlan and
overlay networks, the default route, and port publishing (spec §1.6, §2.4, §4, §7.3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from netsim.model.graph import EdgeKind, Iface, NodeKind, PortBinding, Route
from netsim.runtime.docker.context import Daemon, Docker, Join, NetRequest, NetState, Run
from netsim.runtime.docker.drivers import bridge
from netsim.runtime.docker.portalloc import PortTaken
from netsim.scenario.portspec import PortProto, PortRequest
from netsim.scenario.schema import Container, Network

DEFAULT = IPv4Network("0.0.0.0/0")


def validate_bridge(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    for key in ("parent", "mode"):
        if getattr(spec, key) is not None:
            raise dk.error((*path, key), f"'{key}' is a macvlan/ipvlan option; the bridge "
                           "driver does not take it", at_key=True)
    if spec.hosts is not None:
        raise dk.error((*path, "hosts"), "a bridge network belongs to one host: use host:",
                       at_key=True)
    for key in spec.options:
        if key not in bridge.OPTIONS:
            dk.model.warnings.append(("option", f"networks.{name}: option {key} is not one "
                                      "netsim models; Docker's bridge driver ignores unknown ones"))


def run(r: Run) -> None:
    dk, d, name = r.dk, r.daemon, r.name
    dk.asm.add_ns(name, NodeKind.CONTAINER, name, host=d.name)
    addresses: dict[str, IPv4Address] = {}
    gateway: tuple[NetState, str] | None = None
    for i, req in enumerate(r.nets):
        st = dk.lookup_net(d, req.name, req.path)
        is_default = st.net.name == "bridge" and st.net.scope == "local"
        if req.attach and req.attach.aliases and is_default:
            raise dk.error((*req.path, "aliases"), "network-scoped alias is supported only for "
                           "containers in user defined networks")
        ip = dk.take_ip(st, req.attach.ip if req.attach else None, req.path, is_default)
        driver = dk.drivers[st.net.driver]
        iface = driver.attach(Join(dk, d, st, name, ip, f"eth{i}", name))
        addresses[req.name] = ip
        _endpoint(dk, st, name, iface)
        if gateway is None and driver.gives_gateway(dk, st):
            gateway = (st, iface.name)
    if gateway is None and any(dk.lookup_net(d, n.name, n.path).net.driver == "overlay"
                               for n in r.nets):
        gateway = _gwbridge(dk, d, name, len(r.nets), addresses)
    if gateway is not None:
        st, dev = gateway
        # ipvlan l3 has no gateway: the route is `default dev eth0` (ipvlan driver)
        dk.model.ns[name].routes.append(Route(DEFAULT, dev, via=st.net.gateway))
    dk.asm.endpoint(name, NodeKind.CONTAINER, name, addresses)
    _links(dk, name, r.spec, r.path)
    publish(dk, d, name, r.spec, r.path, gateway[0] if gateway else None, r.nets)
    dk.asm.listen(dk.model.ns[name], list(r.spec.listen) + app_ports(r.spec),
                  f"{name}'s echo service")


def _endpoint(dk: Docker, st: NetState, name: str, iface: Iface) -> None:
    st.net.endpoints[name] = iface.addrs[0]
    dk.model.graph.add_edge(f"net:{st.net.host or 'swarm'}/{st.net.name}", iface.id,
                            kind=EdgeKind.ATTACH)


def app_ports(spec: Container) -> list[PortProto]:
    """`-p 8080:80` says the app listens on 80 (even where publishing does nothing, as on
    macvlan); `-P` says the same of every exposed port."""
    ports = [PortProto(r.container_port, r.proto) for reqs in spec.ports for r in reqs]
    if spec.publish_all:
        ports += list(spec.expose)
    return ports


def _gwbridge(dk: Docker, d: Daemon, name: str, index: int,
              addresses: dict) -> tuple[NetState, str]:
    """Overlay endpoints give no gateway: Docker adds docker_gwbridge (spec §7.3)."""
    st = d.gwbridge
    ip = dk.take_ip(st, None, ("containers", name), False)
    iface = bridge.attach(Join(dk, d, st, name, ip, f"eth{index}", name))
    addresses["docker_gwbridge"] = ip
    _endpoint(dk, st, name, iface)
    return st, iface.name


def _links(dk: Docker, name: str, spec: Container, path: tuple) -> None:
    """--link TARGET[:ALIAS]: the target must be running already (spec §1.8)."""
    for i, link in enumerate(spec.links):
        target, _, alias = link.partition(":")
        alias = alias or target
        if target not in dk.model.containers or target == name:
            raise dk.error((*path, "links", i), f"Cannot link to a non running container: "
                           f"/{target} AS /{name}/{alias}", "a container defined earlier in the file")


def publish(dk: Docker, d: Daemon, name: str, spec: Container, path: tuple,
            st: NetState | None, nets: list[NetRequest]) -> None:
    """-p / -P on the endpoint that gives the default route (spec §4)."""
    requests: list[tuple[PortRequest, tuple]] = [
        (req, (*path, "ports", i)) for i, reqs in enumerate(spec.ports) for req in reqs]
    if spec.publish_all:
        requests += [(PortRequest(None, (), p.port, p.proto, "-P"), (*path, "publish_all"))
                     for p in spec.expose]
    if not requests:
        return
    on_lan = sorted({dk.lookup_net(d, n.name, n.path).net.driver for n in nets}
                    & {"macvlan", "ipvlan"})
    if st is None or st.net.internal or st.net.driver != "bridge":
        why = ("the network is --internal" if st is not None and st.net.internal
               else f"{on_lan[0]} has no NAT: the container is on the LAN at its own address"
               if on_lan else "no network gives it a gateway")
        dk.model.warnings.append(("P26", f"containers.{name}.ports: nothing is published: {why} "
                                  "(docker port shows nothing)"))
        return
    info = dk.model.containers[name]
    chosen = []
    for req, rpath in requests:
        host_ip = IPv4Address(req.host_ip or st.net.options.get(bridge.HOST_BINDING, "0.0.0.0"))
        try:
            hport = d.ports.request(host_ip, req.host_ports, req.proto)
        except PortTaken as e:
            epid = dk.digest("endpoint", name, st.net.name)
            raise dk.error(rpath, f"{dk.profile.wrap_prefix}driver failed programming external "
                           f"connectivity on endpoint {name} ({epid}): {e}") from None
        pb = PortBinding(host_ip, hport, req.proto, name, st.net.endpoints[name].ip,
                         req.container_port, st.net.name, req.spec)
        chosen.append(pb)
        info.ports.append(pb)
    bridge.publish(dk, d, st, chosen)
