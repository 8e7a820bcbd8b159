"""Build the model's namespaces and links with pyroute2, creating nothing in the root namespace.

Links are born where they belong (a veth peer or macvlan child is created directly in its
target namespace: no moves, no renames, the two slow kernel paths). One netlink socket per
namespace, made inside it by a thread that setns()es (no pyroute2 fork helper).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from pyroute2 import IPRoute

from netsim.errors import EnvironmentProblem
from netsim.links.registry import LINKS
from netsim.model.graph import Iface, IfKind, Model, NodeKind
from netsim.realize import rtnl, sandbox

EXPLICIT_INDEX = 10000  # links we create get ifindexes from here; the kernel's own start at 2


@dataclass
class Built:
    lab: str
    names: dict[str, str]  # model namespace id -> kernel namespace name
    fds: dict[str, int] = field(default_factory=dict)
    ipr: dict[str, IPRoute] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)  # iface id -> ifindex we chose
    up: set[str] = field(default_factory=set)  # iface ids created up (and enslaved)
    done: set[str] = field(default_factory=set)  # iface ids already created (veth pairs)
    _next: dict[str, int] = field(default_factory=dict)

    def sock(self, ns_id: str) -> IPRoute:
        if ns_id not in self.ipr:
            with sandbox.in_netns(self.names[ns_id]):
                s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.ipr[ns_id] = IPRoute(use_socket=s)
        return self.ipr[ns_id]

    def fd(self, ns_id: str) -> int:
        if ns_id not in self.fds:
            self.fds[ns_id] = os.open(sandbox.NETNS_DIR / self.names[ns_id], os.O_RDONLY)
        return self.fds[ns_id]

    def new_index(self, iface: Iface) -> int:
        self._next[iface.ns] = self._next.get(iface.ns, EXPLICIT_INDEX) + 1
        self.index[iface.id] = self._next[iface.ns]
        return self.index[iface.id]

    def close(self) -> None:
        for ipr in self.ipr.values():
            ipr.close()
        for fd in self.fds.values():
            os.close(fd)
        self.ipr.clear()
        self.fds.clear()


def check_kernel(model: Model) -> None:
    """Kinds this machine's kernel lacks (feasibility §0): refuse before building anything."""
    for ns in model.ns.values():
        for i in ns.ifaces.values():
            missing = LINKS[i.kind].unsupported
            if missing:
                raise EnvironmentProblem(
                    f"{ns.label}: {i.name} needs {missing}, which this kernel "
                    "does not have (\"operation not supported\", as Docker reports it)",
                    "netsim check still predicts this scenario; run it on a kernel with that "
                    "support")


def sysctls(model: Model, ns_id: str) -> dict[str, str]:
    ns = model.ns[ns_id]
    v6 = model.ipv6_on(ns_id)
    off = "0" if v6 else "1"  # IPv4 only: keep DAD and RS noise out
    out = {
        "net.ipv6.conf.all.disable_ipv6": off,
        "net.ipv6.conf.default.disable_ipv6": off,
        "net.ipv4.ip_forward": "1" if ns.forwarding else "0",
        "net.bridge.bridge-nf-call-iptables": "1" if ns.bridge_nf else "0",
    }
    if v6:  # links usable at once (no DAD: their addresses are nodad, fe80:: too), no RS
        out |= {"net.ipv6.conf.all.forwarding": "1" if ns.forwarding6 else "0",
                "net.ipv6.conf.all.accept_dad": "0", "net.ipv6.conf.default.accept_dad": "0",
                "net.ipv6.conf.default.router_solicitations": "0",
                "net.ipv6.conf.default.accept_ra": "0",
                "net.bridge.bridge-nf-call-ip6tables": "1" if ns.bridge_nf else "0"}
    if ns.kind == NodeKind.CONTAINER:  # what Docker sets in every container (observed)
        out["net.ipv4.ping_group_range"] = "0 2147483647"
    return out


def build(model: Model, lab: str) -> Built:
    """Namespaces (journaled first), links, addresses, routes. Raises on the first failure;
    the caller tears down from the journal."""
    check_kernel(model)
    names = {ns_id: sandbox.ns_name(lab, ns_id) for ns_id in model.ns}
    if len(set(names.values())) != len(names):
        raise EnvironmentProblem(f"lab '{lab}': two nodes map to one namespace name")
    sandbox.update_journal(lab, lambda j: setattr(
        j, "namespaces", sorted(set(j.namespaces) | set(names.values()))))
    built = Built(lab, names)
    try:
        _build(built, model)
    except BaseException:
        built.close()  # an open netlink socket would keep a removed namespace alive
        raise
    return built


def _build(built: Built, model: Model) -> None:
    for ns_id, name in built.names.items():
        sandbox.create_netns(name, sysctls(model, ns_id), built.lab)
    ifaces = [i for ns in model.ns.values() for i in ns.ifaces.values() if not i.built_by]
    for i in sorted(ifaces, key=lambda i: LINKS[i.kind].phase):  # lower links first
        sandbox.check_cancel()
        LINKS[i.kind].build(built, model, i)
    for ns_id in model.ns:
        sandbox.check_cancel()
        _configure(built, model, ns_id)


def _configure(b: Built, model: Model, ns_id: str) -> None:
    """Everything else in one pipelined batch per namespace: up, master, addresses, routes.
    What a runtime's own tool makes (`built_by`: the CNI plugins) it configures itself."""
    ns = model.ns[ns_id]
    name = b.names[ns_id]
    ours = [i for i in ns.ifaces.values() if not i.built_by]
    with sandbox.in_netns(name):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        index = {i.name: socket.if_nametoindex(i.name) for i in ours}
    with sock:
        batch = rtnl.Batch(sock)
        for i in ours:
            if i.id not in b.up:
                master = index[i.master] if i.master else None
                batch.link(index[i.name], up=True, master=master)
            if i.kind != IfKind.LOOPBACK:
                for a in i.addrs:
                    batch.addr(index[i.name], a.ip, a.network.prefixlen)
        for r in ns.routes:
            if r.proto is not None:
                continue  # a routing daemon installs it (BIRD): compared, never made here
            if r.blackhole:
                batch.route(r.dst, None, None, proto=r.rtproto)
            elif r.dev in index:
                batch.route(r.dst, index[r.dev], r.via, r.onlink, proto=r.rtproto)
        try:
            batch.send()
        except rtnl.RtnlError as e:
            raise EnvironmentProblem(f"{ns.label}: {e}") from None
    for dev, mac, vtep in ns.fdb:  # == bridge fdb add MAC dev vxlan0 dst VTEP (self, permanent)
        b.sock(ns_id).fdb("add", ifindex=index[dev], lladdr=mac, dst=str(vtep))
    for dev, ip, mac in ns.neighbours:  # == ip neigh add IP lladdr MAC dev vxlan0 nud permanent
        b.sock(ns_id).neigh("add", ifindex=index[dev], dst=str(ip), lladdr=mac, state=0x80)
    for i in ours:
        if i.hairpin and i.master:
            b.sock(ns_id).brport("set", index=index[i.name], mode=1)
        if i.route_localnet:  # userland-proxy=false: DNAT of 127.0.0.1 may leave the host
            sandbox.write_sysctl(name, f"net.ipv4.conf.{i.name}.route_localnet", "1")
        if i.proxy_arp:  # Calico's host side: answers for 169.254.1.1 at once
            sandbox.write_sysctl(name, f"net.ipv4.conf.{i.name}.proxy_arp", "1")
            sandbox.write_sysctl(name, f"net.ipv4.neigh.{i.name}.proxy_delay", "0")


def add_by_hand(model: Model, lab: str, names: dict[str, str], ifaces: list[Iface]) -> None:
    """Links a user makes by hand on a running host (`Iface.by_hand`: a macvlan shim) where a
    real engine runs: each born in its namespace, then its addresses, up, and its routes."""
    built = Built(lab, names)
    try:
        for i in sorted(ifaces, key=lambda i: LINKS[i.kind].phase):
            LINKS[i.kind].build(built, model, i)
        for i in ifaces:
            ipr = built.sock(i.ns)
            idx = ipr.link_lookup(ifname=i.name)[0]
            for a in i.addrs:
                ipr.addr("add", index=idx, address=str(a.ip), prefixlen=a.network.prefixlen)
            ipr.link("set", index=idx, state="up")
            for r in model.ns[i.ns].routes:
                if r.dev == i.name:
                    ipr.route("add", dst=str(r.dst), oif=idx,
                              **({"gateway": str(r.via)} if r.via else {}))
    finally:
        built.close()
