"""The CNI runtime: a node's containers wired by a conflist's plugins, as containerd, CRI-O or
Podman 3 would run them. The model of each plugin (plugins/) predicts what the real one
does; `Model.tool_runs` (`PluginRun`) says what the realizer must ask the real binaries,
whose results `exec.run` compares with the model's."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import PurePath

from netsim.model import dns
from netsim.model.assembly import ANY, Assembly
from netsim.model.graph import ContainerInfo, NetRecord, NodeKind, PortBinding
from netsim.runtime.cni import conflist, keys, lint, netpol_lint
from netsim.runtime.cni import exec as cni_exec
from netsim.runtime.cni.calico import bird
from netsim.runtime.cni.context import Add, Cni, Node, runtime_config
from netsim.runtime.cni.daemons import DAEMONS
from netsim.runtime.cni.exec import PluginRun
from netsim.runtime.cni.registry import PLUGINS
from netsim.runtime.contract import Runtime
from netsim.scenario import images
from netsim.scenario.schema import Container, Host, Scenario

NAME = "cni"
IFNAME = "eth0"
BEHAVIOUR = "CNI plugins 1.1.1"  # Debian's containernetworking-plugins, whose words it has
NOT_CNI = (("links", "--link is Docker's"), ("publish_all", "-P is Docker's"),
           ("expose", "--expose is Docker's"), ("hostname", "the runtime sets the hostname"))


def build(asm: Assembly, hosts: dict[str, Host], containers: dict[str, Container]) -> None:
    cni = Cni(asm, PLUGINS)
    conflist.load(cni)
    for name, spec in hosts.items():
        cni.nodes[name] = Node(name, name, spec)
        asm.model.ns[name].rules_by = NAME  # the plugins install the node's rules themselves
    for daemon in DAEMONS.values():  # each a DaemonSet: up before any pod
        daemon.start(cni, list(hosts))
    for name, spec in containers.items():
        run(cni, name, spec, ("containers", name))
    for daemon in DAEMONS.values():
        daemon.settle(cni)
    lint.run(cni)
    netpol_lint.run(cni)
    for daemon in DAEMONS.values():
        daemon.lint(cni)
    if containers and BEHAVIOUR not in asm.model.behaviours:
        asm.model.behaviours.append(BEHAVIOUR)


def names_conflist(spec: Container, sc: Scenario) -> bool:
    """On a node that also runs Docker, a container is CNI's when its network is a conflist."""
    nets = [spec.network] if spec.network else list(spec.networks or ())
    return any(n in sc.cni for n in nets)


def default_network(cni: Cni) -> str | None:
    """What runtimes pick: the first conflist by file name (inline ones by their name)."""
    def key(name: str) -> str:
        value = cni.asm.sc.cni[name]
        return PurePath(str(value["file"])).name if set(value) == {"file"} else name

    return min(cni.conflists, key=key, default=None)


def run(cni: Cni, name: str, spec: Container, path: tuple) -> None:
    host = spec.host or next(iter(cni.nodes))
    if host not in cni.nodes:
        raise cni.error((*path, "host"), f"no CNI node named '{host}'", ", ".join(cni.nodes))
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
    args = _args(cni, name, spec, conf, path)
    asm = cni.asm
    asm.add_ns(name, NodeKind.CONTAINER, name, host=host)
    if conflist.ipv6(conf):  # the real plugins add what the model carries: IPv6 stays on
        cni.model.ns[name].carries_ipv6 = cni.model.ns[node.ns].carries_ipv6 = True
    result = None
    cpath = ("cni", network)
    executed = []  # the plugins the realizer runs: a delegating plugin's delegate instead
    by_netsim = None  # the result of the plugins netsim plays (calico), before the real ones
    for i, plugin in enumerate(conf["plugins"]):
        add = Add(cni, node, conf, plugin, name, spec, name, IFNAME, result,
                  (*cpath, "plugins", i), runtime_config(plugin, args))
        try:
            result = PLUGINS[plugin["type"]].add(add)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError):
            # a shape the plugin's CONF table let through: the real plugin cannot use it
            # either; said without Python's words
            raise cni.error(add.path, "failed to load netconf: a value of a shape the "
                            f"{plugin['type']} plugin cannot use",
                            f"the {plugin['type']} plugin's documented keys") from None
        if getattr(PLUGINS[plugin["type"]], "BY_NETSIM", False) and not executed:
            by_netsim = result
            continue
        executed.append(add.runs_as or plugin)
    ips = [ip["address"] for ip in (result or {}).get("ips", [])]
    own = cni.model.ns[name].ifaces.get(IFNAME)
    mine = own.addrs if own is not None else []
    address = next((a.ip for a in mine if a.version == 4), None)
    address6 = next((a.ip for a in mine if a.version == 6), None)
    asm.endpoint(name, NodeKind.CONTAINER, name, {network: address} if address else {},
                 {network: address6} if address6 else {})
    _record(cni, node, conf, executed[0] if executed else conf["plugins"][0], result or {},
            name)
    run_ipv6 = not conflist.ipv6(conf, cni.plugins)  # the model holds its IPv6 too
    info = ContainerInfo(name, asm.digest("container", name), host, NAME, "networks", None,
                         [network])
    cni.model.containers[name] = info
    for pod in (address, address6):
        if pod is None or (pod.version == 6 and not run_ipv6):
            continue
        any_ip = "0.0.0.0" if pod.version == 4 else "::"  # portmap maps each family
        info.ports += [PortBinding(ip_address(m.get("hostIP", any_ip)), m["hostPort"],
                                   m["protocol"], name, pod, m["containerPort"], network,
                                   m["spec"]) for m in args.get("portMappings", [])
                       if ip_address(m.get("hostIP", any_ip)).version == pod.version]
    runtime_args = {k: [{f: x for f, x in m.items() if f != "spec"} for m in v]
                    if k == "portMappings" else v for k, v in args.items()}
    if executed:
        cni.model.tool_runs.append(PluginRun(
            cni_exec.TOOL, name, host, ns=name, ifname=IFNAME,
            conflist={**conf, "plugins": executed}, args=runtime_args, expected_ips=ips,
            ipv6=run_ipv6, prev=by_netsim))
    listen = spec.listen if spec.listen is not None else (
        images.ports_of(spec.image, asm.sc.images) or [])
    for p in listen:
        asm.listen(cni.model.ns[name], [p], f"{name}'s app", ip=p.ip or ANY)
    _names(cni, name, address)


def _record(cni: Cni, node: Node, conf: dict, first: dict, result: dict,
            container: str) -> None:
    """The network as `docker network inspect` would show it, for plans and pictures
    (`first`: the first plugin as run, a delegating plugin's delegate)."""
    key = f"{node.name}/{conf['name']}"
    net = cni.model.networks.get(key)
    store = node.stores.get(conf["name"])
    if net is None:
        device = (result.get("interfaces") or [{}])[0].get("name") \
            if first["type"] == "bridge" else first.get("master") or first.get("device") or \
            node.spec.interface
        own = cni.model.ns[container].ifaces.get(IFNAME)
        net = NetRecord(name=conf["name"], driver=f"cni {conf['plugins'][0]['type']}",
                        scope="local",
                        id=cni.asm.digest("cni-network", node.name, conf["name"]),
                        subnet=store.subnet if store else (  # static IPAM: the address's
                            own.addrs[0].network if own and own.addrs else None),
                        gateway=store.gateway if store else None, gateway_in_config=False,
                        ip_range=None, internal=False, options={}, host=node.name,
                        device=device)
        six = next((s for k, s in node.stores.items() if k.startswith(f"{conf['name']}/")
                    and s.subnet.version == 6), None)
        if six is not None:  # host-local's IPv6 range set: for the plan and the pictures
            net.subnet6, net.gateway6 = six.subnet, six.gateway
        cni.model.add_network(key, net)
    iface = cni.model.ns[container].ifaces.get(IFNAME)
    if iface is not None and iface.addrs:
        net.endpoints[container] = iface.addrs[0]
        six_addr = next((a for a in iface.addrs if a.version == 6 and not a.is_link_local),
                        None)
        if six_addr is not None:
            net.endpoints6[container] = six_addr
        cni.model.attach(key, iface.id)


def _args(cni: Cni, name: str, spec: Container, conf: dict, path: tuple) -> dict:
    """What the runtime has for the plugins' capabilities (CONVENTIONS.md): `ports:` as
    portMappings, a network's `ip:` as ips; each only when a plugin declares it, otherwise
    runtimes drop it, and netsim says so."""
    attach = (spec.networks or {}).get(conf["name"])
    wanted = {  # capability -> (the scenario key it comes from, warning id, value)
        "portMappings": ("ports", "ports", _port_mappings(cni, spec, path)),
        "ips": (f"networks.{conf['name']}.ip", "ips",
                [str(attach.ip)] if attach and attach.ip else []),
    }
    args: dict = {}
    for key, (where, pid, value) in wanted.items():
        if not value:
            continue
        if any(runtime_config(p, {key: True}) for p in conf["plugins"]):
            args[key] = value
        else:
            cni.warn(pid, f"containers.{name}.{where}: no plugin of {conf['name']} declares "
                     f"{key}: ignored, as CNI runtimes do")
    return args


def _port_mappings(cni: Cni, spec: Container, path: tuple) -> list[dict]:
    mappings = []
    for i, reqs in enumerate(spec.ports):
        for req in reqs:
            if len(req.host_ports) != 1:
                raise cni.error((*path, "ports", i), f"{req.spec}: a CNI portMapping needs one "
                                "hostPort per containerPort", "8080:80")
            m = {"hostPort": req.host_ports[0], "containerPort": req.container_port,
                 "protocol": req.proto, "spec": req.spec}
            if req.host_ip:
                m["hostIP"] = req.host_ip
            mappings.append(m)
    return mappings


def _names(cni: Cni, name: str, address) -> None:
    """The runtime copies the node's resolv.conf (the LAN's server here) into the pod."""
    gw = cni.asm.lan_gateway
    view = dns.NameView(name, False, gw, upstream=gw,
                        via="the node's resolv.conf sends it to the LAN's server")
    view.resolv_conf = dns.resolv_conf(view)
    view.hosts_file = dns.hosts_file(view, [(address, [name])] if address else [])
    cni.model.names[name] = view


RUNTIME = Runtime(build, per_node=True, claims=names_conflist,
                  tools={**cni_exec.TOOLS, bird.TOOL: bird.run},
                  keys=keys.Keys, host_keys=keys.HostKeys)
