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
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

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
SETMARK = "CNI-HOSTPORT-SETMARK"
MASQ = "CNI-HOSTPORT-MASQ"
LOCALHOST = IPv4Network("127.0.0.1/32")
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
    pod = IPv4Interface(prev["ips"][0]["address"])
    for key in IGNORED.keys() & a.plugin.keys():
        a.cni.warn("portmap", f"{'.'.join(map(str, a.path))}.{key}: {IGNORED[key]}")
    mark = 1 << int(a.plugin.get("markMasqBit", 13))
    rules = a.cni.model.ns[a.node.ns].rules
    _entry_chains(rules, mark)
    chain = dn_chain(a.conflist["name"], a.container)
    why = f'dnat name: "{a.conflist["name"]}" id: "{a.container}"'
    snat = a.plugin.get("snat", True)
    for m in mappings:
        proto, hport, cport = m["protocol"], int(m["hostPort"]), int(m["containerPort"])
        host_ip = Is(IPv4Network(f"{m['hostIP']}/32")) if m.get("hostIP") else None
        rules.append("nat", DNAT_CHAIN, Rule(Match(proto=proto, dports=(hport,)), Jump(chain),
                                             f"CNI portmap ({why})", why))
        if snat:
            for src in (pod.network, LOCALHOST):  # hairpin, and the node's own localhost
                rules.append("nat", chain, Rule(Match(saddr=Is(src), daddr=host_ip,
                                                      proto=proto, dport=hport), Jump(SETMARK),
                                                f"CNI portmap: {src} to a hostPort is masqueraded"))
        rules.append("nat", chain, Rule(Match(daddr=host_ip, proto=proto, dport=hport),
                                        Dnat(IPv4Address(pod.ip), cport),
                                        f"CNI portmap: hostPort {hport} -> {pod.ip}:{cport}"))
    bridge = prev.get("interfaces", [{}])[0].get("name")
    iface = a.cni.model.ns[a.node.ns].ifaces.get(bridge)
    if iface is not None:
        iface.route_localnet = True  # the plugin sets it on the bridge (cni.md §7)
    return prev


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
