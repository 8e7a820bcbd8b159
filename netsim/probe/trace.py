"""The path a packet really took: one probe, marked (its own source port, or ICMP id), sent
with nftables tracing on for that packet alone in every namespace of the lab; each
namespace's trace events (`nft monitor trace`: the chains and rules it met, their verdicts,
NAT included), the conntrack entries it left (original and reply tuple: the rewrite), and the
bridges' forwarding entries where netfilter does not look. Then, beside the prediction, the
first hop where the kernel left it.

The trace rule is a table of its own (`netsim_trace`, hooks at priority -350, before raw and
conntrack) in the lab's own namespaces, removed afterwards; the namespaces are netsim's, so
a crash leaves it inside what `down` removes anyway.
"""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from ipaddress import ip_address

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.links.registry import LINKS
from netsim.model.graph import IfKind, Model, NodeKind
from netsim.probe import send_one
from netsim.realize import nft
from netsim.realize.sandbox import NETNS_DIR, in_netns, in_thread

TABLE = "netsim_trace"
SETTLE = 0.25  # seconds for `nft monitor` to subscribe, and for the last events to arrive
LINE = re.compile(r"^trace id (\w+) (\w+) (\S+) (\S+) (packet|rule|policy|verdict|unknown)"
                  r":?\s*(.*)$")
VERDICT = re.compile(r"\(verdict (\w+)(?: ([\w-]+))?\)\s*$")
IP_HOOKED = (NodeKind.CONTAINER, NodeKind.HOST, NodeKind.ROUTER, NodeKind.OUTSIDE,
             NodeKind.LAN_PEER)


@dataclass
class Step:
    """One trace event in a namespace: a chain's view of the packet, a rule that matched
    (with its verdict), or a chain's policy."""

    table: str
    chain: str
    kind: str  # packet | rule | policy | verdict
    text: str
    verdict: str | None = None  # accept, drop, jump, goto, return, continue
    target: str | None = None  # jump/goto: the chain
    packet: str = ""  # nft's trace id: one per packet of the flow (request, reply, ...)

    @property
    def rewrite(self) -> bool:
        return bool(re.search(r"\b(dnat|snat|masquerade|redirect)\b", self.text))


@dataclass
class Hop:
    node: str  # the model's namespace id
    label: str
    steps: list[Step] = field(default_factory=list)
    conntrack: list[str] = field(default_factory=list)  # "orig -> reply" per entry
    fdb: list[str] = field(default_factory=list)  # bridges that forwarded it (L2)

    @property
    def saw(self) -> bool:
        return bool(self.steps or self.fdb)

    @property
    def dropped(self) -> Step | None:
        return next((s for s in self.steps if s.verdict == "drop"), None)

    def rules(self) -> list[Step]:
        """The rules and policies that decided something (not a mere `continue`)."""
        return [s for s in self.steps if s.kind in ("rule", "policy")
                and s.table != TABLE and s.verdict != "continue"]

    def decisions(self) -> list[Step]:
        """What decided the first packet here (the request): its accepts, drops and
        rewrites, each once, without the jumps between chains; any later drop too."""
        first = next((s.packet for s in self.steps), None)
        out: dict[tuple, Step] = {}
        for s in self.rules():
            if s.verdict in ("jump", "goto", "return") or (s.packet != first
                                                           and s.verdict != "drop"):
                continue
            if s.kind == "policy" and s.verdict == "accept":
                continue  # a chain that let it through without a rule: nothing decided
            out.setdefault((s.table, s.chain, s.text, s.verdict), s)
        return list(out.values())

    @property
    def packets(self) -> int:
        return len({s.packet for s in self.steps})


@dataclass
class Trace:
    probe: Probe
    predicted: Outcome
    observed: Outcome
    hops: list[Hop]  # the predicted path's namespaces first, in order, then any other
    difference: str | None = None  # where the kernel left the prediction, in words
    # the lab's tunnels, traced too: (underlay proto, port) -> the tunnel's name
    tunnels: dict[tuple[str, int | None], str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"observed": self.observed.result, "difference": self.difference,
                "hops": [{"node": h.label, "saw": h.saw, "packets": h.packets,
                          "rules": [f"{s.table} {s.chain}: {s.text} -> {s.verdict}"
                                    for s in h.decisions()],
                          "conntrack": h.conntrack, "fdb": h.fdb} for h in self.hops]}


def _nsenter(ns: str, argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["nsenter", f"--net={NETNS_DIR / ns}", *argv], capture_output=True,
                          text=True, **kw)


def _mark() -> int:
    return random.randint(61000, 61999)  # below the ephemeral range the prober uses


def _trace_rules(proto: str, mark: int, tunnels: list[tuple[str, int | None]]) -> str:
    """The marked flow both ways; and the tunnels' packets (VXLAN): nothing else runs while a
    trace is sent, so the encapsulated leg between hosts is this probe's."""
    match = ([f"icmp id {mark}", f"icmpv6 id {mark}"] if proto == "icmp" else
             [f"{proto} sport {mark}", f"{proto} dport {mark}"])
    match += [f"{p} dport {port}" if port is not None else f"meta l4proto {p}"
              for p, port in tunnels]
    body = "\n".join(f"    {m} meta nftrace set 1" for m in match)
    chains = "\n".join(f"  chain {hook} {{\n    type filter hook {hook} priority -350;\n{body}\n  }}"
                       for hook in ("prerouting", "output"))
    return f"table inet {TABLE} {{\n{chains}\n}}\n"  # inet: both families


def run(model: Model, names: dict[str, str], probe: Probe, predicted: Outcome,
        timeout: float = 1.0) -> Trace:
    """Send `probe` once, traced; `names` maps the model's namespace ids to the lab's."""
    kinds = (*IP_HOOKED, NodeKind.SWITCH, NodeKind.OVERLAY)
    ours = {node: ns for node, ns in names.items()
            if node in model.ns and model.ns[node].kind in kinds}
    mark = _mark()
    tunnels = {(t.proto, t.port(i)): t.name for ns in model.ns.values()
               for i in ns.ifaces.values() if (t := LINKS[i.kind].tunnel)}
    rules = _trace_rules(probe.proto, mark, sorted(tunnels, key=lambda pp: (pp[0], pp[1] or 0)))
    spaces = sorted(set(ours.values()))
    monitors = {}
    armed: list[str] = []  # the namespaces the trace table went into: it comes out of them
    try:
        for ns in spaces:
            nft.load_text(ns, rules)
            armed.append(ns)
            monitors[ns] = subprocess.Popen(
                ["nsenter", f"--net={NETNS_DIR / ns}", "nft", "monitor", "trace"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(SETTLE)
        observed = _send(names.get(probe.src_ns, probe.src_ns), probe, mark, timeout)
        time.sleep(SETTLE)
    finally:
        events = _collect(monitors)
        for ns in armed:
            nft.load_text(ns, f"delete table inet {TABLE}")
    by_ns = {ns: [_step(line) for line in events.get(ns, []) if LINE.match(line)]
             for ns in spaces}
    hops = _hops(model, ours, predicted, by_ns)
    tracked = _conntrack({h.node: ours[h.node] for h in hops if h.saw}, mark)
    for hop in hops:
        hop.conntrack = tracked.get(hop.node, [])
    _bridges(model, ours, hops)
    trace = Trace(probe, predicted, observed, hops, tunnels=tunnels)
    trace.difference = difference(model, trace)
    return trace


def _send(ns: str, probe: Probe, mark: int, timeout: float) -> Outcome:
    """The marked probe, from a short-lived thread inside the source namespace."""
    def send() -> dict:
        with in_netns(ns):
            return send_one.send(probe.proto, str(probe.dst), probe.port or 0, mark, timeout)

    said = in_thread(send)
    seen = ip_address(said["seen"]) if said.get("seen") else None
    evidence = [said["error"]] if said.get("error") else (
        [f"the server saw {seen}"] if seen else ["answered"])
    return Outcome(Verdict.of(said["result"]), seen, evidence=evidence)


def _collect(monitors: dict[str, subprocess.Popen]) -> dict[str, list[str]]:
    out = {}
    for ns, proc in monitors.items():
        proc.terminate()
        try:
            text, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            text, _ = proc.communicate()
        out[ns] = text.splitlines()
    return out


def _step(line: str) -> Step:
    m = LINE.match(line)
    assert m is not None
    packet, _family, table, chain, kind, text = m.groups()
    verdict = target = None
    v = VERDICT.search(text)
    if v:
        verdict, target = v.group(1), v.group(2)
        text = text[:v.start()].strip()
    elif kind in ("policy", "verdict"):
        verdict = text.split()[0] if text else None
    text = re.sub(r'\s*counter packets \d+ bytes \d+', "", text)
    text = re.sub(r'\s*comment "[^"]*"', "", text).strip()
    return Step(table, chain, kind, text, verdict, target, packet)


def _hops(model: Model, ours: dict[str, str], predicted: Outcome,
          by_ns: dict[str, list[Step]]) -> list[Hop]:
    label_to_node = {model.ns[n].label: n for n in ours}
    order = [label_to_node[h] for h in predicted.path if h in label_to_node]
    order = list(dict.fromkeys(order))
    seen_elsewhere = [n for n in ours if n not in order and any(
        s.table != TABLE or s.kind == "packet" for s in by_ns.get(ours[n], []))]
    hops = []
    for node in order + seen_elsewhere:
        steps = by_ns.get(ours[node], [])
        hops.append(Hop(node, model.ns[node].label, steps))
    return hops


def _conntrack(spaces: dict[str, str], mark: int) -> dict[str, list[str]]:
    """Each namespace's conntrack entries of the marked flow (pyroute2's NFCTSocket, made
    inside the namespace), all in one short-lived thread: setns moves only that thread, and
    pyroute2's loop stays clear of a notebook's."""
    from pyroute2 import NFCTSocket

    def dump() -> dict[str, list[str]]:
        out = {}
        for node, ns in spaces.items():
            out[node] = []
            with in_netns(ns):  # pyroute2 opens its socket on first use: dump in there
                for family in (socket.AF_INET, socket.AF_INET6):  # one table per family
                    sock = NFCTSocket(nfgen_family=family)
                    try:
                        out[node] += [line for m in sock.dump() if (line := _entry(m, mark))]
                    finally:
                        sock.close()
        return out

    return in_thread(dump)


def _entry(m, mark: int) -> str | None:
    tuples = []
    for key in ("CTA_TUPLE_ORIG", "CTA_TUPLE_REPLY"):
        t = m.get_attr(key)
        ip, pr = t.get_attr("CTA_TUPLE_IP"), t.get_attr("CTA_TUPLE_PROTO")
        v6 = ip.get_attr("CTA_IP_V6_SRC") is not None
        tuples.append([ip.get_attr("CTA_IP_V6_SRC" if v6 else "CTA_IP_V4_SRC"),
                       ip.get_attr("CTA_IP_V6_DST" if v6 else "CTA_IP_V4_DST"),
                       pr.get_attr("CTA_PROTO_SRC_PORT"), pr.get_attr("CTA_PROTO_DST_PORT"),
                       pr.get_attr("CTA_PROTO_ICMP_ID") or pr.get_attr("CTA_PROTO_ICMPV6_ID")])
    orig, reply = tuples
    if mark not in (*orig[2:], *reply[2:]):
        return None
    return f"{_tuple(orig)} -> reply {_tuple(reply)}"


def _tuple(t: list) -> str:
    src, dst, sport, dport, ident = t
    if sport is None:
        return f"{src} > {dst} id {ident}"
    return f"{_host(src)}:{sport} > {_host(dst)}:{dport}"


def _host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


FRESH = 5  # seconds: a bridge entry updated this recently was this probe's frames


def _bridges(model: Model, ours: dict[str, str], hops: list[Hop]) -> None:
    """Where netfilter does not look (a plain bridge: the LAN switch, an overlay's br0):
    a bridge that refreshed the sending interface's MAC just now forwarded the frame. A
    bridge namespace that is no hop yet joins the path where it did."""
    macs = {}
    for hop in hops:
        for iface in model.ns[hop.node].ifaces.values():
            if iface.mac and iface.kind != IfKind.BRIDGE:
                macs[iface.mac.lower()] = f"{hop.label}/{iface.name}"
    known = {h.node: h for h in hops}
    for node, ns in ours.items():
        if not any(i.kind == IfKind.BRIDGE for i in model.ns[node].ifaces.values()):
            continue
        got = _nsenter(ns, ["bridge", "-s", "-j", "fdb", "show"], timeout=10)
        try:
            entries = json.loads(got.stdout or "[]")
        except ValueError:
            continue
        found = [f"{e['master']} learned {macs[mac]} ({mac}) on {e['ifname']}"
                 for e in entries
                 if (mac := str(e.get("mac", "")).lower()) in macs and e.get("master")
                 and "permanent" not in str(e.get("state", ""))
                 and int(e.get("updated", 0)) <= FRESH]
        if not found:
            continue
        if node not in known:
            known[node] = Hop(node, model.ns[node].label)
            hops.append(known[node])
        known[node].fdb += found


def difference(model: Model, trace: Trace) -> str | None:
    """The first hop where the kernel did not do what the model says, in words; None when
    it went as predicted."""
    pred = trace.predicted
    for hop in trace.hops:
        if hop.node not in model.ns or model.ns[hop.node].kind not in IP_HOOKED:
            continue
        if not hop.saw and hop.node == trace.probe.src_ns and pred.result == \
                trace.observed.result:
            return None  # refused before any hook (no route: ENETUNREACH), as predicted
        if not hop.saw and hop.label in pred.path:
            before = _previous(trace, hop)
            where = f" after {before.label}" if before else ""
            drop = before.dropped if before else None
            said = f" ({drop.table} {drop.chain}: {drop.text})" if drop else ""
            return f"the packet never reached {hop.label}{where}{said}"
        drop = hop.dropped
        if drop and pred.result != Verdict.BLOCKED:
            return f"{hop.label} dropped it in {drop.table} {drop.chain}: {drop.text}"
        if drop and pred.dropped_by and pred.dropped_by[0] == hop.node and (  # "ip6 raw": raw
                pred.dropped_by[1].split()[-1], pred.dropped_by[2]) != (drop.table, drop.chain):
            return (f"{hop.label} dropped it in {drop.table} {drop.chain}, the model says in "
                    f"{pred.dropped_by[1]} {pred.dropped_by[2]}")
    if trace.observed.result not in (pred.result, Verdict.INCONCLUSIVE):
        return f"the kernel says {trace.observed.result}, the model {pred.result}"
    return None


def _previous(trace: Trace, hop: Hop) -> Hop | None:
    i = trace.hops.index(hop)
    return next((h for h in reversed(trace.hops[:i]) if h.saw), None)
