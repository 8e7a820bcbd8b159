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
from netsim.runtime.docker import images
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
    events = _events(t, sc, model, out)
    for name, spec in sc.containers.items():
        for happen in events.get(name, ()):
            happen()
        client = t.clients[model.containers[name].host if name in model.containers
                           else _host_of(spec, t)]
        try:
            out.containers[name] = run(client, t, name, spec, sc)
        except docker.errors.APIError as e:
            out.failed[name] = words(e)
    for happen in events.get(True, ()):
        happen()
    return out


def _host_of(spec: Container, t: Target) -> str:
    return spec.host or next(iter(t.clients))


def words(e) -> str:
    """The error as `docker run` prints it."""
    return f"Error response from daemon: {e.explanation or e}"


def create_network(client, t: Target, name: str, spec: Network):
    from docker.types import IPAMConfig, IPAMPool

    ipam = None
    if spec.subnet or spec.gateway or spec.ip_range or spec.aux_addresses:
        ipam = IPAMConfig(pool_configs=[IPAMPool(
            subnet=str(spec.subnet) if spec.subnet else None,
            iprange=str(spec.ip_range) if spec.ip_range else None,
            gateway=str(spec.gateway) if spec.gateway else None,
            aux_addresses={k: str(v) for k, v in spec.aux_addresses.items()} or None)])
    options = dict(spec.options)
    if spec.parent:
        options["parent"] = spec.parent
    if spec.mode:
        options[f"{spec.driver}_mode"] = spec.mode
    return client.networks.create(
        t.name(name), driver=spec.driver, options=options or None, ipam=ipam,
        internal=spec.internal, attachable=spec.attachable if spec.driver == "overlay" else None,
        labels={LABEL: t.lab})


def _aliases(t: Target, container: str, attach) -> list[str] | None:
    """--network-alias; a prefixed container (existing engines) also answers to its scenario
    name, so names resolve as the scenario says."""
    return [*(attach.aliases if attach else []), *([container] if t.prefix else [])] or None


def _endpoint(client, t: Target, container: str, attach, links: list[str] | None):
    return client.api.create_endpoint_config(
        ipv4_address=str(attach.ip) if attach and attach.ip else None,
        aliases=_aliases(t, container, attach),
        links=dict(link.split(":", 1) for link in links or []) or None)


def _networks(spec: Container) -> list[tuple[str, object]]:
    if spec.networks is not None:
        return list(spec.networks.items())
    return [(spec.network or "bridge", None)]


def _engine_net(t: Target, net: str) -> str:
    if net in ("bridge", "host", "none") or net.startswith("container:"):
        return net if not net.startswith("container:") else \
            f"container:{t.name(net.split(':', 1)[1])}"
    return t.name(net)


def _links(t: Target, spec: Container) -> list[str]:
    out = []
    for link in spec.links:
        target, _, alias = link.partition(":")
        out.append(f"{t.name(target)}:{alias or target}")
    return out


def run(client, t: Target, name: str, spec: Container, sc: Scenario) -> str:
    """`docker run -d`: create on the first network, connect the others, start."""
    nets = [(n, a) for n, a in _networks(spec) if not (a and a.connect)]
    first, attach = nets[0]
    mode = _engine_net(t, first)
    user_net = mode not in ("bridge", "host", "none") and not mode.startswith("container:")
    links = _links(t, spec)
    bindings: dict[str, list] = {}
    for flag in spec.ports:
        for req in flag:
            host_port = ("" if not req.host_ports else str(req.host_ports[0])
                         if len(req.host_ports) == 1
                         else f"{req.host_ports[0]}-{req.host_ports[-1]}")
            bindings.setdefault(f"{req.container_port}/{req.proto}", []).append(
                (req.host_ip or "", host_port))
    exposed = [tuple(k.split("/")) for k in bindings]  # the SDK's (port, proto) form
    exposed += [(str(p.port), p.proto) for p in
                [*spec.expose, *(images.ports_of(spec.image, sc.images) or [])]]
    host_config = client.api.create_host_config(
        network_mode=mode, port_bindings=bindings or None, publish_all_ports=spec.publish_all,
        links=dict(link.split(":", 1) for link in links) or None,
        dns=[str(a) for a in spec.dns] or None,
        extra_hosts={k: str(v) for k, v in spec.add_hosts.items()} or None)
    networking = client.api.create_networking_config(
        {mode: _endpoint(client, t, name, attach, links)}) if user_net else None
    container = client.api.create_container(
        t.image, command=echo_args(listens(spec, sc)), name=t.name(name),
        hostname=spec.hostname, ports=[(int(p), proto) for p, proto in dict.fromkeys(exposed)] or None,
        host_config=host_config, networking_config=networking, labels={LABEL: t.lab})
    cid = container["Id"]
    for net, a in nets[1:]:
        connect(client, t, cid, name, net, a, links)
    client.api.start(cid)
    return cid


def connect(client, t: Target, cid: str, name: str, net: str, attach,
            links: list[str] | None = None) -> None:
    client.api.connect_container_to_network(
        cid, _engine_net(t, net), ipv4_address=str(attach.ip) if attach and attach.ip else None,
        aliases=_aliases(t, name, attach),
        links=dict(link.split(":", 1) for link in links or []) or None)


def _events(t: Target, sc: Scenario, model: Model,
            out: Applied) -> dict[str | bool, list[Callable[[], None]]]:
    """`network connect`, `network disconnect`, `docker rm` keyed by the container that ran
    just after them (True: after every run), as the model's daemon sequences them."""
    events: dict[str | bool, list[Callable[[], None]]] = {}

    def at(when, fn) -> None:
        if when is not False:
            events.setdefault(when, []).append(fn)

    def client_of(name: str):
        return t.clients[model.containers[name].host if name in model.containers
                         else _host_of(sc.containers[name], t)]

    def do(name: str, fn) -> Callable[[], None]:
        def happen() -> None:
            if name in out.containers:
                fn(client_of(name), out.containers[name])
        return happen

    for name, spec in sc.containers.items():
        links = _links(t, spec)
        for net, a in (spec.networks or {}).items():
            at(a.connect, do(name, lambda c, cid, name=name, net=net, a=a, links=links:
                             connect(c, t, cid, name, net, a, links)))
            at(a.removed, do(name, lambda c, cid, net=net:
                             c.api.disconnect_container_from_network(cid, _engine_net(t, net))))
        at(spec.removed, do(name, lambda c, cid, name=name: (
            c.api.remove_container(cid, force=True), out.containers.pop(name))))
    return events
