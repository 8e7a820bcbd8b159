"""`docker run --network NAME [--network OTHER]`: endpoints on bridge, macvlan, ipvlan and
overlay networks, the default route, and port publishing (spec §1.6, §2.4, §4, §7.3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from netsim.model.assembly import ANY
from netsim.model.graph import Iface, NodeKind, PortBinding, Route
from netsim.runtime.docker.context import Daemon, Docker, Join, NetRequest, NetState, Run, RunFailed
from netsim.runtime.docker.drivers import bridge
from netsim.runtime.docker.portalloc import PortTaken
from netsim.runtime.docker.removal import unpublish
from netsim.scenario.portspec import PortRequest
from netsim.scenario.schema import Container, Network

DEFAULT = IPv4Network("0.0.0.0/0")
DEFAULT6 = IPv6Network("::/0")


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
    """Plan first (addresses, gateway, host ports), so a start Docker refuses changes nothing;
    then the namespace, one endpoint per network, the default route, the published ports."""
    dk, d, name = r.dk, r.daemon, r.name
    joins = _addresses(r)
    gw = _gateway(dk, joins)
    try:
        if gw is None and any(st.net.driver == "overlay" for _, st, _ in joins):
            gw = (None, d.gwbridge, dk.take_ip(d.gwbridge, None, r.path, False))
        bindings = _plan_ports(dk, r, gw[1] if gw else None, gw[2] if gw else None)
    except RunFailed:
        for _, st, ip in joins + ([gw] if gw and gw[0] is None else []):
            st.pool.release(ip)
        _release6(r, joins)
        raise
    dk.asm.add_ns(name, NodeKind.CONTAINER, name, host=d.name)
    dk.asm.endpoint(name, NodeKind.CONTAINER, name, {})
    if r.ip6:  # twins are found by IPv4 rules only
        dk.model.containers[name].swappable = False
    for req, st, ip in joins:
        _join(dk, d, name, req.name, st, ip, r.ip6.get(req.name))
    if gw is not None and gw[0] is None:  # overlay endpoints give no gateway (spec §7.3)
        _join(dk, d, name, "docker_gwbridge", gw[1], gw[2])
    if gw is not None:
        _route(dk, name, gw[1])
    _links(dk, name, r.spec, r.path)
    if bindings:
        dk.model.containers[name].ports.extend(bindings)
        bridge.publish(dk, d, gw[1], bindings)
    for p in dk.listens(name, r.spec):
        dk.asm.listen(dk.model.ns[name], [p], f"{name}'s app", ip=p.ip or ANY)


def connect(dk: Docker, name: str, req: NetRequest) -> None:
    """`docker network connect NET NAME`, at its place in the sequence: a new endpoint, and
    when that endpoint now sorts first the default route and the published ports move to it
    (libnetwork updateGateway)."""
    info = dk.model.containers[name]
    d = dk.daemons[info.host]
    st = dk.lookup_net(d, req.name, req.path)
    if name in st.net.endpoints:
        raise dk.error(req.path, f"Error response from daemon: endpoint with name {name} "
                       f"already exists in network {req.name}")
    is_default = st.net.name == "bridge" and st.net.scope == "local"
    ip = dk.take_ip(st, req.attach.ip if req.attach else None, req.path, is_default)
    ip6 = dk.take_ip6(st, req.attach.ip6 if req.attach else None, req.path, is_default, ip)
    if ip6 is not None:
        info.swappable = False
    _join(dk, d, name, req.name, st, ip, ip6)
    info.networks.append(req.name)
    spec = dk.sc.containers[name]
    current = [(NetRequest(n, (spec.networks or {}).get(n), req.path), _state(dk, d, n),
                dk.model.endpoints[name].addresses[n])
               for n in dk.model.endpoints[name].addresses if n != "docker_gwbridge"]
    gw = _gateway(dk, current)
    routes = dk.model.ns[name].routes
    old = next((r for r in routes if r.dst == DEFAULT), None)
    new_dev = _ifname(dk, name, gw[1].net.name) if gw else None
    if gw is None or (old is not None and old.dev == new_dev):
        return
    dk.model.ns[name].routes = [r for r in routes if r.dst not in (DEFAULT, DEFAULT6)]
    _route(dk, name, gw[1])
    if info.ports:  # the published ports follow the gateway endpoint
        unpublish(dk, name, info.ports[0].network)
        bindings = _plan_ports(dk, Run(dk, d, name, spec, ("containers", name), current),
                               gw[1], gw[2])
        info.ports.extend(bindings)
        bridge.publish(dk, d, gw[1], bindings)


def _state(dk: Docker, d: Daemon, net: str) -> NetState:
    return d.nets.get(net) or dk.swarm[net]


def _join(dk: Docker, d: Daemon, name: str, net: str, st: NetState, ip: IPv4Address,
          ip6: IPv6Address | None = None) -> None:
    ns = dk.model.ns[dk.model.endpoints[name].ns]
    index = sum(1 for i in ns.ifaces.values() if i.name.startswith("eth"))
    iface = dk.drivers[st.net.driver].attach(Join(dk, d, st, name, ip, f"eth{index}", name,
                                                  ip6))
    _endpoint(dk, st, name, iface)
    ep = dk.model.endpoints[name]
    ep.addresses[net] = ip
    if ep.primary is None:
        ep.primary = ip
    if ip6 is not None:
        ep.addresses6[net] = ip6
        if ep.primary6 is None:
            ep.primary6 = ip6


def _ifname(dk: Docker, name: str, net: str) -> str | None:
    ns = dk.model.ns[dk.model.endpoints[name].ns]
    return next((i.name for i in ns.ifaces.values() if i.network == net), None)


def _route(dk: Docker, name: str, st: NetState) -> None:
    """`default via` the network's gateway (ipvlan l3 has none: `default dev eth0`), in each
    family the network has (ipv6.md §2: metric 1024, the kernel's default for IPv6)."""
    dev = _ifname(dk, name, st.net.name)
    dk.model.ns[name].routes.append(Route(DEFAULT, dev, via=st.net.gateway))
    if st.net.gateway6 is not None:
        dk.model.ns[name].routes.append(Route(DEFAULT6, dev, via=st.net.gateway6))


def _addresses(r: Run) -> list[tuple[NetRequest, NetState, IPv4Address]]:
    """Each network's address for the container (released again if the start fails)."""
    dk, out = r.dk, []
    try:
        for req in r.nets:
            st = dk.lookup_net(r.daemon, req.name, req.path)
            is_default = st.net.name == "bridge" and st.net.scope == "local"
            if req.attach and req.attach.aliases and is_default:
                raise dk.error((*req.path, "aliases"), "network-scoped alias is supported only "
                               "for containers in user defined networks")
            if req.attach and req.attach.gw_priority and dk.profile.name != "28":
                raise dk.error((*req.path, "gw_priority"), "gw-priority needs Docker 28 (API "
                               "1.48)", "docker: \"28\"", at_key=True)
            problem = bridge.endpoint_problem(dk, st, r.name) if st.net.driver == "bridge" \
                else None
            if problem:
                raise RunFailed(problem, dk.error(req.path, "").where)
            ip = dk.take_ip(st, req.attach.ip if req.attach else None, req.path, is_default)
            out.append((req, st, ip))
            ip6 = dk.take_ip6(st, req.attach.ip6 if req.attach else None, req.path,
                              is_default, ip)
            if ip6 is not None:
                r.ip6[req.name] = ip6
    except BaseException:
        for _, st, ip in out:
            st.pool.release(ip)
        _release6(r, out)
        raise
    return out


def _release6(r: Run, joins: list) -> None:
    for req, st, _ in joins:
        if req.name in r.ip6:
            st.pool6.release(r.ip6.pop(req.name))


def _gateway(dk: Docker, joins: list) -> tuple | None:
    """The endpoint that gives the default route: libnetwork orders a sandbox's endpoints
    (endpoint `Less`): internal networks last, then the highest gw-priority (28), then the
    network whose name sorts first — wherever it was named, `docker run` or `network connect`
    (docker-observed §9, asked again of 20.10.24)."""
    able = [j for j in joins if dk.drivers[j[1].net.driver].gives_gateway(dk, j[1])]
    if not able:
        return None
    return min(able, key=lambda j: (j[1].net.internal,
                                    -(j[0].attach.gw_priority if j[0].attach else 0),
                                    j[1].net.name))


def _endpoint(dk: Docker, st: NetState, name: str, iface: Iface) -> None:
    st.net.endpoints[name] = iface.addrs[0]
    six = [a for a in iface.addrs if a.version == 6]
    if six:
        st.net.endpoints6[name] = six[0]
    dk.model.attach(f"{st.net.host or 'swarm'}/{st.net.name}", iface.id)


def _links(dk: Docker, name: str, spec: Container, path: tuple) -> None:
    """--link TARGET[:ALIAS]: the target must be running already (spec §1.8)."""
    for i, link in enumerate(spec.links):
        target, _, alias = link.partition(":")
        alias = alias or target
        if target not in dk.model.containers or target == name:
            raise dk.error((*path, "links", i), f"Cannot link to a non running container: "
                           f"/{target} AS /{name}/{alias}", "a container defined earlier in the file")


def _plan_ports(dk: Docker, r: Run, st: NetState | None,
                ip: IPv4Address | None) -> list[PortBinding]:
    """-p / -P on the endpoint that gives the default route (spec §4), checked as Docker
    checks them at start: the allocator, then the socket bind (per profile)."""
    name, spec, path, d = r.name, r.spec, r.path, r.daemon
    requests: list[tuple[PortRequest, tuple]] = [
        (req, (*path, "ports", i)) for i, reqs in enumerate(spec.ports) for req in reqs]
    if dk.profile.sort_port_map:
        requests = _sort_port_map(requests)
    if spec.publish_all:  # 20.10: the highest exposed port gets the lowest host port
        exposed = sorted(dk.exposed(spec), key=lambda p: (p.port, p.proto),
                         reverse=dk.profile.publish_all_descending)
        requests += [(PortRequest(None, (), p.port, p.proto, "-P"), (*path, "publish_all"))
                     for p in exposed]
    if not requests:
        return []
    if st is None or st.net.internal or st.net.driver != "bridge":
        on_lan = sorted({dk.lookup_net(d, n.name, n.path).net.driver for n in r.nets}
                        & {"macvlan", "ipvlan"})
        why = ("the network is --internal" if st is not None and st.net.internal
               else f"{on_lan[0]} has no NAT: the container is on the LAN at its own address"
               if on_lan else "no network gives it a gateway")
        dk.model.warnings.append(("P26", f"containers.{name}.ports: nothing is published: {why} "
                                  "(docker port shows nothing)"))
        return []
    chosen: list[PortBinding] = []
    try:
        for req, rpath in requests:
            chosen.append(_bind(dk, d, name, st, ip, req, rpath))
    except RunFailed:
        for pb in chosen:
            d.ports.release(pb.host_ip, pb.host_port, pb.proto)
        raise
    return chosen


def _sort_port_map(requests: list[tuple[PortRequest, tuple]]) -> list[tuple[PortRequest, tuple]]:
    """20.10 allocates (and writes the rules of) a container's -p bindings in the order
    go-connections nat.SortPortMap leaves them: Go's insertion sort with its comparator
    `hostPort_i > hostPort_j || port_i < port_j || (same port && proto_i < proto_j)`. Its
    input is a map's order (random across container ports: the spec's order is one of them);
    within one container port it puts the higher host port first (observed on 20.10.24:
    `-p 8080:80 -p '[HOST6]:8081:80'` DNATs 8081 first). Go sorts up to 12 bindings so;
    past 12 its pdqsort may leave another order of the same comparator."""
    def less(a: PortRequest, b: PortRequest) -> bool:
        ha, hb = (r.host_ports[0] if r.host_ports else 0 for r in (a, b))
        return ha > hb or a.container_port < b.container_port or (
            a.container_port == b.container_port and a.proto < b.proto)

    out = list(requests)
    for i in range(1, len(out)):
        j = i
        while j > 0 and less(out[j][0], out[j - 1][0]):
            out[j], out[j - 1] = out[j - 1], out[j]
            j -= 1
    return out


def _bind(dk: Docker, d: Daemon, name: str, st: NetState, ip: IPv4Address, req: PortRequest,
          rpath: tuple) -> PortBinding:
    profile = dk.profile
    host_ip = ip_address(req.host_ip or st.net.options.get(bridge.HOST_BINDING, "0.0.0.0"))
    binds = d.spec.userland_proxy or profile.binds_without_proxy  # who opens the socket

    def fail(text: str) -> RunFailed:
        epid = dk.digest("endpoint", name, st.net.name)
        where = dk.error(rpath, "").where
        return RunFailed(f"{profile.wrap_prefix}driver failed programming external "
                         f"connectivity on endpoint {name} ({epid}): {text}", where)

    if host_ip.version == 6 and not dk.model.ipv6_on(d.ns):
        raise dk.error(rpath, f"{req.spec}: host {d.name} has no IPv6 (netsim builds an "
                       "IPv4-only host without an IPv6 loopback)", "give lan.ipv6, or the "
                       "host an address6")
    if binds and not host_ip.is_unspecified and host_ip not in d.addresses(dk.model):
        hport = req.host_ports[0] if req.host_ports else 0
        raise fail(profile.bind_unassigned.format(
            proto=req.proto, v=host_ip.version, hip=_go(host_ip), hport=hport, cip=ip,
            cport=req.container_port))
    try:
        hport = d.ports.request(host_ip, req.host_ports, req.proto)
    except PortTaken as e:
        if e.port is None:
            raise fail("all ports are allocated") from None
        raise fail(profile.port_allocated.format(ip=e.holder, port=e.port)) from None
    if not req.host_ip and host_ip.is_unspecified and profile.port_overlap \
            and dk.model.ipv6_on(d.ns):  # 28 asks for 0.0.0.0 and [::] at once
        try:
            d.ports.request(ANY6, (hport,), req.proto)
        except PortTaken as e:
            d.ports.release(host_ip, hport, req.proto)
            raise fail(profile.port_allocated.format(ip=e.holder, port=e.port)) from None
    if binds and not profile.port_overlap and d.ports.clash(host_ip, hport, req.proto):
        d.ports.release(host_ip, hport, req.proto)  # 20.10: the proxy's bind() meets a socket
        raise fail(profile.bind_in_use.format(proto=req.proto, v=host_ip.version,
                                              ip=_go(host_ip), port=hport))
    return PortBinding(host_ip, hport, req.proto, name, ip, req.container_port, st.net.name,
                       req.spec)


ANY6 = IPv6Address("::")


def _go(ip: IPv4Address | IPv6Address) -> str:
    """An address as Go's net.JoinHostPort writes it before ":PORT"."""
    return f"[{ip}]" if ip.version == 6 else str(ip)
