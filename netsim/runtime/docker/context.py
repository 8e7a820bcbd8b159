"""The simulated dockerd's state while it builds, and the typed requests its drivers receive.

`Docker` is the one context every driver and mode function takes: the shared Assembly, the
profile, the daemons (one per host), the swarm's networks, and the driver table itself (handed
in by the runtime, so drivers never import their own registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.model.graph import IPAddress, Model, NetRecord
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
    pool6: AddressPool | None = None  # --ipv6: the IPv6 subnet's addresses


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
    ipv6: bool = False  # daemon.json ipv6: docker0 gets fixed-cidr-v6
    fixed_cidr_v6: IPv6Network | None = None
    ip6tables: bool = False  # daemon.json ip6tables (the version's default when not given)
    subnets6: list[IPv6Network] = field(default_factory=list)  # IPv6 subnets in use

    def addresses(self, model: Model) -> set[IPAddress]:
        """Every address the host holds now (LAN, extra ones, bridge gateways, loopback;
        ::1 where IPv6 is on: the kernel gives lo that one itself)."""
        held = model.local_addresses(self.ns)
        return held | {IPv6Address("::1")} if model.ipv6_on(self.ns) else held

    def families(self) -> tuple[int, ...]:
        """The address families dockerd programs: IPv6 too with ip6tables (ipv6.md §1)."""
        return (4, 6) if self.ip6tables else (4,)

    def ipv6_used(self, model: Model) -> None:
        """A network with IPv6: dockerd turns IPv6 forwarding on (also without ip6tables)."""
        model.ns[self.ns].forwarding6 = True


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
    ip6: dict[str, IPv6Address] = field(default_factory=dict)  # network -> its IPv6 address


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
    ip6: IPv6Address | None = None  # on a network with IPv6


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
        subnet6 = self.subnet6(d, spec, path, driver)
        pool6 = AddressPool(subnet6) if subnet6 is not None else None
        net = NetRecord(
            name=name, driver=driver, scope="local", id=self.digest("network", d.name, name),
            subnet=subnet, gateway=gateway, gateway_in_config=spec.gateway is not None,
            ip_range=spec.ip_range, internal=spec.internal,
            options={**(options or {}), **spec.options}, host=d.name, device=None,
            subnet6=subnet6, gateway6=pool6.next() if pool6 else None)
        st = NetState(net, pool, path, user_subnet=spec.subnet is not None, pool6=pool6)
        d.nets[name] = st
        self.model.add_network(f"{d.name}/{name}", net)
        self.drivers[driver].create(self, d, st, spec)
        if net.device and self.model.has_iface(f"{d.ns}/{net.device}"):
            self.model.attach(f"{d.name}/{name}", f"{d.ns}/{net.device}")
        return st

    def subnet6(self, d: Daemon, spec: Network, path: tuple,
                driver: str) -> IPv6Network | None:
        """`--ipv6 --subnet <v6>` (ipv6.md §1): the IPv6 subnet, checked against the daemon's
        other IPv6 subnets as Docker's IPAM checks it."""
        if not spec.ipv6:
            if spec.subnet6 is not None:
                raise self.error((*path, "subnet"), "an IPv6 subnet needs IPv6 on the network "
                                 "(--ipv6)", "ipv6: true")
            return None
        if not self.profile.ipv6_observed:
            raise self.error((*path, "ipv6"), f"netsim reproduces IPv6 as Docker 20.10 and 28 "
                             f"do; Docker {self.profile.name}'s was not observed",
                             'docker: "28" or docker: "20.10"')
        if driver != "bridge":
            raise self.error((*path, "ipv6"), f"netsim models IPv6 on bridge networks only "
                             f"(not {driver}) so far", "a bridge network")
        if spec.subnet6 is None:
            raise self.error((*path, "ipv6"), "give the IPv6 subnet: netsim does not model "
                             "Docker's automatic IPv6 pools", "subnet: [<IPv4>, fd00:30::/64]")
        if any(spec.subnet6.overlaps(u) for u in d.subnets6):
            raise self.error((*path, "subnet"), f"Error response from daemon: "
                             f"{self.profile.v6_overlaps}")
        d.subnets6.append(spec.subnet6)
        return spec.subnet6

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
        return self._take(st.pool, st.net.subnet, st.user_subnet, st.net.name, ip,
                          path, "ip", is_default)

    def take_ip6(self, st: NetState, ip: IPv6Address | None, path: tuple, is_default: bool,
                 v4: IPv4Address) -> IPv6Address | None:
        """Static `--ip6` or the next address on a network with IPv6 (ipv6.md §2): 20.10 gives
        docker0's containers the address derived from their MAC (02:42 + the IPv4 address)."""
        if st.pool6 is None:
            if ip is not None:
                raise self.error((*path, "ip6"), self.profile.static_ip_default_bridge
                                 if is_default else self.profile.static_ip_auto_subnet)
            return None
        subnet = st.net.subnet6
        if ip is None and is_default and self.profile.mac_derived_v6 and subnet.prefixlen <= 80:
            derived = subnet.network_address + (0x0242 << 32 | int(v4))
            return st.pool6.take(derived)
        return self._take(st.pool6, subnet, True, st.net.name, ip, path, "ip6", is_default)

    def _take(self, pool: AddressPool, subnet, user_subnet: bool, network: str, ip,
              path: tuple, key: str, is_default: bool):
        if ip is None:
            try:
                return pool.next()
            except IpamError as e:
                raise self.error(path, f"{self.profile.wrap_prefix}{e}") from None
        ip_path = (*path, key)
        if is_default:
            raise self.error(ip_path, self.profile.static_ip_default_bridge)
        if not user_subnet:
            raise self.error(ip_path, self.profile.static_ip_auto_subnet,
                             "set subnet: on the network to use a static ip")
        if ip not in subnet:
            raise self.error(ip_path, self.profile.ip_outside_subnet.format(
                ip=ip, network=network), f"an address in {subnet}")
        try:
            return pool.take(ip)
        except IpamError as e:
            raise self.error(ip_path, f"{e} ({ip} on {network})") from None
