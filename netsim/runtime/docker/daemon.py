"""The Docker runtime: a simulated dockerd per host, in Docker's order of operations (spec
§2.1: order decides addresses). dockerd starts (docker0, base rules), then `docker network
create` in file order, then `docker run` in file order; names, overlay peers and lint last.

Driver-specific work lives in drivers/ (one module per driver or mode); this module only
sequences it. `build(asm, hosts)` is what netsim.runtime calls for the hosts it runs on.
"""

from __future__ import annotations

from functools import partial

from netsim.model.assembly import Assembly
from netsim.model.graph import ContainerInfo
from netsim.runtime.docker import lint, names, removal
from netsim.runtime.docker.context import Daemon, Docker, NetRequest, Run, RunFailed
from netsim.runtime.docker.drivers import bridge, networks, overlay
from netsim.runtime.docker.portalloc import PortAllocator
from netsim.runtime.docker.profiles import ALIASES, DEFAULT, PROFILES, Profile
from netsim.runtime.docker.registry import DRIVERS, MODES
from netsim.scenario import events
from netsim.scenario.events import Event
from netsim.scenario.schema import Container, Host, Network

NAME = "docker"
DEFAULT_BRIDGE = {bridge.NAME: "docker0", "com.docker.network.bridge.default_bridge": "true",
                  bridge.ICC: "true", bridge.MASQ: "true", bridge.HOST_BINDING: "0.0.0.0",
                  bridge.MTU: "1500"}


def profile_of(asm: Assembly) -> Profile:
    """The scenario's `docker:` version, or the newest."""
    wanted = asm.sc.docker or DEFAULT
    name = ALIASES.get(wanted, wanted)
    if name not in PROFILES:
        raise asm.error(("docker",), f'"{wanted}" is not a Docker version netsim reproduces',
                        ", ".join(PROFILES))
    return PROFILES[name]


def build(asm: Assembly, hosts: dict[str, Host], containers: dict[str, Container]) -> None:
    dk = Docker(asm, profile_of(asm), DRIVERS)
    asm.model.profile = dk.profile.name
    asm.model.behaviours.append(f"docker {dk.profile.name}")
    for name, spec in hosts.items():
        start(dk, name, spec)
    for name, spec in asm.sc.networks.items():
        network_create(dk, name, spec, ("networks", name))
    events = _events(dk, containers)
    for name, spec in containers.items():
        for happen in events.get(name, ()):
            happen()
        run(dk, name, spec, ("containers", name))
    for happen in events.get(True, ()):
        happen()
    names.build(dk)
    macvlan_addresses_free_on_lan(dk)
    overlay.program_peers(dk)
    lint.run(dk)


def start(dk: Docker, name: str, spec: Host) -> None:
    """dockerd starts on a host: base chains, then the default bridge."""
    d = Daemon(name, name, spec, dk.asm.endpoint_address(name), dk.new_subnets(),
               ports=PortAllocator(overlap=dk.profile.port_overlap))
    dk.daemons[name] = d
    _ipv6_config(dk, d, ("hosts", name, "daemon"))
    bridge.daemon_start(dk, d)
    icc = {bridge.ICC: "false"} if not spec.icc else {}
    v6 = {"ipv6": True, "subnet6": d.fixed_cidr_v6} if d.ipv6 else {}
    dk.local_network(d, "bridge", Network(options=icc, **v6), ("hosts", name),
                     options=DEFAULT_BRIDGE)


def _ipv6_config(dk: Docker, d: Daemon, path: tuple) -> None:
    """daemon.json's ipv6 / fixed-cidr-v6 / ip6tables, as this version takes them (ipv6.md
    §1)."""
    conf, profile = d.spec.daemon, dk.profile
    d.ip6tables = profile.ip6tables_default
    if conf is None:
        return
    if (conf.ipv6 or conf.ip6tables) and not profile.ipv6_observed:
        raise dk.error((*path, "ipv6" if conf.ipv6 else "ip6tables"), f"netsim reproduces "
                       f"IPv6 as Docker 20.10 and 28 do; Docker {profile.name}'s was not "
                       "observed", 'docker: "28" or docker: "20.10"')
    if conf.ip6tables and profile.ip6tables_needs_experimental and not conf.experimental:
        raise dk.error((*path, "ip6tables"), "failed to start daemon: ip6tables rules are only "
                       "available if experimental features are enabled",
                       "experimental: true with ip6tables: true")
    if conf.ip6tables is not None:
        d.ip6tables = conf.ip6tables
    if conf.ipv6 and conf.fixed_cidr_v6 is None:
        raise dk.error((*path, "ipv6"), "give fixed-cidr-v6 with ipv6: true: netsim does not "
                       "model Docker's automatic IPv6 pool for docker0",
                       'fixed-cidr-v6: "fd00:d0c::/64"')
    d.ipv6, d.fixed_cidr_v6 = conf.ipv6, conf.fixed_cidr_v6 if conf.ipv6 else None


def network_create(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    if name in ("bridge", "host", "none"):
        raise dk.error(path, f"Error response from daemon: network with name {name} "
                       "already exists", "another name; bridge, host and none are built in",
                       at_key=True)
    driver = DRIVERS.get(spec.driver)
    if driver is None or not driver.user_creatable:
        valid = ", ".join(n for n, dv in DRIVERS.items() if dv.user_creatable)
        raise dk.error((*path, "driver"), f"plugin \"{spec.driver}\" not found", valid)
    driver.validate(dk, name, spec, path)
    if driver.scope == "swarm":
        driver.create_swarm(dk, name, spec, path)
        return
    d = dk.daemon_for(spec.host, path, f"network {name}")
    if name in d.nets:
        raise dk.error(path, f"network with name {name} already exists", at_key=True)
    dk.local_network(d, name, spec, path, driver=spec.driver)


def run(dk: Docker, name: str, spec: Container, path: tuple) -> None:
    """`docker run`: the mode decides the namespace, the drivers the endpoints. A start that
    Docker refuses is bad input, unless an expectation says it fails: then, as in Docker, the
    container is left Created, holds no address or port, and the lab goes on."""
    d = _daemon_of(dk, spec, path)
    mode, target, nets = _network_mode(dk, spec, path)
    dk.model.containers[name] = ContainerInfo(
        name, dk.digest("container", name), d.name, NAME, mode, spec.hostname,
        [n.name for n in nets], swappable=True)
    try:
        MODES[mode](Run(dk, d, name, spec, path, nets, target))
    except RunFailed as e:
        if not any(x.run == name for x in dk.sc.expect):
            raise
        del dk.model.containers[name]
        dk.model.failed_runs[name] = e.message
        return
    if not d.spec.ip_forward and dk.profile.forwarding_warning:
        dk.model.warnings.append(("P04", f"containers.{name}: docker run prints "
                                  f"\"{dk.profile.forwarding_warning}\""))


def _daemon_of(dk: Docker, spec: Container, path: tuple) -> Daemon:
    if spec.host is not None:
        return dk.daemon_for(spec.host, path, "")
    if len(dk.daemons) == 1:
        return next(iter(dk.daemons.values()))
    # a local network pins the host; otherwise the user must say
    wanted = [spec.network] if spec.network else list(spec.networks or {})
    for d in dk.daemons.values():
        if any(n in d.nets and n != "bridge" for n in wanted if n):
            return d
    raise dk.error(path, "say which host runs this container (several Docker hosts)",
                   ", ".join(dk.daemons))


def _network_mode(dk: Docker, spec: Container,
                  path: tuple) -> tuple[str, str | None, list[NetRequest]]:
    """-> (mode, container: target, the networks asked for) (spec §5)."""
    if spec.networks is not None:
        nets = [NetRequest(n, a, (*path, "networks", n)) for n, a in spec.networks.items()]
        if not nets:
            raise dk.error((*path, "networks"), "give at least one network")
    else:
        nets = [NetRequest(spec.network or "bridge", None, (*path, "network"))]
    at_run = [n for n in nets if not (n.attach and n.attach.connect)]
    if not at_run:
        raise dk.error(nets[0].path, "give the network the container starts on (without "
                       "connect: true)")
    names_ = [n.name for n in at_run]
    special = [n for n in names_ if n in ("host", "none", "bridge") or n.startswith("container:")]
    if special and len(names_) > 1:
        if "none" in special:
            raise dk.error(at_run[1].path, "container cannot be connected to multiple networks "
                           "with one of the networks in private (none) mode")
        raise dk.error(at_run[1].path, "conflicting options: cannot attach both user-defined "
                       "and non-user-defined network-modes")
    first = names_[0]
    later = [n for n in nets if n not in at_run]  # `docker network connect`: bridge is fine
    nets = at_run
    shared = first in ("host", "none") or first.startswith("container:")
    for n in later:
        if shared or n.name in ("host", "none") or n.name.startswith("container:"):
            raise dk.error(n.path, "Error response from daemon: container sharing network "
                           "namespace with another container or host cannot be connected to "
                           "any other network" if shared else "Error response from daemon: "
                           "container cannot be disconnected from host network or connected "
                           "to host network")
    if first.startswith("container:"):
        return "container", first.split(":", 1)[1], nets
    if first in ("host", "none"):
        return first, None, nets
    return "networks", None, nets


def _events(dk: Docker, containers: dict[str, Container]) -> dict[str | bool, list]:
    """The scenario's schedule of connect, disconnect and rm (scenario/events.py), each a
    callable, so the sequence costs one pass over the containers."""
    def act(e: Event):
        if e.kind == "connect":
            return partial(_if_running, dk, e.container, networks.connect, NetRequest(
                e.network, e.attach, ("containers", e.container, "networks", e.network)))
        if e.kind == "disconnect":
            return partial(_if_running, dk, e.container, removal.disconnect, e.network)
        return partial(_if_running, dk, e.container, removal.rm)

    return {when: [act(e) for e in evs] for when, evs in events.schedule(containers).items()}


def _if_running(dk: Docker, name: str, fn, *args) -> None:
    if name in dk.model.containers:  # a failed run has nothing to connect or remove
        fn(dk, name, *args)


def macvlan_addresses_free_on_lan(dk: Docker) -> None:
    """Docker's IPAM does not know the LAN: an address it hands out may already be taken."""
    for d in dk.daemons.values():
        for st in d.nets.values():
            if st.net.driver not in ("macvlan", "ipvlan"):
                continue
            parent = dk.model.ns[d.ns].ifaces.get(st.extra.get("parent", ""))
            vid = parent.vlan_id if parent is not None else None
            used = dk.asm.used_vlan.get(vid, {}) if vid else dk.asm.used_lan
            where = f"VLAN {vid}" if vid else "the LAN"
            for name, addr in st.net.endpoints.items():
                owner = used.get(addr.ip)
                if owner and owner != name:
                    raise dk.error(("containers", name), f"Docker gives {name} {addr.ip} "
                                   f"on {st.net.name}, but {owner} already uses it on "
                                   f"{where}: Docker's IPAM does not know the LAN",
                                   "reserve it with aux_addresses, or narrow ip_range")
