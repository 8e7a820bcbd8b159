"""`portmap` (containernetworking/plugins plugins/meta/portmap, capability `portMappings`):
hostPorts DNATed to the container, in the plugin's own chains. Local destinations jump from
nat PREROUTING and OUTPUT to CNI-HOSTPORT-DNAT, which sends each container's ports to its
CNI-DN-<hash>; there, with `snat` (the default), traffic from the pod network and from
127.0.0.1 is marked (CNI-HOSTPORT-SETMARK, bit 13) before the DNAT, and POSTROUTING's
CNI-HOSTPORT-MASQ masquerades what is marked — so every pod calling a hostPort is seen as
the bridge's gateway (cni.md §7). The bridge gets route_localnet for 127.0.0.1:hostPort.
PREROUTING and OUTPUT's entry rules are appended (after Docker's, on a node where dockerd
ran first: observed), POSTROUTING's is inserted at the top, before the ipMasq rules."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Network, ip_address, ip_interface, ip_network

from netsim.model.rules import Dnat, Is, Jump, Masquerade, Match, Rule, SetMark
from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import BOOL, INT, STRING, extend, list_of

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "PortMapConf", snat=BOOL, conditionsV4=list_of(STRING),
                     conditionsV6=list_of(STRING), markMasqBit=INT,
              externalSetMarkChain=STRING)
DECODE = "failed to parse config: failed to parse network configuration: "

DNAT_CHAIN = "CNI-HOSTPORT-DNAT"
MULTIPORT = 15  # iptables' multiport takes at most 15 ports: the jumps are split so
SETMARK = "CNI-HOSTPORT-SETMARK"
MASQ = "CNI-HOSTPORT-MASQ"
LOCALHOST = IPv4Network("127.0.0.1/32")  # IPv4 only: no rule marks ::1 (cni.md, ipv6.md §10)
IPV6 = True  # maps hostPorts in both families, as 1.1.1 does for the pod's first of each
# keys of later portmap versions that 1.1.1 reads as nothing (observed: the same chains)
IGNORED = {"masqAll": "portmap 1.1.1 ignores it: only the pod network and 127.0.0.1 are "
           "masqueraded when they call a hostPort (later versions masquerade every source)"}


def dn_chain(network: str, container_id: str) -> str:
    """utils.MustFormatChainNameWithPrefix(name, id, "DN-")."""
    return ("CNI-DN-" + hashlib.sha512((network + container_id).encode()).hexdigest())[:28]


def add(a: Add) -> dict:
    mappings = a.args.get("portMappings") or []
    prev = a.prev or {}
    if not mappings:
        return prev
    if not prev.get("ips"):
        raise a.cni.error(a.path, "portmap needs a previous plugin's result with an address "
                          "(it runs after bridge)")
    for key in IGNORED.keys() & a.plugin.keys():
        a.cni.warn("portmap", f"{'.'.join(map(str, a.path))}.{key}: {IGNORED[key]}")
    firsts: dict[int, object] = {}  # the pod's first address of each family
    for ip in prev["ips"]:
        pod = ip_interface(ip["address"])
        firsts.setdefault(pod.version, pod)
    for pod in firsts.values():
        _forward(a, pod, mappings)
    bridge = prev.get("interfaces", [{}])[0].get("name")
    iface = a.cni.model.ns[a.node.ns].ifaces.get(bridge)
    if iface is not None:
        iface.route_localnet = True  # the plugin sets it on the bridge (cni.md §7)
    return prev


def _forward(a: Add, pod, mappings: list[dict]) -> None:
    """One family's rules (iptables or ip6tables), as fillDnatRules writes them: the entry
    chains; the jumps to the container's chain for every mapping, by protocol (sorted), at
    most 15 ports a multiport rule; then per mapping of this family (a hostIP of the other
    family is skipped here, its jump stays) the marks of what is masqueraded, the DNAT."""
    node = a.cni.model.ns[a.node.ns]
    rules = node.ruleset(pod.version)
    mark = 1 << int(a.plugin.get("markMasqBit", 13))
    _entry_chains(rules, mark)
    chain = dn_chain(a.conflist["name"], a.container)
    why = f'dnat name: "{a.conflist["name"]}" id: "{a.container}"'
    snat = a.plugin.get("snat", True)
    # hairpin (the pod network), and in IPv4 the node's own localhost
    sources = (pod.network, LOCALHOST) if pod.version == 4 else (pod.network,)
    by_proto: dict[str, list[int]] = {}
    for m in mappings:
        by_proto.setdefault(m["protocol"], []).append(int(m["hostPort"]))
    for proto in sorted(by_proto):
        ports = by_proto[proto]
        for i in range(0, len(ports), MULTIPORT):
            rules.append("nat", DNAT_CHAIN, Rule(Match(proto=proto, dports=tuple(
                ports[i:i + MULTIPORT])), Jump(chain), f"CNI portmap ({why})", why))
    rules.chain("nat", chain)
    for m in mappings:
        proto, hport, cport = m["protocol"], int(m["hostPort"]), int(m["containerPort"])
        if m.get("hostIP") and ip_address(m["hostIP"]).version != pod.version:
            continue
        host_ip = Is(ip_network(m["hostIP"])) if m.get("hostIP") else None
        if snat:
            for src in sources:
                rules.append("nat", chain, Rule(Match(saddr=Is(src), daddr=host_ip,
                                                      proto=proto, dport=hport), Jump(SETMARK),
                                                f"CNI portmap: {src} to a hostPort is masqueraded"))
        rules.append("nat", chain, Rule(Match(daddr=host_ip, proto=proto, dport=hport),
                                        Dnat(pod.ip, cport),
                                        f"CNI portmap: hostPort {hport} -> {pod.ip}:{cport}"))


def _entry_chains(rules, mark: int) -> None:
    if rules.has("nat", SETMARK):
        return
    local = Match(dst_type="local")
    rules.append("nat", "PREROUTING", Rule(local, Jump(DNAT_CHAIN), "CNI portmap: hostPorts"))
    rules.append("nat", "OUTPUT", Rule(local, Jump(DNAT_CHAIN), "CNI portmap: hostPorts"))
    said = "CNI portfwd requiring masquerade"
    rules.insert("nat", "POSTROUTING", Rule(Match(), Jump(MASQ), said, said))
    said = "CNI portfwd masquerade mark"
    rules.append("nat", SETMARK, Rule(Match(), SetMark(mark, mark), said, said))
    rules.append("nat", MASQ, Rule(Match(mark=(mark, mark)), Masquerade(),
                                   "CNI portfwd: masquerade what SETMARK marked"))
    rules.chain("nat", DNAT_CHAIN)
