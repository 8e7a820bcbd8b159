"""The scenario applied to real engines through the Docker Engine API, in the order the
model's dockerd follows (runtime/docker/daemon.py): networks in file order, then each
`docker run` in file order with the `network connect` / `disconnect` / `rm` events at their
place. Every object carries the label netsim.lab=<lab>.

What the CLI would send is sent: `-p` as PortBindings (a host range as "8000-8010"), `--ip`,
`--network-alias` and `--link` in the endpoint of the network they name (and `--link` in
HostConfig too), the networks after the first connected before the container starts (the
20.10 API takes one network at create). A start the engine refuses is kept with the
engine's own words, as `docker run` prints them, and the lab goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netsim.model.graph import Model
from netsim.scenario import events, images
from netsim.scenario.events import Event
from netsim.scenario.portspec import PortProto
from netsim.scenario.schema import Container, Network, Scenario

LABEL = "netsim.lab"
ECHO = "/usr/bin/netsim-echo"


@dataclass
class Applied:
    containers: dict[str, str] = field(default_factory=dict)  # scenario name -> engine id
    failed: dict[str, str] = field(default_factory=dict)  # scenario name -> the engine's error
    networks: dict[str, str] = field(default_factory=dict)  # scenario name -> engine id


@dataclass
class Target:
    """Where and how the scenario lands: a client per Docker host, the image, names."""

    clients: dict  # host -> docker.DockerClient
    image: str
    lab: str
    prefix: str = ""  # existing engines: every name netsim makes starts with it
    manager: str | None = None  # the swarm's first node, where overlays are created

    def name(self, n: str) -> str:
        return f"{self.prefix}{n}"


def echo_args(listens: list[PortProto]) -> list[str]:
    return [ECHO, *(f"{p.proto}:{p.port}" + (f":{p.ip}" if p.ip else "") for p in listens)]


def listens(spec: Container, sc: Scenario) -> list[PortProto]:
    """What the app listens on, as the model reads it (`listen:`, else the image's ports)."""
    if spec.listen is not None:
        return list(spec.listen)
    return images.ports_of(spec.image, sc.images) or []


def apply(t: Target, sc: Scenario, model: Model) -> Applied:
    import docker.errors

    out = Applied()
    for name, spec in sc.networks.items():
        host = t.manager if spec.driver == "overlay" else (spec.host or next(iter(t.clients)))
        out.networks[name] = create_network(t.clients[host], t, name, spec).id
    schedule = _events(t, sc, model, out)
    for name, spec in sc.containers.items():
        for happen in schedule.get(name, ()):
            happen()
        try:
            out.containers[name] = run(_client(t, model, sc, name).api, t, name, spec, sc)
        except docker.errors.APIError as e:
            out.failed[name] = words(e)
    for happen in schedule.get(True, ()):
        happen()
    return out


def _client(t: Target, model: Model, sc: Scenario, name: str):
    """The engine of the host the model placed the container on (a run the model refused
    has no placement: its `host:`, or the only host)."""
    info = model.containers.get(name)
    return t.clients[info.host if info else sc.containers[name].host or next(iter(t.clients))]


def words(e) -> str:
    """The error as `docker run` prints it."""
    return f"Error response from daemon: {e.explanation or e}"


def create_network(client, t: Target, name: str, spec: Network):
    from docker.types import IPAMConfig, IPAMPool

    ipam = None
    if spec.subnet or spec.gateway or spec.ip_range or spec.aux_addresses or spec.subnet6:
        pools = [IPAMPool(
            subnet=str(spec.subnet) if spec.subnet else None,
            iprange=str(spec.ip_range) if spec.ip_range else None,
            gateway=str(spec.gateway) if spec.gateway else None,
            aux_addresses={k: str(v) for k, v in spec.aux_addresses.items()} or None)]
        if spec.subnet6:  # `--subnet v4 --subnet v6`: a pool per family
            pools.append(IPAMPool(subnet=str(spec.subnet6)))
        ipam = IPAMConfig(pool_configs=pools)
    options = dict(spec.options)
    if spec.parent:
        options["parent"] = spec.parent
    if spec.mode:
        options[f"{spec.driver}_mode"] = spec.mode
    return client.networks.create(
        t.name(name), driver=spec.driver, options=options or None, ipam=ipam,
        internal=spec.internal, attachable=spec.attachable if spec.driver == "overlay" else None,
        enable_ipv6=spec.ipv6 or None, labels={LABEL: t.lab})


def _aliases(t: Target, container: str, attach) -> list[str] | None:
    """--network-alias; a prefixed container (existing engines) also answers to its scenario
    name, so names resolve as the scenario says."""
    return [*(attach.aliases if attach else []), *([container] if t.prefix else [])] or None


def _networks(spec: Container) -> list[tuple[str, object]]:
    if spec.networks is not None:
        return list(spec.networks.items())
    return [(spec.network or "bridge", None)]


BUILT_IN_MODES = ("bridge", "host", "none")


def _engine_net(t: Target, net: str) -> str:
    """A scenario network or mode as the engine names it (prefixed on existing engines)."""
    if net in BUILT_IN_MODES:
        return net
    if net.startswith("container:"):
        return f"container:{t.name(net.split(':', 1)[1])}"
    return t.name(net)


def _links(t: Target, spec: Container) -> dict[str, str]:
    """--link TARGET[:ALIAS] as the SDK takes it: engine name -> alias."""
    out = {}
    for link in spec.links:
        target, _, alias = link.partition(":")
        out[t.name(target)] = alias or target
    return out


def _host_port(req) -> str:
    """HostPort as the CLI sends it: "" (any), "8080", or a range "8000-8010"."""
    if not req.host_ports:
        return ""
    lo, hi = req.host_ports[0], req.host_ports[-1]
    return str(lo) if lo == hi else f"{lo}-{hi}"


def run(api, t: Target, name: str, spec: Container, sc: Scenario) -> str:
    """`docker run -d`: create on the first network, connect the others, start."""
    nets = [(n, a) for n, a in _networks(spec) if not (a and a.connect)]
    first, attach = nets[0]
    mode = _engine_net(t, first)
    links = _links(t, spec)
    bindings: dict[str, list] = {}
    for flag in spec.ports:
        for req in flag:
            bindings.setdefault(f"{req.container_port}/{req.proto}", []).append(
                (req.host_ip or "", _host_port(req)))
    exposed = [(int(k.split("/")[0]), k.split("/")[1]) for k in bindings]  # the SDK's form
    exposed += [(p.port, p.proto) for p in
                [*spec.expose, *(images.ports_of(spec.image, sc.images) or [])]]
    host_config = api.create_host_config(
        network_mode=mode, port_bindings=bindings or None, publish_all_ports=spec.publish_all,
        links=links or None, dns=[str(a) for a in spec.dns] or None,
        extra_hosts={k: str(v) for k, v in spec.add_hosts.items()} or None)
    user_net = first not in BUILT_IN_MODES and not first.startswith("container:")
    networking = api.create_networking_config({mode: api.create_endpoint_config(
        ipv4_address=str(attach.ip) if attach and attach.ip else None,
        ipv6_address=str(attach.ip6) if attach and attach.ip6 else None,
        aliases=_aliases(t, name, attach), links=links or None)}) if user_net else None
    cid = api.create_container(
        t.image, command=echo_args(listens(spec, sc)), name=t.name(name),
        hostname=spec.hostname, ports=list(dict.fromkeys(exposed)) or None,
        host_config=host_config, networking_config=networking, labels={LABEL: t.lab})["Id"]
    for net, a in nets[1:]:
        connect(api, t, cid, name, net, a, links)
    api.start(cid)
    return cid


def connect(api, t: Target, cid: str, name: str, net: str, attach,
            links: dict[str, str] | None = None) -> None:
    api.connect_container_to_network(
        cid, _engine_net(t, net), ipv4_address=str(attach.ip) if attach and attach.ip else None,
        ipv6_address=str(attach.ip6) if attach and attach.ip6 else None,
        aliases=_aliases(t, name, attach), links=links or None)


def _events(t: Target, sc: Scenario, model: Model,
            out: Applied) -> dict[str | bool, list[Callable[[], None]]]:
    """The scenario's schedule of connect, disconnect and rm (scenario/events.py), the one
    the model's dockerd follows, as Engine API calls."""
    def act(e: Event) -> Callable[[], None]:
        def happen() -> None:
            cid = out.containers.get(e.container)
            if cid is None:  # a failed run has nothing to connect or remove
                return
            api = _client(t, model, sc, e.container).api
            if e.kind == "connect":
                connect(api, t, cid, e.container, e.network, e.attach,
                        _links(t, sc.containers[e.container]))
            elif e.kind == "disconnect":
                api.disconnect_container_from_network(cid, _engine_net(t, e.network))
            else:
                api.remove_container(cid, force=True)
                del out.containers[e.container]
        return happen

    return {when: [act(e) for e in evs] for when, evs in events.schedule(sc.containers).items()}
