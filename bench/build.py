"""Build a topology with netsim, and the very same topology with raw `ip -batch` (one process
per namespace, the fast way to drive iproute2), in the same run; print both and the ratio.

Cases: `bridge N` (N containers on one bridge; target at N=200: ratio <= 0.5 (issue 34), teardown < 0.5 s),
`overlay` (3 hosts x 50 containers on one overlay, each also on docker_gwbridge) and `names N`
(N containers on a user network: also prints what Docker's embedded DNS adds per host, < 50 ms).
The baseline is generated from netsim's own model (same namespaces, links, MACs, addresses,
routes, neighbour and FDB entries), so both sides build exactly the same thing.

    sudo python bench/build.py [bridge N | overlay | names N]
"""

from __future__ import annotations

import subprocess
import sys
import time

import yaml

from netsim.lab import Lab
from netsim.model.graph import IfKind, Model
from netsim.realize import lifecycle, netlink, nft, sandbox, services
from netsim.realize.journal import Journal


def scenario(case: str, n: int) -> str:
    if case == "bridge":
        return yaml.safe_dump({"name": "benchbuild", "containers": {f"c{i}": {} for i in range(n)}})
    if case == "names":  # a user-defined network: every container gets Docker's resolver
        return yaml.safe_dump({"name": "benchbuild", "networks": {"appnet": {}},
                               "containers": {f"c{i}": {"network": "appnet"} for i in range(n)}})
    hosts = {f"docker{h}": {} for h in (1, 2, 3)}
    ctrs = {f"c{i}": {"host": f"docker{1 + i % 3}", "network": "ovl"} for i in range(n)}
    return yaml.safe_dump({"name": "benchbuild", "hosts": hosts,
                           "networks": {"ovl": {"driver": "overlay"}}, "containers": ctrs})


def resolver_startup(model: Model, names: dict[str, str]) -> tuple[float, int]:
    """What Docker's embedded DNS adds to a build: the NAT ruleset in each container's
    namespace and the resolver's socket at 127.0.0.11. Returns (seconds, resolvers)."""
    views = [v for v in model.names.values() if v.resolver_port]
    t0 = time.perf_counter()
    socks = []
    for v in views:
        ns_id = model.endpoints[v.container].ns
        nft.load(names[ns_id], model.ns[ns_id].rules, replace=False)
        lst = next(x for x in model.ns[ns_id].listeners if x.role == "dns")
        socks.append(services._bind(names[ns_id], lst, 4))
    elapsed = time.perf_counter() - t0
    for sock in socks:
        sock.close()
    return elapsed, len(views)


def netsim_build(model: Model, lab: str) -> tuple[float, float, int]:
    sandbox.write_journal(lab, Journal(lab=lab))
    t0 = time.perf_counter()
    try:
        built = netlink.build(model, lab)
        t_build = time.perf_counter() - t0
        dns_s, resolvers = resolver_startup(model, built.names)
    except BaseException:
        lifecycle.down(lab)  # a failing bench leaves nothing behind either
        raise
    hosts = max(1, len({model.ns[model.endpoints[v].ns].host for v in model.names
                        if model.names[v].resolver_port}))
    if resolvers:
        print(f"resolver start-up: {dns_s * 1000:.1f} ms for {resolvers} resolvers on {hosts} "
              f"host(s) = {dns_s * 1000 / hosts:.1f} ms per Docker host (target < 50 ms: "
              f"{'met' if dns_s / hosts < 0.05 else 'missed'})")
    built.close()
    t1 = time.perf_counter()
    names = lifecycle.down(lab)
    return t_build, time.perf_counter() - t1, len(names)


def iproute2_script(model: Model, prefix: str) -> tuple[list[str], dict[str, list[str]],
                                                        dict[str, list[str]]]:
    """(namespaces, ip commands per namespace, bridge commands per namespace)."""
    ns_name = {k: f"{prefix}{i}" for i, k in enumerate(model.ns)}
    ip: dict[str, list[str]] = {n: ["link set lo up"] for n in ns_name.values()}
    br: dict[str, list[str]] = {n: [] for n in ns_name.values()}
    created: set[str] = set()
    for ns in model.ns.values():  # bridges, then links from the bridge side
        for i in ns.ifaces.values():
            if i.kind == IfKind.BRIDGE:
                ip[ns_name[ns.id]].append(f"link add {i.name} mtu {i.mtu} type bridge")
    for ns in model.ns.values():
        for i in sorted(ns.ifaces.values(), key=lambda i: i.master is None):
            me = ns_name[ns.id]
            if i.kind == IfKind.VETH and i.id not in created:
                peer = model.iface(i.peer)
                mac = f" address {i.mac}" if i.mac else ""
                pmac = f" address {peer.mac}" if peer.mac else ""
                ip[me].append(f"link add {i.name}{mac} mtu {i.mtu} type veth peer name {peer.name}"
                              f"{pmac} mtu {peer.mtu} netns {ns_name[peer.ns]}")
                created |= {i.id, peer.id}
            elif i.kind == IfKind.VXLAN:
                host = ns_name[model.ns[i.ns].host]
                ip[host].append(f"link add {i.name} netns {me} mtu {i.mtu} type vxlan id {i.vni} "
                                f"dstport 4789 local {i.vtep} nolearning proxy")
    for ns in model.ns.values():
        me = ns_name[ns.id]
        for i in ns.ifaces.values():
            if i.kind == IfKind.LOOPBACK:
                continue
            master = f" master {i.master}" if i.master else ""
            ip[me].append(f"link set {i.name}{master} up")
            ip[me] += [f"addr add {a} dev {i.name}" for a in i.addrs]
        for r in ns.routes:
            via = f" via {r.via}" if r.via else ""
            ip[me].append(f"route add {r.dst}{via} dev {r.dev}")
        for dev, addr, mac in ns.neighbours:
            ip[me].append(f"neigh add {addr} lladdr {mac} dev {dev} nud permanent")
        for dev, mac, vtep in ns.fdb:
            br[me].append(f"fdb add {mac} dev {dev} dst {vtep} self permanent")
    return list(ns_name.values()), ip, br


def _netns_mounted() -> bool:
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == "/run/netns" for line in f)


def iproute2_build(model: Model) -> tuple[float, float]:
    names, ip, br = iproute2_script(model, "nsim-benchip-")
    mounted = _netns_mounted()  # `ip netns add` makes /run/netns a mount point of its own
    # order: namespaces, then creators (bridges/veths/vxlans), then configuration
    t0 = time.perf_counter()
    subprocess.run(["ip", "-batch", "-"], input="".join(f"netns add {n}\n" for n in names),
                   text=True, check=True)
    creates = {n: [c for c in cmds if c.startswith("link add")] for n, cmds in ip.items()}
    configs = {n: [c for c in cmds if not c.startswith("link add")] for n, cmds in ip.items()}
    for n in names:
        bridges = [c for c in creates[n] if c.endswith("type bridge")]
        others = [c for c in creates[n] if not c.endswith("type bridge")]
        if bridges or others:
            subprocess.run(["ip", "-n", n, "-batch", "-"], input="\n".join(bridges + others) + "\n",
                           text=True, check=True)
    for n in names:
        subprocess.run(["ip", "-n", n, "-batch", "-"], input="\n".join(configs[n]) + "\n",
                       text=True, check=True)
        if br[n]:
            subprocess.run(["bridge", "-n", n, "-batch", "-"], input="\n".join(br[n]) + "\n",
                           text=True, check=True)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    subprocess.run(["ip", "-batch", "-"], input="".join(f"netns del {n}\n" for n in names),
                   text=True, check=True)
    took = time.perf_counter() - t1
    if not mounted and _netns_mounted():  # leave the machine as the baseline found it
        subprocess.run(["umount", "/run/netns"], check=True)
    return t_build, took


def main() -> None:
    lifecycle.require_root("bench")
    case = sys.argv[1] if len(sys.argv) > 1 else "bridge"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else {"bridge": 200, "overlay": 150}.get(case, 50)
    model = Lab.from_yaml(scenario(case, n), "bench.yml").model
    ns_build, ns_down, count = netsim_build(model, "benchbuild")
    ip_build, ip_down = iproute2_build(model)
    print(f"{case}: {n} containers, {count} namespaces (netsim's LAN, router and hosts included)")
    print(f"netsim   build {ns_build:6.3f} s ({ns_build / n * 1000:.1f} ms/container)"
          f"   teardown {ns_down:.3f} s")
    print(f"ip-batch build {ip_build:6.3f} s ({ip_build / n * 1000:.1f} ms/container)"
          f"   teardown {ip_down:.3f} s")
    ratio = ns_build / ip_build
    print(f"ratio netsim / ip -batch = {ratio:.2f}  (target <= 0.5, issue 34: "
          f"{'met' if ratio <= 0.5 else 'NOT met'}); teardown < 0.5 s: "
          f"{'met' if ns_down < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
