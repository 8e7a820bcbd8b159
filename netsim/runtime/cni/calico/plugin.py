"""The `calico` CNI plugin (cni-plugin/pkg/dataplane/linux/dataplane_linux.go), played by netsim
(the binary is not packaged here): a veth whose host side is `cali` + 11 hex of
sha1("<namespace>.<pod>"), MAC ee:ee:ee:ee:ee:ee, proxy ARP on; in the pod the address as /32,
`169.254.1.1 dev eth0` and the default route via it (nobody holds 169.254.1.1: the host answers
ARP for it); on the node a /32 route to the pod. calico-ipam gives the address, or host-local
on the node's podCIDR (Canal: `subnet: usePodCidr`). Later plugins of the chain (portmap) run
for real with this result as prevResult."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import hostlocal
from netsim.runtime.cni.plugins import ipam as cni_ipam
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import ANY, INT, STRING, extend, list_of, map_of, struct

IPAM = struct("IPAMConfig", type=STRING, assign_ipv4=STRING, assign_ipv6=STRING,
              ipv4_pools=list_of(STRING), ipv6_pools=list_of(STRING), subnet=STRING)
CONF = extend(libcni.NETCONF, "NetConf", mtu=INT, nodename=STRING, datastore_type=STRING,
              log_level=STRING, log_file_path=STRING, ipam=IPAM, policy=map_of(ANY),
              kubernetes=map_of(ANY), container_settings=map_of(ANY))
DECODE = "failed to load netconf: "
BY_NETSIM = True  # netsim plays it: its links are netsim's, the plugins after it run for real
ENFORCES_POLICY = True  # calico-node's felix enforces NetworkPolicy for its pods
OWN_IPAM = True  # it reads its `ipam` itself (host-local's `subnet: usePodCidr` is its word)
HOST_MAC = "ee:ee:ee:ee:ee:ee"
GATEWAY = IPv4Address("169.254.1.1")
OVERHEAD = {"vxlan": 50, "ipip": 20, None: 0}  # what felix takes off the host's MTU


def veth_name(namespace: str, pod: str) -> str:
    """workload_endpoint_default.go: "cali" + the first 11 hex digits of sha1(ns.pod)."""
    return "cali" + hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()[:11]


def calico_ipam(a: Add, cal, ipam: dict) -> IPv4Address:
    """The next address of a block affine to the node (from the pools the conf names)."""
    if cal.pool is None:
        raise a.cni.error(a.path, "no IPPool: calico-ipam has no pool to assign from "
                          "(calico-node would create 192.168.0.0/16, which covers netsim's "
                          "LAN)", "calico: [{kind: IPPool, spec: {cidr: 10.48.0.0/16}}]")
    wanted = ipam.get("ipv4_pools") or []
    pools = [p for p in cal.res.pools if p.name in wanted or str(p.cidr) in wanted] \
        if wanted else None
    if wanted and not pools:
        raise a.cni.error((*a.path, "ipam", "ipv4_pools"), f"the given pool(s) {wanted} do not "
                          "exist", ", ".join(p.name for p in cal.res.pools))
    ip = cal.ipam.assign(a.node.name, pools)
    if ip is None:
        raise a.cni.error(a.path, "failed to request IPv4 addresses: No more free affine "
                          "blocks and strict affinity enabled: no free block in any pool")
    return ip


def host_local(a: Add, cal, ipam: dict) -> IPv4Address:
    """k8s.go: `usePodCidr` (in `subnet` or a range) becomes the node's podCIDR — in Canal the
    subnet flannel leased it — and host-local assigns from it; the pod gets it as /32."""
    cidr = _pod_cidr(a)

    def swap(r: object) -> object:
        if isinstance(r, dict) and str(r.get("subnet", "")).lower() == "usepodcidr":
            if cidr is None:
                raise a.cni.error((*a.path, "ipam"), "usePodCidr found but there is no IPv4 "
                                  "CIDR configured", "hosts.NODE.pod_cidr, or flannel:")
            return {**r, "subnet": str(cidr)}
        return r

    conf = swap(ipam)
    if isinstance(conf.get("ranges"), list):  # type: ignore[union-attr]
        conf = {**conf, "ranges": [[swap(r) for r in rs] if isinstance(rs, list) else rs
                                   for rs in conf["ranges"]]}  # type: ignore[index]
    got = hostlocal.lease(replace(a, plugin={**a.plugin, "ipam": conf}), conf)
    if got is None:
        raise a.cni.error((*a.path, "ipam"), "netsim models the calico plugin with IPv4")
    return got.address.ip  # type: ignore[return-value]


def _pod_cidr(a: Add) -> IPv4Network | None:
    """The node's spec.podCIDR: flannel's lease in Canal, else the host's `pod_cidr`."""
    fl = a.cni.flannel
    if fl is not None and a.node.name in fl.leases:
        return fl.leases[a.node.name].subnet
    given = a.node.spec.pod_cidr
    return IPv4Network(str(given)) if given else None


IPAMS = {"calico-ipam": calico_ipam, "host-local": host_local}


def add(a: Add) -> dict:
    cal = a.cni.calico
    ipam = a.plugin.get("ipam") or {}
    kind = ipam.get("type")
    if kind not in IPAMS:
        raise a.cni.error((*a.path, "ipam", "type"), f"netsim models the calico plugin with "
                          f"calico-ipam or host-local only (got {kind!r})", ", ".join(IPAMS))
    ip = IPAMS[kind](a, cal, ipam)
    pod = a.spec.pod
    namespace, name = (pod.namespace, pod.name) if pod else ("default", a.container)
    host_if = veth_name(namespace, name)
    model = a.cni.model
    mtu = int(a.plugin.get("mtu") or 0) or cal.mtu(a.node.name)
    outer = Iface(a.node.ns, host_if, IfKind.VETH, mtu=mtu, mac=HOST_MAC, proxy_arp=True,
                  route_localnet=True, network=a.conflist["name"])
    inner = Iface(a.ns, a.ifname, IfKind.VETH, mtu=mtu, addrs=[IPv4Interface(f"{ip}/32")],
                  mac=a.cni.asm.mac(("calico-pod", a.container)), prefix_route=False,
                  network=a.conflist["name"])
    model.add_iface(outer)
    model.add_iface(inner)
    model.link_veth(outer, inner)
    model.ns[a.node.ns].routes.append(Route(IPv4Network(f"{ip}/32"), host_if))
    model.ns[a.node.ns].forward_on("calico")
    inside = model.ns[a.ns]
    inside.routes.append(Route(IPv4Network(f"{GATEWAY}/32"), a.ifname))
    inside.routes.append(Route(IPv4Network("0.0.0.0/0"), a.ifname, via=GATEWAY))
    cal.endpoint(a.container, a.node.name, ip, host_if, namespace, name,
                 dict(pod.labels) if pod else {})
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": host_if}, {"name": a.ifname, "sandbox": a.ns}],
            "ips": [cni_ipam.ip_entry(IPv4Interface(f"{ip}/32"), None, 1)]}
