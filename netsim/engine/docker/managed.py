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

from netsim.engine.docker import apply, daemons, image, swarm
from netsim.engine.running import Running
from netsim.errors import EnvironmentProblem, NetsimError
from netsim.model import dns
from netsim.model.graph import Model
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
    names = dict(lifecycle.up(world, lab, loaded.text, loaded.path, engine="docker").names)
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
        applied = _apply(apply.Target(clients, tags[0], lab, manager=manager), loaded, model)
        hand = [i for ns in model.ns.values() for i in ns.ifaces.values() if i.by_hand]
        if hand:  # the user's own shim next to Docker's macvlan network
            sandbox.in_thread(lambda: netlink.add_by_hand(model, lab, names, hand))
        names |= attach(lab, model, clients, applied)
        compare_addresses(lab, model, clients, applied)
        write_files(lab, model, clients, applied)
        sockets = {h: m.socket for h, m in started.items()}
        sandbox.update_journal(lab, lambda j: j.__setitem__("engine", {
            "kind": "docker", "version": version, "names": names,
            "failed_runs": applied.failed, "sockets": sockets}))
        for c in clients.values():
            c.close()
        return Running(names, flush_targets(names), f"docker {version}", applied.failed)
    except BaseException:
        lifecycle.down(lab)
        raise


def _start_daemons(lab: str, model: Model, names: dict[str, str], hosts: dict,
                   binary: str) -> dict[str, daemons.Managed]:
    """One dockerd per Docker host, all at once; then `ip_forward: false` as P04 has it."""
    from netsim.scenario.schema import Host

    gateway = str(model.endpoints["router"].addresses["lan"])  # the hosts' resolv.conf
    specs = {h: s if s is not None else Host() for h, s in hosts.items()}
    with concurrent.futures.ThreadPoolExecutor(len(specs)) as pool:
        started = dict(zip(specs, pool.map(
            lambda h: daemons.start(lab, h, names[h], specs[h], gateway, binary), specs),
            strict=True))
    for h, spec in specs.items():
        if not spec.ip_forward:  # reset after dockerd turned it on
            sandbox.write_sysctl(names[h], "net.ipv4.ip_forward", "0")
    return started


def _apply(target: apply.Target, loaded: Loaded, model: Model) -> apply.Applied:
    import docker.errors

    try:
        return apply.apply(target, loaded.scenario, model)
    except docker.errors.APIError as e:
        raise EngineRefused(f"the engine refused what the model accepted: "
                            f"{apply.words(e)}") from None
    except docker.errors.DockerException as e:
        raise EnvironmentProblem(f"talking to the engine failed: {e}",
                                 "everything the lab had made was removed") from None


def attach(lab: str, model: Model, clients: dict, applied: apply.Applied) -> dict[str, str]:
    """Each running container's network namespace under a lab name (`ip netns attach`)."""
    out: dict[str, str] = {}
    for name, cid in applied.containers.items():
        info = model.containers.get(name)
        if info is None or info.mode == "host":
            continue
        ns_id = model.endpoints[name].ns
        if ns_id in out:
            continue
        state = clients[info.host].api.inspect_container(cid)["State"]
        pid = state["Pid"]
        if not pid:  # it did not stay up: say what the engine says
            logs = clients[info.host].api.logs(cid, tail=5).decode(errors="replace").strip()
            raise EngineRefused(f"container {name} is {state['Status']} (exit code "
                                f"{state['ExitCode']}{', ' + state['Error'] if state['Error'] else ''})"
                                + (f": {logs}" if logs else ""))
        kernel = sandbox.ns_name(lab, ns_id)
        sandbox.in_thread(lambda kernel=kernel, pid=pid: sandbox.attach_netns(kernel, pid, lab))
        out[ns_id] = kernel
    return out


def compare_addresses(lab: str, model: Model, clients: dict, applied: apply.Applied,
                      prefix: str = "") -> list[str]:
    """The engine's address on every network of every container against the model's, and
    which `docker run`s it refused: a difference is a finding (the probes aim at the model's
    addresses; a refused run has no expectation row to show it), journaled."""
    findings = []
    for name, cid in applied.containers.items():
        info = model.containers.get(name)
        if info is None or info.mode != "networks":
            continue
        api = clients[info.host].api
        nets = api.inspect_container(cid)["NetworkSettings"]["Networks"]
        for net, want in model.endpoints[name].addresses.items():
            key = net if net in BUILT_IN else f"{prefix}{net}"
            got = (nets.get(key) or {}).get("IPAddress") or _hidden(api, key, cid)
            if got != str(want):
                findings.append(f"{name}: the engine gave {got or 'no address'} on {net}, the "
                                f"model predicted {want}")
    for name in sorted(set(applied.failed) ^ set(model.failed_runs)):  # who started, who not
        said = applied.failed.get(name)
        findings.append(f"docker run {name} failed on the engine ({said}); the model predicted "
                        "it starts" if said else f"docker run {name} started on the engine; "
                        f"the model predicted it fails ({model.failed_runs[name]})")
    sandbox.update_journal(lab, lambda j: j.__setitem__("findings", findings))
    return findings


BUILT_IN = ("bridge", "docker_gwbridge", "ingress")


def _hidden(api, net: str, cid: str) -> str | None:
    """An endpoint `docker inspect` does not list (docker_gwbridge): the network knows it."""
    import docker.errors

    try:
        ep = api.inspect_network(net)["Containers"].get(cid) or {}
    except docker.errors.NotFound:
        return None
    return ep.get("IPv4Address", "").split("/")[0] or None


def write_files(lab: str, model: Model, clients: dict, applied: apply.Applied) -> None:
    """The resolver probe reads a container's real /etc/hosts and resolv.conf: the files the
    engine wrote (linked, so a later `network connect` shows); nsswitch as in any image."""
    for name in model.names:
        cid = applied.containers.get(name)
        if cid is None:
            continue
        attrs = clients[model.containers[name].host].api.inspect_container(cid)
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
