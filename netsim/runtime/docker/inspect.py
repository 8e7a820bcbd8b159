"""What `docker network inspect` and `docker port` would print on a lab's host, from the model.

So a learner can hold a tutorial's printed output against the model's: the fields the model
decides (names, IDs, drivers, subnets, gateways, each container's address and MAC, the
driver's options, published ports) in Docker's own layout; what it cannot know (creation
times, endpoint IDs, labels the user never gave) is left out rather than made up.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from netsim.errors import NetsimError
from netsim.model.graph import Model, NetRecord


def render(model: Model, host: str, argv: list[str]) -> str:
    """`argv` as typed after `docker` (`network inspect NET...`, `port NAME`)."""
    words = argv[1:] if argv[:1] == ["docker"] else argv
    for verb, fn in VERBS.items():
        if tuple(words[:len(verb)]) == verb:
            return fn(model, host, words[len(verb):])
    raise NetsimError(f"netsim shows `docker {' '.join(words[:2])}` from the model only for: "
                      + ", ".join("docker " + " ".join(v) for v in VERBS))


_DEFAULT = "com.docker.network.bridge.default_bridge"


def network_inspect(model: Model, host: str, names: list[str]) -> str:
    if not names:
        raise NetsimError('"docker network inspect" requires at least 1 argument')
    out = []
    for name in names:
        net = model.networks.get(f"{host}/{name}") or model.networks.get(f"swarm/{name}")
        if net is None:
            raise NetsimError(f"Error response from daemon: network {name} not found")
        out.append(_network(model, net))
    return json.dumps(out, indent=4)


def _network(model: Model, net: NetRecord) -> dict:
    config: dict = {"Subnet": str(net.subnet)} if net.subnet else {}
    if net.ip_range:
        config["IPRange"] = str(net.ip_range)
    if net.gateway:
        config["Gateway"] = str(net.gateway)
    configs = [config] if config else []
    if net.subnet6 is not None:
        configs.append({"Subnet": str(net.subnet6), "Gateway": str(net.gateway6)})
    return {
        "Name": net.name, "Id": net.id, "Scope": net.scope, "Driver": net.driver,
        "EnableIPv6": net.subnet6 is not None,
        "IPAM": {"Driver": "default", "Options": None if net.options.get(_DEFAULT) else {},
                 "Config": configs},
        "Internal": net.internal,
        "Containers": {model.containers[c].id: _endpoint(model, c, addr,
                                                         net.endpoints6.get(c))
                       for c, addr in net.endpoints.items() if c in model.containers},
        "Options": dict(net.options),
    }


def _endpoint(model: Model, container: str, addr, addr6=None) -> dict:
    ns = model.ns.get(container)
    mac = next((i.mac for i in ns.ifaces.values() if addr in i.addrs), None) if ns else None
    return {"Name": container, "MacAddress": mac or "", "IPv4Address": str(addr),
            "IPv6Address": str(addr6) if addr6 else ""}


def port(model: Model, host: str, names: list[str]) -> str:
    """`80/tcp -> 0.0.0.0:8080`, then the IPv6 side Docker adds for an address-less `-p`."""
    if len(names) != 1:
        raise NetsimError('"docker port" requires at least 1 argument (a container)')
    info = model.containers.get(names[0])
    if info is None or info.host != host:
        raise NetsimError(f"Error response from daemon: No such container: {names[0]}")
    groups: dict[tuple[int, str], tuple[list[str], list[str]]] = {}  # IPv4 lines, IPv6 lines
    # the model holds the [::] bindings where the host has IPv6; elsewhere they are derived
    modelled = any(pb.host_ip.version == 6 for pb in info.ports)
    for pb in info.ports:
        v4, v6 = groups.setdefault((pb.container_port, pb.proto), ([], []))
        if pb.host_ip.version == 6:
            v6.append(f"{pb.container_port}/{pb.proto} -> [{pb.host_ip}]:{pb.host_port}")
            continue
        v4.append(f"{pb.container_port}/{pb.proto} -> {pb.host_ip}:{pb.host_port}")
        if not modelled and str(pb.host_ip) == "0.0.0.0" and not pb.spec.startswith("0.0.0.0:"):
            v6.append(f"{pb.container_port}/{pb.proto} -> [::]:{pb.host_port}")
    return "\n".join(line for v4, v6 in groups.values() for line in (*v4, *v6))


VERBS: dict[tuple[str, ...], Callable[[Model, str, list[str]], str]] = {
    ("network", "inspect"): network_inspect,
    ("port",): port,
    ("container", "port"): port,
}
