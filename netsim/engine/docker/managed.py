"""`--engine docker` with managed daemons: netsim builds the physical world (LAN, router,
peers, `outside`, each host's namespace) as for a namespace lab, starts a real dockerd in
each Docker host's namespace, forms a Swarm among them when an overlay asks for one, applies
the scenario through the Engine API, and names each container's network namespace (through
its PID) so the same prober probes it from inside.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
from ipaddress import ip_address

from netsim.engine.docker import apply, daemons, image, swarm
from netsim.errors import EnvironmentProblem, NetsimError
from netsim.model import dns
from netsim.model.graph import Model
from netsim.probe.running import Running
from netsim.realize import lifecycle, netlink, sandbox
from netsim.scenario.load import Loaded


class EngineRefused(NetsimError):
    """The real engine refused a step the model had accepted: its own words (exit 2)."""


def docker_hosts(loaded: Loaded) -> dict:
    sc = loaded.scenario
    hosts = sc.hosts or {"docker1": None}
    others = [h for h, spec in hosts.items() if spec is not None and spec.runtime != ("docker",)]
    if others:
        raise EngineRefused(f"--engine docker runs Docker hosts only: hosts.{others[0]}.runtime "
                            f"is {list(hosts[others[0]].runtime)} (netsim realizes CNI nodes "
                            "itself: --engine netns)")
    return hosts


def up(loaded: Loaded, model: Model, world: Model, binary: str) -> Running:
    lab = loaded.scenario.name
    hosts = docker_hosts(loaded)
    netlink.check_kernel(model)  # an ipvlan network fails in the engine for the same reason
    names = dict(lifecycle.up(world, lab, loaded.text, loaded.path, {"kind": "docker"}).names)
    try:
        started = _start_daemons(lab, model, names, hosts, binary)
        clients = {h: m.client() for h, m in started.items()}
        version = clients[next(iter(clients))].version()["Version"]
        manager = None
        if any(n.driver == "overlay" for n in loaded.scenario.networks.values()):
            manager = swarm.form(clients, {h: model.endpoints[h].addresses["lan"]
                                           for h in clients})
        workdir = sandbox.files_dir(lab) / "image"
        with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
            tags = list(pool.map(lambda c: image.ensure(c, workdir), clients.values()))
        applied = apply_scenario(apply.Target(clients, tags[0], lab, manager=manager), loaded, model)
        hand = [i for ns in model.ns.values() for i in ns.ifaces.values() if i.by_hand]
        if hand:  # the user's own shim next to Docker's macvlan network
            sandbox.in_thread(lambda: netlink.add_by_hand(model, lab, names, hand))
        seen = inspect(model, clients, applied)
        names |= attach(lab, model, seen)
        findings = compare_addresses(lab, model, clients, applied, seen)
        if manager is not None:
            findings += swarm.settle(clients, _overlays(loaded, model, applied))
        write_files(lab, model, seen)
        sockets = {h: m.socket for h, m in started.items()}
        sandbox.update_journal(lab, lambda j: setattr(j, "engine", {
            "kind": "docker", "version": version, "names": names,
            "failed_runs": applied.failed, "sockets": sockets}))
        for c in clients.values():
            c.close()
        return Running(names, flush_targets(names), f"docker {version}", applied.failed,
                       findings=findings)
    except BaseException:
        lifecycle.down(lab)
        raise


def _start_daemons(lab: str, model: Model, names: dict[str, str], hosts: dict,
                   binary: str) -> dict[str, daemons.Managed]:
    """One dockerd per Docker host, all at once; then `ip_forward: false` as P04 has it."""
    from netsim.runtime.schema import Host

    gateway = str(model.endpoints["router"].addresses["lan"])  # the hosts' resolv.conf
    specs = {h: s if s is not None else Host() for h, s in hosts.items()}
    path = daemons.engine_path(binary, sandbox.files_dir(lab) / "docker" / "bin")
    with concurrent.futures.ThreadPoolExecutor(len(specs)) as pool:
        started = dict(zip(specs, pool.map(
            lambda h: daemons.start(lab, h, names[h], specs[h], gateway, binary, path), specs),
            strict=True))
    for h, spec in specs.items():
        if not spec.ip_forward:  # reset after dockerd turned it on
            sandbox.write_sysctl(names[h], "net.ipv4.ip_forward", "0")
    return started


def _overlays(loaded: Loaded, model: Model,
               applied: apply.Applied) -> dict[str, tuple[str, dict[str, str]]]:
    """Each overlay the engines made: its containers that run (the model's endpoints of it,
    after connects and removals) and their hosts."""
    out = {}
    for name, spec in loaded.scenario.networks.items():
        net = model.networks.get(f"swarm/{name}")
        if spec.driver != "overlay" or net is None or name not in applied.networks:
            continue
        members = {c: model.containers[c].host for c in net.endpoints
                   if c in applied.containers and c in model.containers}
        if members:
            out[applied.networks[name]] = (name, members)
    return out


def apply_scenario(target: apply.Target, loaded: Loaded, model: Model) -> apply.Applied:
    import docker.errors

    try:
        return apply.apply(target, loaded.scenario, model)
    except docker.errors.APIError as e:
        raise EngineRefused(f"the engine refused what the model accepted: "
                            f"{apply.words(e)}") from None
    except docker.errors.DockerException as e:
        raise EnvironmentProblem(f"talking to the engine failed: {e}",
                                 "everything the lab had made was removed") from None


def inspect(model: Model, clients: dict, applied: apply.Applied) -> dict[str, dict]:
    """`docker inspect` of every container the engine runs, once (one API round trip each);
    one that did not stay up is refused with what the engine says of it."""
    out = {}
    for name, cid in applied.containers.items():
        if name not in model.containers:  # started where the model said it fails: a finding
            continue
        api = clients[model.containers[name].host].api
        attrs = api.inspect_container(cid)
        state = attrs["State"]
        if not state["Pid"]:
            logs = api.logs(cid, tail=5).decode(errors="replace").strip()
            error = f", {state['Error']}" if state["Error"] else ""
            raise EngineRefused(f"container {name} is {state['Status']} (exit code "
                                f"{state['ExitCode']}{error})" + (f": {logs}" if logs else ""))
        out[name] = attrs
    return out


def attach(lab: str, model: Model, seen: dict[str, dict]) -> dict[str, str]:
    """Each running container's network namespace under a lab name (`ip netns attach`)."""
    out: dict[str, str] = {}
    for name, attrs in seen.items():
        ns_id = model.endpoints[name].ns
        if model.containers[name].mode == "host" or ns_id in out:
            continue
        pid = attrs["State"]["Pid"]
        kernel = sandbox.ns_name(lab, ns_id)
        sandbox.in_thread(lambda kernel=kernel, pid=pid: sandbox.attach_netns(kernel, pid, lab))
        out[ns_id] = kernel
    return out


def compare_addresses(lab: str, model: Model, clients: dict, applied: apply.Applied,
                      seen: dict[str, dict], prefix: str = "") -> list[str]:
    """The engine's address on every network of every container against the model's, and
    which `docker run`s it refused: a difference is a finding (the probes aim at the model's
    addresses; a refused run has no expectation row to show it), journaled."""
    findings = []
    hidden: dict[tuple[str, str], dict] = {}  # (host, network) -> its endpoints, asked once
    for name, attrs in seen.items():
        info = model.containers[name]
        if info.mode != "networks":
            continue
        nets = attrs["NetworkSettings"]["Networks"]
        for net, want in model.endpoints[name].addresses.items():
            key = net if net in BUILT_IN else f"{prefix}{net}"
            got = (nets.get(key) or {}).get("IPAddress")
            if got is None:  # docker_gwbridge: `docker inspect` hides it, the network knows
                if (info.host, key) not in hidden:
                    hidden[info.host, key] = _endpoints(clients[info.host].api, key)
                got = hidden[info.host, key].get(attrs["Id"])
            if got != str(want):
                findings.append(f"{name}: the engine gave {got or 'no address'} on {net}, the "
                                f"model predicted {want}")
        for net, want6 in model.endpoints[name].addresses6.items():
            key = net if net in BUILT_IN else f"{prefix}{net}"
            got6 = (nets.get(key) or {}).get("GlobalIPv6Address") or None
            if got6 is None or ip_address(got6) != want6:
                findings.append(f"{name}: the engine gave {got6 or 'no IPv6 address'} on {net}, "
                                f"the model predicted {want6}")
    for name in sorted(set(applied.failed) ^ set(model.failed_runs)):  # who started, who not
        said = applied.failed.get(name)
        findings.append(f"docker run {name} failed on the engine ({said}); the model predicted "
                        "it starts" if said else f"docker run {name} started on the engine; "
                        f"the model predicted it fails ({model.failed_runs[name]})")
    sandbox.update_journal(lab, lambda j: setattr(j, "findings", findings))
    return findings


BUILT_IN = ("bridge", "docker_gwbridge", "ingress")


def _endpoints(api, net: str) -> dict[str, str]:
    """container id -> IPv4 address on a network, as `docker network inspect` lists them."""
    import docker.errors

    try:
        eps = api.inspect_network(net)["Containers"] or {}
    except docker.errors.NotFound:
        return {}
    return {cid: ep["IPv4Address"].split("/")[0] for cid, ep in eps.items()
            if ep.get("IPv4Address")}


def write_files(lab: str, model: Model, seen: dict[str, dict]) -> None:
    """The resolver probe reads a container's real /etc/hosts and resolv.conf: the files the
    engine wrote (linked, so a later `network connect` shows); nsswitch as in any image."""
    for name in model.names:
        attrs = seen.get(name)
        if attrs is None:
            continue
        d = sandbox.files_dir(lab) / name
        d.mkdir(parents=True, exist_ok=True)
        for file, key in (("hosts", "HostsPath"), ("resolv.conf", "ResolvConfPath")):
            link = d / file
            if link.exists() or link.is_symlink():
                link.unlink()
            os.symlink(attrs[key], link)
        (d / "nsswitch.conf").write_text(dns.NSSWITCH)


def flush_targets(names: dict[str, str]) -> list[tuple[str, str]]:
    """Interfaces with an IPv4 address in every namespace the prober uses, read from the
    kernel: the engine named them (vethXXXX), not the model."""
    from pyroute2 import IPRoute

    def read(ns: str) -> list[tuple[str, str]]:
        with sandbox.in_netns(ns):
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
        with IPRoute(use_socket=sock) as ipr:
            idx = {a.get("index") for a in ipr.get_addr(family=2)}
            return [(ns, link.get_attr("IFLA_IFNAME")) for link in ipr.get_links()
                    if link.get("index") in idx and link.get_attr("IFLA_IFNAME") != "lo"]

    out: list[tuple[str, str]] = []
    for ns in dict.fromkeys(names.values()):
        out += sandbox.in_thread(lambda ns=ns: read(ns))
    return out
