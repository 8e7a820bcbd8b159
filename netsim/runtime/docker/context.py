"""The simulated dockerd's state while it builds, and the typed requests its drivers receive.

`Docker` is the one context every driver and mode function takes: the shared Assembly, the
profile, the daemons (one per host), the swarm's networks, and the driver table itself (handed
in by the runtime, so drivers never import their own registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.model.graph import Model, NetRecord
from netsim.runtime.docker.ipam import LOCAL_POOLS, AddressPool, IpamError, SubnetAllocator
from netsim.runtime.docker.portalloc import PortAllocator
from netsim.runtime.docker.profiles import MacScheme, Profile
from netsim.scenario import images
from netsim.scenario.portspec import PortProto
from netsim.scenario.schema import Attach, Container, Host, Network


@dataclass
class NetState:
    """A Docker network during the build: what inspect shows plus its address pool."""

    net: NetRecord
    pool: AddressPool
    path: tuple
    user_subnet: bool
    overlay_ns: dict[str, str] = field(default_factory=dict)  # overlay: host -> namespace id
    extra: dict[str, Any] = field(default_factory=dict)  # driver-private facts (macvlan parent)


@dataclass
class Daemon:
    """One simulated dockerd: its namespace, address space, networks and port allocator."""

    name: str
    ns: str
    spec: Host
    address: IPv4Address
    subnets: SubnetAllocator
    nets: dict[str, NetState] = field(default_factory=dict)
    ports: PortAllocator = field(default_factory=PortAllocator)
    gwbridge: NetState | None = None

    def addresses(self, model: Model) -> set[IPv4Address]:
        """Every address the host holds now (LAN, extra ones, bridge gateways, loopback)."""
        return model.local_addresses(self.ns)


class RunFailed(ScenarioError):
    """`docker run` failed at start: the container is left Created, with no address or port
    (an expectation `{run: NAME, error: ...}` can say so; otherwise it is bad input)."""


@dataclass(frozen=True)
class NetRequest:
    """One `--network NAME` of a `docker run`, with its `--ip` / `--alias`."""

    name: str
    attach: Attach | None
    path: tuple


@dataclass
class Run:
    """One `docker run`: what a network mode receives."""

    dk: Docker
    daemon: Daemon
    name: str
    spec: Container
    path: tuple
    nets: list[NetRequest]
    target: str | None = None  # container:NAME


@dataclass
class Join:
    """One endpoint: what a driver's `attach` receives (a container joining a network)."""

    dk: Docker
    daemon: Daemon
    st: NetState
    container: str
    ip: IPv4Address
    ifname: str
    ns: str  # the container's namespace


class Docker:
    def __init__(self, asm: Assembly, profile: Profile, drivers: dict):
        self.asm = asm
        self.sc = asm.sc
        self.model: Model = asm.model
        self.profile = profile
        self.drivers = drivers
        self.daemons: dict[str, Daemon] = {}
        self.swarm: dict[str, NetState] = {}  # overlay networks
        self.swarm_pool: SubnetAllocator | None = None
        self.next_vni = 4097  # 4096 is the ingress network's (spec §7.2)
        # (container, network) -> what its endpoint installed: (ns, table, chain, rule), and
        # (ns, "", "", (ip, port, proto)) for a docker-proxy listener
        self.owned: dict[tuple[str, str], list[tuple]] = {}

    # --- shared helpers -------------------------------------------------------------------
    def error(self, path: tuple, message: str, valid: str | None = None,
              at_key: bool = False) -> ScenarioError:
        return self.asm.error(path, message, valid, at_key)

    def digest(self, *parts: object) -> str:
        return self.asm.digest(*parts)

    def mac(self, key: tuple, ip: IPv4Address | None = None) -> str:
        """Docker's MAC for an endpoint (spec §1.4): 02:42+IPv4 (<= 27) or random (28+)."""
        from_ip = ip is not None and self.profile.mac is MacScheme.FROM_IP
        return self.asm.mac(key, ip if from_ip else None)

    # --- docker network create ------------------------------------------------------------
    def local_network(self, d: Daemon, name: str, spec: Network, path: tuple,
                      driver: str = "bridge", options: dict | None = None) -> NetState:
        """`docker network create` for a local-scope driver on one daemon."""
        try:
            subnet = d.subnets.claim(spec.subnet) if spec.subnet else d.subnets.allocate()
        except IpamError as e:
            raise self.error((*path, "subnet") if spec.subnet else path,
                             f"Error response from daemon: {e}") from None
        pool, gateway = self.address_pool(subnet, spec, path)
        net = NetRecord(
            name=name, driver=driver, scope="local", id=self.digest("network", d.name, name),
            subnet=subnet, gateway=gateway, gateway_in_config=spec.gateway is not None,
            ip_range=spec.ip_range, internal=spec.internal,
            options={**(options or {}), **spec.options}, host=d.name, device=None)
        st = NetState(net, pool, path, user_subnet=spec.subnet is not None)
        d.nets[name] = st
        self.model.add_network(f"{d.name}/{name}", net)
        self.drivers[driver].create(self, d, st, spec)
        if net.device and f"{d.ns}/{net.device}" in self.model.graph:
            self.model.attach(f"{d.name}/{name}", f"{d.ns}/{net.device}")
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

    def new_subnets(self) -> SubnetAllocator:
        # Docker avoids pools that overlap the host's on-link routes (spec §2.1, P15)
        return SubnetAllocator(LOCAL_POOLS, [self.sc.lan.subnet], self.profile.pool_exhausted)

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

    # --- docker run -----------------------------------------------------------------------
    def listens(self, name: str, spec: Container, warn: bool = True) -> list[PortProto]:
        """What the container's app listens on: `listen:`, else what its image does."""
        if spec.listen is not None:
            return list(spec.listen)
        known = images.ports_of(spec.image, self.sc.images)
        if known is None:
            if warn:
                self.model.warnings.append(("image", f"containers.{name}: netsim does not know what "
                                        f"image {spec.image} listens on: nothing does unless "
                                        "listen: says so (or images: names its ports)"))
            return []
        return known

    def exposed(self, spec: Container) -> list[PortProto]:
        """`--expose` plus the image's EXPOSE: what `-P` publishes."""
        ports = list(spec.expose)
        for p in images.ports_of(spec.image, self.sc.images) or []:
            if p not in ports:
                ports.append(p)
        return ports

    def lookup_net(self, d: Daemon, net: str, path: tuple) -> NetState:
        if net in d.nets:
            return d.nets[net]
        if net in self.swarm:
            return self.swarm[net]
        valid = ["bridge", "host", "none", "container:<name>",
                 *[n for n in d.nets if n not in ("bridge", "docker_gwbridge")], *self.swarm]
        raise self.error(path, f"network {net} not found", ", ".join(valid))

    def take_ip(self, st: NetState, ip: IPv4Address | None, path: tuple,
                is_default: bool) -> IPv4Address:
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
