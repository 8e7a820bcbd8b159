"""The CNI runtime: a node's containers wired by a conflist's plugins, as containerd, CRI-O or
Podman 3 would run them. The model of each plugin (plugins/) predicts what the real one
does; `Model.plugin_runs` says what the realizer must ask the real binaries, whose results are
then compared with the model's (netsim.realize.lifecycle)."""

from __future__ import annotations

from pathlib import PurePath

from netsim.model import dns
from netsim.model.assembly import ANY, Assembly
from netsim.model.graph import ContainerInfo, NodeKind
from netsim.runtime.cni import conflist
from netsim.runtime.cni.context import Add, Cni, Node
from netsim.runtime.cni.registry import PLUGINS
from netsim.runtime.docker import images
from netsim.scenario.schema import Container, Host

NAME = "cni"
IFNAME = "eth0"
NOT_CNI = (("links", "--link is Docker's"), ("publish_all", "-P is Docker's"),
           ("expose", "--expose is Docker's"), ("hostname", "the runtime sets the hostname"))


def build(asm: Assembly, hosts: dict[str, Host], containers: dict[str, Container]) -> None:
    cni = Cni(asm, PLUGINS)
    conflist.load(cni)
    for name, spec in hosts.items():
        cni.nodes[name] = Node(name, name, spec)
        asm.model.ns[name].rules_by = NAME  # the plugins install the node's rules themselves
    for name, spec in containers.items():
        run(cni, name, spec, ("containers", name))


def default_network(cni: Cni) -> str | None:
    """What runtimes pick: the first conflist by file name (inline ones by their name)."""
    def key(name: str) -> str:
        value = cni.asm.sc.cni[name]
        return PurePath(str(value["file"])).name if set(value) == {"file"} else name

    return min(cni.conflists, key=key, default=None)


def run(cni: Cni, name: str, spec: Container, path: tuple) -> None:
    host = spec.host or next(iter(cni.nodes))
    node = cni.nodes[host]
    for key, why in NOT_CNI:
        if getattr(spec, key):
            raise cni.error((*path, key), f"{key} is not for a CNI runtime's containers: {why}")
    network = spec.network or (next(iter(spec.networks)) if spec.networks else None) or \
        default_network(cni)
    if network not in cni.conflists:
        raise cni.error((*path, "network"), f"no CNI network named {network!r} on {host}",
                        ", ".join(cni.conflists) or "define one under cni:")
    conf = cni.conflists[network]
    if spec.ports:
        cni.model.warnings.append(("ports", f"containers.{name}.ports: no plugin of {network} "
                                   "declares portMappings: ignored, as CNI runtimes do"))
    asm = cni.asm
    asm.add_ns(name, NodeKind.CONTAINER, name, host=host)
    result = None
    cpath = ("cni", network)
    for i, plugin in enumerate(conf["plugins"]):
        result = PLUGINS[plugin["type"]](Add(cni, node, conf, plugin, name, spec, name, IFNAME,
                                             result, (*cpath, "plugins", i)))
    ips = [ip["address"] for ip in (result or {}).get("ips", [])]
    address = next((i.addrs[0].ip for i in cni.model.ns[name].ifaces.values()
                    if i.name == IFNAME and i.addrs), None)
    asm.endpoint(name, NodeKind.CONTAINER, name, {network: address} if address else {})
    cni.model.containers[name] = ContainerInfo(name, asm.digest("container", name), host, NAME,
                                               "networks", None, [network])
    cni.model.plugin_runs.append({"runtime": NAME, "container": name, "node": host,
                                  "ns": name, "ifname": IFNAME, "conflist": conf, "args": {},
                                  "expected_ips": ips})
    listen = spec.listen if spec.listen is not None else (
        images.ports_of(spec.image, asm.sc.images) or [])
    for p in listen:
        asm.listen(cni.model.ns[name], [p], f"{name}'s app", ip=p.ip or ANY)
    _names(cni, name, address)


def _names(cni: Cni, name: str, address) -> None:
    """The runtime copies the node's resolv.conf (the LAN's server here) into the pod."""
    gw = cni.asm.lan_gateway
    view = dns.NameView(name, False, gw, upstream=gw)
    view.resolv_conf = dns.resolv_conf(view)
    view.hosts_file = dns.hosts_file(view, [(address, [name])] if address else [])
    cni.model.names[name] = view
