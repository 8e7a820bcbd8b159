"""Scenario -> Model, in Docker's order of operations (spec §2.1: order decides addresses).

The LAN and its machines first, then each Docker host as dockerd starts (docker0, base rules),
then `docker network create` in file order, then `docker run` in file order. Driver-specific
work is delegated to netsim.model.drivers; this module only sequences it and names things.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.errors import ScenarioError
from netsim.model import dns, lint
from netsim.model.drivers import DRIVERS, MODES, bridge, overlay
from netsim.model.graph import (
    DockerNetwork,
    EdgeKind,
    Endpoint,
    Iface,
    IfKind,
    Listener,
    Model,
    Netns,
    NodeKind,
    Route,
)
from netsim.model.ipam import LOCAL_POOLS, AddressPool, IpamError, SubnetAllocator
from netsim.model.portalloc import PortAllocator
from netsim.model.profiles import PROFILES, Profile
from netsim.model.rules import Dnat, Drop, Is, Jump, Match, Rule, Snat
from netsim.scenario.load import Loaded
from netsim.scenario.portspec import PortProto
from netsim.scenario.schema import RESERVED, Container, Host, Network

OUTSIDE_NET = IPv4Network("203.0.113.0/24")  # TEST-NET-3: the world behind the router
OUTSIDE_ROUTER = IPv4Address("203.0.113.1")
OUTSIDE_ADDR = IPv4Address("203.0.113.10")
DEFAULT_LISTEN = (PortProto(80, "tcp"), PortProto(53, "udp"))
SWITCH = "_lan"  # node ids starting with "_" cannot clash with Docker names
ANY = IPv4Address("0.0.0.0")


@dataclass
class NetState:
    """A Docker network during the build: what inspect shows plus its address pool."""

    net: DockerNetwork
    pool: AddressPool
    path: tuple
    user_subnet: bool
    overlay_ns: dict[str, str] = field(default_factory=dict)  # overlay: host -> namespace id
    extra: dict = field(default_factory=dict)  # driver-private facts (macvlan parent, ...)


@dataclass
class Daemon:
    """One simulated dockerd: its namespace, address space, networks and port allocator."""

    name: str
    ns: str
    spec: Host
    address: IPv4Address
    subnets: SubnetAllocator
    nets: dict[str, NetState] = field(default_factory=dict)
    bindings: list = field(default_factory=list)
    ports: PortAllocator = field(default_factory=PortAllocator)
    gwbridge: NetState | None = None


class Builder:
    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.sc = loaded.scenario
        self.profile: Profile = PROFILES[self.sc.docker]
        self.model = Model(self.sc.name, self.sc.docker)
        self.daemons: dict[str, Daemon] = {}
        self.swarm: dict[str, NetState] = {}  # overlay networks
        self.swarm_pool = None
        self.next_vni = 4097  # 4096 is the ingress network's (spec §7.2)

    # --- helpers ------------------------------------------------------------------------
    def error(self, path: tuple, message: str, valid: str | None = None,
              at_key: bool = False) -> ScenarioError:
        return ScenarioError(message, self.loaded.positions.where(path, at_key=at_key), valid)

    def digest(self, *parts: object) -> str:
        text = "/".join(str(p) for p in (self.sc.name, *parts))
        return hashlib.sha256(text.encode()).hexdigest()

    def mac(self, key: tuple, ip: IPv4Address | None, random: bool = False) -> str:
        """Docker's MAC for an endpoint (spec §1.4): 02:42+IPv4 (<= 27, overlay) or random (28+).
        netsim's "random" is a stable hash, so a scenario always gets the same addresses."""
        if ip is not None and not random and self.profile.mac == "from-ip":
            return "02:42:" + ":".join(f"{b:02x}" for b in ip.packed)
        raw = bytearray(bytes.fromhex(self.digest("mac", *key)[:12]))
        raw[0] = (raw[0] & 0xFE) | 0x02  # unicast, locally administered
        return ":".join(f"{b:02x}" for b in raw)

    def add_ns(self, ns_id: str, kind: NodeKind, label: str, **kw) -> Netns:
        ns = self.model.add_ns(Netns(ns_id, kind, label, **kw))
        self.model.add_iface(Iface(ns_id, "lo", IfKind.LOOPBACK, mtu=65536,
                                   addrs=[IPv4Interface("127.0.0.1/8")]))
        return ns

    # --- the pipeline -------------------------------------------------------------------
    def build(self) -> Model:
        self.check_names()
        self.lan()
        for i, (name, spec) in enumerate(self.hosts().items()):
            self.host(i, name, spec)
        for name, spec in self.sc.networks.items():
            self.network(name, spec, ("networks", name))
        for name, spec in self.sc.containers.items():
            self.container(name, spec, ("containers", name))
        self.lan_routes()
        self.name_views()
        self.macvlan_addresses_free_on_lan()
        overlay.program_peers(self)
        lint.run(self)
        return self.model

    def hosts(self) -> dict[str, Host]:
        return self.sc.hosts or {"docker1": Host()}

    def check_names(self) -> None:
        owners: dict[str, str] = {}
        groups = [("hosts", list(self.hosts())), ("lan.peers", list(self.sc.lan.peers)),
                  ("containers", list(self.sc.containers))]
        for section, names in groups:
            for name in names:
                path = (*section.split("."), name)
                if name in RESERVED:
                    raise self.error(path, f"'{name}' is a name netsim uses for its own LAN nodes",
                                     f"any name but {', '.join(RESERVED)}", at_key=True)
                if name in owners:
                    raise self.error(path, f"name '{name}' is already used in {owners[name]}; "
                                     "names must be unique", at_key=True)
                owners[name] = section

    # --- the LAN: switch, router, outside, lan, peers -----------------------------------
    def lan(self) -> None:
        lan = self.sc.lan
        subnet = lan.subnet
        gateway = lan.gateway or subnet.network_address + 1
        self.lan_gateway = gateway
        if gateway not in subnet:
            raise self.error(("lan", "gateway"), f"{gateway} is not in the LAN subnet {subnet}")
        if subnet.overlaps(OUTSIDE_NET):
            raise self.error(("lan", "subnet"), f"{subnet} overlaps {OUTSIDE_NET}, where netsim "
                             "puts `outside`", "any other private subnet")
        self.used_lan: dict[IPv4Address, str] = {}
        switch = self.add_ns(SWITCH, NodeKind.SWITCH, "LAN", bridge_nf=bool(lan.block))
        for p in lan.block:  # a firewall between the LAN's machines (issue 4: P14)
            switch.rules.append("filter", "FORWARD", Rule(
                Match(proto=p.proto, dport=p.port), Drop(),
                f"scenario lan.block: {p} is filtered between LAN machines"))
        self.model.add_iface(Iface(SWITCH, "br0", IfKind.BRIDGE, mtu=lan.mtu,
                                   hairpin=lan.hairpin))
        self.add_ns("router", NodeKind.ROUTER, "router", forwarding=True)
        self.lan_port("router", "eth0", gateway, ("lan", "gateway"))
        out = self.add_ns("outside", NodeKind.OUTSIDE, "outside")
        r_out = Iface("router", "eth1", IfKind.VETH, addrs=[IPv4Interface(f"{OUTSIDE_ROUTER}/24")])
        o_if = Iface("outside", "eth0", IfKind.VETH, addrs=[IPv4Interface(f"{OUTSIDE_ADDR}/24")])
        self.model.add_iface(r_out)
        self.model.add_iface(o_if)
        self.model.link_veth(r_out, o_if)
        out.routes.append(Route(IPv4Network("0.0.0.0/0"), "eth0", via=OUTSIDE_ROUTER))
        if lan.dns.enabled:  # the hosts' upstream DNS server (netsim's LAN, see model/dns.py)
            self.model.ns["router"].listeners.append(Listener(
                ANY, 53, "udp", "dns", None, "the LAN's DNS server"))
        listen = tuple(lan.listen) if lan.listen is not None else DEFAULT_LISTEN
        self.listen(out, listen, "outside's echo service")
        self.endpoint("outside", NodeKind.OUTSIDE, "outside", {"outside": OUTSIDE_ADDR})
        self.endpoint("router", NodeKind.ROUTER, "router", {"lan": gateway, "outside": OUTSIDE_ROUTER})
        peers = {"lan": (lan.address or subnet.network_address + 2, None, ("lan", "address"))}
        for name, peer in lan.peers.items():
            peers[name] = (peer.address, peer.listen, ("lan", "peers", name))
        for name, (addr, plisten, path) in peers.items():
            ns = self.add_ns(name, NodeKind.LAN_PEER, name)
            self.lan_port(name, "eth0", addr, path)
            ns.routes.append(Route(IPv4Network("0.0.0.0/0"), "eth0", via=gateway))
            chosen = tuple(plisten) if plisten is not None else listen
            self.listen(ns, chosen, f"{name}'s echo service")
            self.endpoint(name, NodeKind.LAN_PEER, name, {"lan": addr})

    def lan_port(self, ns_id: str, ifname: str, addr: IPv4Address, path: tuple,
                 mtu: int | None = None, hairpin: bool | None = None) -> Iface:
        lan = self.sc.lan
        if addr not in lan.subnet or addr in (lan.subnet.network_address,
                                             lan.subnet.broadcast_address):
            raise self.error(path, f"{addr} is not a usable address of the LAN {lan.subnet}")
        if addr in self.used_lan:
            raise self.error(path, f"{addr} is already used by {self.used_lan[addr]} on the LAN")
        self.used_lan[addr] = ns_id
        port_no = len(self.model.ns[SWITCH].ifaces) - 2  # lo and br0 come first
        mtu = mtu or lan.mtu
        sw = Iface(SWITCH, f"sw{port_no}", IfKind.VETH, mtu=mtu, master="br0",
                   hairpin=lan.hairpin if hairpin is None else hairpin)
        inside = Iface(ns_id, ifname, IfKind.VETH, mtu=mtu,
                       addrs=[IPv4Interface(f"{addr}/{lan.subnet.prefixlen}")],
                       mac=self.mac(("lan", ns_id), None, random=True))
        self.model.add_iface(sw)
        self.model.add_iface(inside)
        self.model.link_veth(sw, inside)
        return inside

    def lan_routes(self) -> None:
        """`lan.routes`: LAN machines (and the router) that route Docker subnets to a host."""
        for cidr, via in self.sc.lan.routes.items():
            path = ("lan", "routes", cidr)
            try:
                dst = IPv4Network(cidr)
            except ValueError:
                raise self.error(path, f'"{cidr}" is not a subnet', "CIDR such as 172.16.0.0/12",
                                 at_key=True) from None
            gw = self.endpoint_address(via)
            if via not in self.daemons and via not in self.sc.lan.peers:
                raise self.error(path, f"'{via}' is not a machine on the LAN",
                                 ", ".join([*self.daemons, *self.sc.lan.peers]))
            for ns in self.model.ns.values():
                if ns.kind in (NodeKind.LAN_PEER, NodeKind.ROUTER) and ns.id != via:
                    ns.routes.append(Route(dst, "eth0", via=gw))

    # --- names (spec §2.5) ----------------------------------------------------------------
    def name_views(self) -> None:
        """Who can resolve which name, per container, and Docker's resolver wiring."""
        tables = {key: self.network_names(net) for key, net in self.model.networks.items()
                  if self.is_user_defined(net)}
        for name, meta in self.model.container_meta.items():
            view = self.view_of(name, meta, tables)
            view.resolv_conf = dns.resolv_conf(view)
            self.model.names[name] = view
        lan = self.sc.lan.dns
        self.model.lan_dns = {dns.canonical(k): [v] for k, v in lan.records.items()} \
            if lan.enabled else None

    @staticmethod
    def is_user_defined(net: DockerNetwork) -> bool:
        return not (net.driver == "bridge" and net.name in ("bridge", "docker_gwbridge"))

    def network_names(self, net: DockerNetwork) -> dict[str, list[IPv4Address]]:
        """Name, aliases, short ID, hostname and name.network of every endpoint of a network."""
        table: dict[str, list[IPv4Address]] = {}
        for cname, addr in net.endpoints.items():
            spec = self.sc.containers[cname]
            meta = self.model.container_meta[cname]
            names = [cname, meta["short_id"], f"{cname}.{net.name}"]
            if spec.hostname:
                names.append(spec.hostname)
            if spec.networks and spec.networks.get(net.name):
                names += spec.networks[net.name].aliases
            for n in names:
                table.setdefault(dns.canonical(n), []).append(addr.ip)
        return table

    def view_of(self, name: str, meta: dict, tables: dict) -> dns.NameView:
        if meta["mode"] == "container":
            target = self.model.names.get(meta["joins"]) or self.view_of(
                meta["joins"], self.model.container_meta[meta["joins"]], tables)
            return dns.NameView(name, target.embedded, target.nameserver, dict(target.hosts),
                                dict(target.names), target.forwards,
                                resolver_port=target.resolver_port)
        mine = [key for key in tables if name in self.model.networks[key].endpoints]
        view = dns.NameView(name, bool(mine), dns.EMBEDDED if mine else self.lan_gateway)
        for key in mine:
            for n, ips in tables[key].items():
                view.names.setdefault(n, list(ips))
        view.forwards = any(not self.model.networks[k].internal for k in mine)
        for link in self.sc.containers[name].links:  # spec §1.8
            target, _, alias = link.partition(":")
            ep = self.model.endpoints[target]
            shared = [k for k in mine if target in self.model.networks[k].endpoints]
            if shared:  # user network: a container-scoped alias in the embedded DNS
                ip = self.model.networks[shared[0]].endpoints[target].ip
                view.names[dns.canonical(alias or target)] = [ip]
            elif ep.primary is not None:  # default bridge: /etc/hosts
                for n in {alias or target, target, self.model.container_meta[target]["short_id"]}:
                    view.hosts[dns.canonical(n)] = [ep.primary]
        if mine:
            self.wire_resolver(name, view)
        return view

    def wire_resolver(self, name: str, view: dns.NameView) -> None:
        """Docker's NAT in the container's own namespace: 127.0.0.11:53 -> the resolver's port
        (docker-observed §3 user-defined bridge; libnetwork resolver_unix.go)."""
        port = dns.resolver_port(self.sc.name, name)
        view.resolver_port = port
        ns = self.model.ns[self.model.endpoints[name].ns]
        here = Is(IPv4Network("127.0.0.11/32"))
        # UDP only: netsim's resolver does not serve TCP (Docker's does)
        ns.rules.append("nat", "OUTPUT", Rule(Match(daddr=here), Jump("DOCKER_OUTPUT"),
                                              "spec §2.5 embedded DNS"))
        ns.rules.append("nat", "POSTROUTING", Rule(Match(daddr=here), Jump("DOCKER_POSTROUTING"),
                                                   "spec §2.5 embedded DNS"))
        ns.rules.append("nat", "DOCKER_OUTPUT", Rule(
            Match(daddr=here, proto="udp", dport=53), Dnat(dns.EMBEDDED, port),
            "spec §2.5 127.0.0.11:53 -> the resolver"))
        ns.rules.append("nat", "DOCKER_POSTROUTING", Rule(
            Match(saddr=here, proto="udp", sport=port), Snat(dns.EMBEDDED, 53),
            "spec §2.5 answers appear to come from :53"))
        ns.listeners.append(Listener(dns.EMBEDDED, port, "udp", "dns", None,
                                     f"Docker's embedded DNS for {name}"))

    def macvlan_addresses_free_on_lan(self) -> None:
        """Docker's IPAM does not know the LAN: an address it hands out may already be taken."""
        for d in self.daemons.values():
            for st in d.nets.values():
                if st.net.driver != "macvlan":
                    continue
                for name, addr in st.net.endpoints.items():
                    owner = self.used_lan.get(addr.ip)
                    if owner and owner != name:
                        raise self.error(("containers", name), f"Docker gives {name} {addr.ip} "
                                         f"on {st.net.name}, but {owner} already uses it on the "
                                         "LAN: Docker's IPAM does not know the LAN",
                                         "reserve it with aux_addresses, or narrow ip_range")

    def endpoint_address(self, name: str) -> IPv4Address:
        return self.model.endpoints[name].addresses.get("lan") or self.model.endpoints[name].primary

    def listen(self, ns: Netns, ports: tuple[PortProto, ...] | list[PortProto], origin: str,
               ip: IPv4Address = ANY) -> None:
        have = {(x.ip, x.port, x.proto) for x in ns.listeners}
        for p in ports:
            if (ip, p.port, p.proto) not in have:
                have.add((ip, p.port, p.proto))
                ns.listeners.append(Listener(ip, p.port, p.proto, "echo", None, origin))

    def endpoint(self, name: str, kind: NodeKind, ns: str, addresses: dict) -> Endpoint:
        primary = next(iter(addresses.values()), None)
        ep = Endpoint(name, kind, ns, dict(addresses), primary)
        self.model.endpoints[name] = ep
        return ep

    # --- Docker hosts -------------------------------------------------------------------
    def host(self, i: int, name: str, spec: Host) -> None:
        path = ("hosts", name)
        addr = spec.address or self.sc.lan.subnet.network_address + 10 + i
        ns = self.add_ns(name, NodeKind.HOST, name, host=name, forwarding=spec.ip_forward,
                         bridge_nf=True)
        self.lan_port(name, spec.interface, addr, (*path, "address"), mtu=spec.mtu,
                      hairpin=spec.hairpin)
        ns.routes.append(Route(IPv4Network("0.0.0.0/0"), spec.interface, via=self.lan_gateway))
        self.listen(ns, spec.listen, f"{name}'s own service")
        # Docker avoids pools that overlap the host's on-link routes (spec §2.1, P15)
        subnets = SubnetAllocator(LOCAL_POOLS, [self.sc.lan.subnet], self.profile.pool_exhausted)
        d = Daemon(name, name, spec, addr, subnets)
        self.daemons[name] = d
        self.endpoint(name, NodeKind.HOST, name, {"lan": addr})
        bridge.daemon_start(self, d)
        icc = {bridge.ICC: "false"} if not spec.icc else {}
        self.local_network(d, "bridge", Network(options={**icc}), ("hosts", name), default=True)

    def local_network(self, d: Daemon, name: str, spec: Network, path: tuple,
                      default: bool = False, driver: str = "bridge") -> NetState:
        """`docker network create` for a local-scope driver on one daemon."""
        try:
            subnet = d.subnets.claim(spec.subnet) if spec.subnet else d.subnets.allocate()
        except IpamError as e:
            raise self.error((*path, "subnet") if spec.subnet else path,
                             f"Error response from daemon: {e}") from None
        pool, gateway = self.address_pool(subnet, spec, path)
        options = {bridge.NAME: "docker0", "com.docker.network.bridge.default_bridge": "true",
                   bridge.ICC: "true", bridge.MASQ: "true", bridge.HOST_BINDING: "0.0.0.0",
                   bridge.MTU: "1500"} if default else {}
        options.update(spec.options)
        net = DockerNetwork(
            name=name, driver=driver, scope="local", id=self.digest("network", d.name, name),
            subnet=subnet, gateway=gateway, gateway_in_config=spec.gateway is not None,
            ip_range=spec.ip_range, internal=spec.internal, options=options, host=d.name,
            device=None)
        st = NetState(net, pool, path, user_subnet=spec.subnet is not None)
        d.nets[name] = st
        self.model.networks[f"{d.name}/{name}"] = net
        node = f"net:{d.name}/{name}"
        self.model.graph.add_node(node, kind=NodeKind.NETWORK, obj=net)
        DRIVERS[driver].create(self, d, st, spec)
        if net.device and f"{d.ns}/{net.device}" in self.model.graph:
            self.model.graph.add_edge(node, f"{d.ns}/{net.device}", kind=EdgeKind.ATTACH)
        return st

    def address_pool(self, subnet: IPv4Network, spec: Network,
                     path: tuple) -> tuple[AddressPool, IPv4Address | None]:
        """Gateway first, then aux addresses (spec §2.4; P19: ip_range without gateway)."""
        if spec.ip_range and not (spec.ip_range.subnet_of(subnet)):
            raise self.error((*path, "ip_range"), f"Error response from daemon: invalid pool "
                             f"request: ip-range {spec.ip_range} is not inside subnet {subnet}")
        pool = AddressPool(subnet, spec.ip_range)
        try:
            gateway = pool.take(spec.gateway) if spec.gateway else pool.next()
        except IpamError:
            raise self.error((*path, "gateway"), f"Error response from daemon: invalid gateway "
                             f"{spec.gateway}: not in subnet {subnet}") from None
        for key, aux in spec.aux_addresses.items():
            if aux not in subnet:
                raise self.error((*path, "aux_addresses", key), f"Error response from daemon: "
                                 f"auxiliary address: ({key}:{aux}) must belong to the master "
                                 f"pool: {subnet}")
            pool.reserve(aux)
        return pool, gateway

    def network(self, name: str, spec: Network, path: tuple) -> None:
        if name in ("bridge", "host", "none"):
            raise self.error(path, f"Error response from daemon: network with name {name} "
                             "already exists", "another name; bridge, host and none are built in",
                             at_key=True)
        driver = DRIVERS.get(spec.driver)
        if driver is None or not driver.user_creatable:
            valid = ", ".join(n for n, dv in DRIVERS.items() if dv.user_creatable)
            raise self.error((*path, "driver"), f"plugin \"{spec.driver}\" not found", valid)
        driver.validate(self, name, spec, path)
        if driver.scope == "swarm":
            driver.create_swarm(self, name, spec, path)
            return
        d = self.daemon_for(spec.host, path, f"network {name}")
        if name in d.nets:
            raise self.error(path, f"network with name {name} already exists", at_key=True)
        self.local_network(d, name, spec, path, driver=spec.driver)

    def daemon_for(self, host: str | None, path: tuple, what: str) -> Daemon:
        if host is None:
            if len(self.daemons) == 1:
                return next(iter(self.daemons.values()))
            raise self.error(path, f"{what}: say which host (several Docker hosts)",
                             ", ".join(self.daemons))
        if host not in self.daemons:
            raise self.error((*path, "host"), f"no Docker host named '{host}'",
                             ", ".join(self.daemons))
        return self.daemons[host]

    # --- containers (docker run) --------------------------------------------------------
    def container(self, name: str, spec: Container, path: tuple) -> None:
        d = self.container_daemon(spec, path)
        mode, target, nets = self.network_mode(name, spec, path, d)
        meta = {"id": self.digest("container", name), "host": d.name, "mode": mode,
                "hostname": spec.hostname, "ports": [], "networks": [n for n, _, _ in nets]}
        meta["short_id"] = meta["id"][:12]
        self.model.container_meta[name] = meta
        MODES[mode].run(self, d, name, spec, path, target, nets)

    def container_daemon(self, spec: Container, path: tuple) -> Daemon:
        if spec.host is not None:
            return self.daemon_for(spec.host, path, "")
        if len(self.daemons) == 1:
            return next(iter(self.daemons.values()))
        # a local network pins the host; otherwise the user must say
        names = [spec.network] if spec.network else list(spec.networks or {})
        for d in self.daemons.values():
            if any(n in d.nets and n != "bridge" for n in names if n):
                return d
        raise self.error(path, "say which host runs this container (several Docker hosts)",
                         ", ".join(self.daemons))

    def network_mode(self, name: str, spec: Container, path: tuple,
                     d: Daemon) -> tuple[str, str | None, list]:
        """-> (mode, container: target, [(network, attach spec, path)]) (spec §5)."""
        if spec.networks is not None:
            nets = [(n, a, (*path, "networks", n)) for n, a in spec.networks.items()]
            if not nets:
                raise self.error((*path, "networks"), "give at least one network")
        else:
            net = spec.network or "bridge"
            nets = [(net, None, (*path, "network"))]
        names = [n for n, _, _ in nets]
        special = [n for n in names if n in ("host", "none", "bridge") or n.startswith("container:")]
        if special and len(names) > 1:
            if "none" in special:
                raise self.error(nets[1][2], "container cannot be connected to multiple networks "
                                 "with one of the networks in private (none) mode")
            raise self.error(nets[1][2], "conflicting options: cannot attach both user-defined "
                             "and non-user-defined network-modes")
        first = names[0]
        if first.startswith("container:"):
            return "container", first.split(":", 1)[1], nets
        if first in ("host", "none"):
            return first, None, nets
        return "networks", None, nets

    def lookup_net(self, d: Daemon, net: str, path: tuple) -> NetState:
        if net in d.nets:
            return d.nets[net]
        if net in self.swarm:
            return self.swarm[net]
        valid = ["bridge", "host", "none", "container:<name>",
                 *[n for n in d.nets if n not in ("bridge", "docker_gwbridge")], *self.swarm]
        raise self.error(path, f"network {net} not found", ", ".join(valid))

    def take_ip(self, st: NetState, ip: IPv4Address | None, path: tuple, is_default: bool,
                name: str) -> IPv4Address:
        """Static `--ip` or the lowest free address (spec §2.4)."""
        if ip is None:
            try:
                return st.pool.next()
            except IpamError as e:
                raise self.error(path, f"{self.profile.wrap_prefix}{e}") from None
        ip_path = (*path, "ip")
        if is_default:
            raise self.error(ip_path, self.profile.static_ip_default_bridge)
        if not st.user_subnet:
            raise self.error(ip_path, self.profile.static_ip_auto_subnet,
                             "set subnet: on the network to use a static ip")
        if ip not in st.net.subnet:
            raise self.error(ip_path, self.profile.ip_outside_subnet.format(
                ip=ip, network=st.net.name), f"an address in {st.net.subnet}")
        try:
            return st.pool.take(ip)
        except IpamError as e:
            raise self.error(ip_path, f"{e} ({ip} on {st.net.name})") from None


def build(loaded: Loaded) -> Model:
    return Builder(loaded).build()
