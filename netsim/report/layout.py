"""Where the topology picture puts everything: a grid computed from the model, not a force
layout, so the same scenario always draws the same and nothing overlaps.

Hosts are columns: a box with the host's own interface (its NIC, where its arrows start) on
the bottom edge and a row per network inside, its hub on the left and its containers in cells
to the right. A container sits once, in the row of its first network; its other networks
link to it from their hubs. macvlan and ipvlan children of the host's LAN interface sit under
the box, on the LAN they really are on. Overlays are boxes side by side above the hosts; the LAN is a bar
under everything with its box at the left end, and the router, `lan`, the peers and
`outside` hang under it. A host addressed outside the LAN sits on a segment of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network

from netsim.links.registry import LINKS
from netsim.model.graph import IfKind, Model, NetRecord, NodeKind

CELL_W, CELL_H = 2.3, 1.05  # one container cell (data units); labels are sized to fit
HUB_W = 2.5
NIC_W, NIC_H = 2.1, 0.5
LAN_ROW = -1.15  # the row under the hosts for children of their LAN interface
PER_ROW = 4
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#d62728"]
GREY = "#444444"
SHARED = "-."  # container: mode shares a namespace: not a link, drawn dash-dot
LAN_BAR = "lan"  # an L2 segment itself: a thick bar
VETH = LINKS[IfKind.VETH].style.linestyle
ON_PARENT = (IfKind.MACVLAN, IfKind.IPVLAN)  # children that sit where their parent's wire is
# what a network's hub says about it beyond name and subnet: (option, value) -> words
AUXILIARY = ("docker_gwbridge",)  # networks Docker adds beside the user's (overlay egress)
HUB_NOTES = {("com.docker.network.bridge.enable_icc", "false"): "icc off"}


@dataclass
class Node:
    """A box on the picture: a container cell, a hub, a NIC, a LAN machine."""

    x: float
    y: float
    w: float
    h: float
    text: str
    kind: str  # container | special | lan | hub | nic
    colour: str


@dataclass
class Layout:
    """What to draw and where: boxes by name (arrows start and end at them), host frames,
    and links between points."""

    nodes: dict[str, Node] = field(default_factory=dict)  # name or "hub:<host>/<net>"
    frames: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    links: list[tuple[tuple[float, float], tuple[float, float], object, str]] = field(
        default_factory=list)
    kinds: set[str] = field(default_factory=set)  # link kinds drawn (the legend lists them)
    width: float = 0.0
    top: float = 0.0
    bottom: float = 0.0

    def add(self, name: str, node: Node) -> tuple[float, float]:
        self.nodes[name] = node
        return node.x, node.y

    def link(self, a: tuple[float, float], b: tuple[float, float], style: object, colour: str,
             kind: str | None = None) -> None:
        self.links.append((a, b, style, colour))
        if kind:
            self.kinds.add(kind)


def colours(model: Model) -> dict[str, str]:
    names = sorted({n.name for n in model.networks.values()})
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def label(name: str, addr: object = None, addr6: object = None) -> str:
    """A box's words: its name, then its address in each family it has."""
    text = name if len(name) <= 16 else name[:15] + "…"
    return "\n".join([text, *(str(a) for a in (addr, addr6) if a is not None)])


def _addrs(net: NetRecord, cname: str) -> tuple:
    six = net.endpoints6.get(cname)
    return net.endpoints[cname].ip, six.ip if six is not None else None


def layout(model: Model) -> Layout:
    lay = Layout()
    colour = colours(model)
    hosts = [ns.id for ns in model.ns.values() if ns.kind == NodeKind.HOST]
    overlays = [n for n in model.networks.values() if n.scope == "swarm"]
    on_lan = {h: [n for n in model.networks.values() if n.host == h and _on_lan(model, n)]
              for h in hosts}
    lan_row = any(on_lan.values())
    bar_y = -2.3 if lan_row else -1.2
    x, tops = 0.0, [1.0]
    for host in hosts:
        x0 = x
        x, top = _host_column(model, lay, host, x, colour, overlays, {n.name for n in on_lan[host]})
        tops.append(top)
        _lan_children(model, lay, host, x0, on_lan[host], colour, bar_y)
    lay.width = max(x, 8.0)
    lay.top = max(tops)
    _overlays(lay, overlays, colour)
    _lan(model, lay, hosts, bar_y)
    return lay


def _on_lan(model: Model, net: NetRecord) -> bool:
    """A macvlan/ipvlan network whose parent is the host's LAN interface (or a VLAN on it):
    its children's lower link, followed down through VLANs, holds the host's LAN address."""
    first = next(iter(net.endpoints), None)
    iface = _iface(model, first, net.name) if first else None
    if iface is None or iface.kind not in ON_PARENT or iface.parent is None:
        return False
    lower = _by_id(model, iface.parent)
    while lower is not None and lower.kind == IfKind.VLAN and lower.parent:
        lower = _by_id(model, lower.parent)
    host = model.endpoints.get(net.host) if net.host else None
    return bool(lower and host and host.addresses.get("lan") in (a.ip for a in lower.addrs))


def _by_id(model: Model, iface_id: str):
    ns, _, name = iface_id.partition("/")
    return model.ns[ns].ifaces.get(name) if ns in model.ns else None


def _iface(model: Model, cname: str, network: str):
    ns = model.ns.get(model.endpoints[cname].ns)
    for i in ns.ifaces.values() if ns else ():
        if i.network == network:
            return i
    return None


def _link_kind(model: Model, cname: str, network: str) -> IfKind:
    iface = _iface(model, cname, network)
    return iface.kind if iface is not None else IfKind.VETH


def _hub_text(net: NetRecord) -> str:
    words = [f"{net.name}" + (f" ({net.driver})" if net.driver not in ("bridge", "null")
                              else ""), str(net.subnet)]
    words += [str(net.subnet6)] if net.subnet6 is not None else []
    notes = [w for (k, v), w in HUB_NOTES.items() if net.options.get(k) == v]
    notes += ["internal"] if net.internal else []
    mode = net.options.get("macvlan_mode") or net.options.get("ipvlan_mode")
    if net.scope == "local" and net.device:
        words.append(net.device if not mode else f"{mode} on {net.device}")
    if notes:
        words.append(", ".join(notes))
    return "\n".join(words)


def _host_column(model: Model, lay: Layout, host: str, x0: float, colour: dict,
                 overlays: list, under: set) -> tuple[float, float]:
    """One host: its frame, its NIC on the frame's bottom edge, a row per network."""
    rows = [net for net in overlays if any(model.containers[c].host == host
                                           for c in net.endpoints)]
    rows += [net for net in model.networks.values()
             if net.host == host and net.name not in under and (net.endpoints or net.name == "bridge")]
    rows.sort(key=lambda n: n.name in AUXILIARY)  # a container sits on its own network's row
    special = [c for c, info in model.containers.items()
               if info.host == host and info.mode in ("host", "none", "container")]
    placed_here = _placement(model, rows, host)
    widest = max([len(v) for v in placed_here.values()] + [len(special), 1])
    beneath = sum(HUB_W + CELL_W * len(n.endpoints) for n in model.networks.values()
                  if n.host == host and n.name in under)  # the LAN row under the frame
    width = max(HUB_W + CELL_W * min(PER_ROW, widest), beneath)
    y = 0.9
    for net in rows:
        members = placed_here[net.name]
        n_rows = max(1, -(-len(members) // PER_ROW))
        hub = lay.add(f"hub:{host}/{net.name}", Node(
            x0 + HUB_W / 2, y + (n_rows - 1) * CELL_H / 2, HUB_W - 0.3, 0.8, _hub_text(net),
            "hub", colour[net.name]))
        for i, cname in enumerate(members):
            lay.add(cname, Node(x0 + HUB_W + CELL_W * (i % PER_ROW) + CELL_W / 2,
                                y + CELL_H * (i // PER_ROW), CELL_W - 0.24, 0.68,
                                label(cname, *_addrs(net, cname)), "container",
                                colour[net.name]))
        _bus(model, lay, net, hub, members)
        elsewhere = [c for c in net.endpoints if model.containers[c].host == host
                     and c in lay.nodes and c not in members]
        if net.name in AUXILIARY and elsewhere:  # Docker's plumbing: said, not drawn
            lay.nodes[f"hub:{host}/{net.name}"].text += f"\negress of {len(elsewhere)}"
            elsewhere = []
        for cname in elsewhere:  # on this network, drawn in another row: a link to it
            kind = _link_kind(model, cname, net.name)
            lay.link(hub, (lay.nodes[cname].x, lay.nodes[cname].y),
                     LINKS[kind].style.linestyle, colour[net.name], LINKS[kind].style.label)
        y += CELL_H * n_rows + 0.35
    y = _special(model, lay, special, x0, y)
    top = y - 0.45  # the last row's top edge plus room for the host's name
    lay.frames.append((x0 - 0.1, 0.0, width + 0.2, top, host))
    address = model.endpoints[host].addresses["lan"]
    lay.add(host, Node(x0 + HUB_W / 2, 0.0, NIC_W, NIC_H, f"{_nic(model, host)} {address}",
                       "nic", GREY))
    return x0 + width + 0.6, top


def _bus(model: Model, lay: Layout, net: NetRecord, hub: tuple[float, float],
         members: list[str]) -> None:
    """The row's containers on a bus, not a fan of links from the hub: a line along each
    row of cells (behind them: the cells are opaque) and one down the hub's side to it, in
    the line style of the link kind most of them have."""
    if not members:
        return
    kinds = [_link_kind(model, c, net.name) for c in members]
    style = LINKS[max(set(kinds), key=kinds.count)].style
    colour = lay.nodes[members[0]].colour
    rows: dict[float, float] = {}
    for c in members:
        node = lay.nodes[c]
        rows[node.y] = max(rows.get(node.y, node.x), node.x)
    hx, hy = hub
    for y, last in rows.items():
        if y != hy:
            lay.link((hx + HUB_W / 2 - 0.15, hy), (hx + HUB_W / 2 - 0.15, y), style.linestyle,
                     colour, style.label)
            lay.link((hx + HUB_W / 2 - 0.15, y), (last, y), style.linestyle, colour)
        else:
            lay.link(hub, (last, y), style.linestyle, colour, style.label)


def _placement(model: Model, rows: list, host: str) -> dict[str, list[str]]:
    """Each container of the host in the row of the first network it is on."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for net in rows:
        out[net.name] = [c for c in net.endpoints
                         if model.containers[c].host == host and c not in seen]
        seen.update(out[net.name])
    return out


def _nic(model: Model, host: str) -> str:
    address = model.endpoints[host].addresses["lan"]
    for i in model.ns[host].ifaces.values():
        if address in (a.ip for a in i.addrs):
            return i.name
    return "eth0"


def _special(model: Model, lay: Layout, special: list[str], x0: float, y: float) -> float:
    for i, cname in enumerate(special):
        info = model.containers[cname]
        how = {"host": "host network", "none": "none (lo)",
               "container": f"container:{info.joins}"}[info.mode]
        at = lay.add(cname, Node(x0 + HUB_W + CELL_W * (i % PER_ROW) + CELL_W / 2,
                                 y + CELL_H * (i // PER_ROW), CELL_W - 0.24, 0.68,
                                 label(cname, how), "special", "#555555"))
        if info.mode == "container" and info.joins in lay.nodes:
            joined = lay.nodes[info.joins]
            lay.link((joined.x, joined.y), at, SHARED, "#555555", "shared namespace")
    if special:
        y += CELL_H * -(-len(special) // PER_ROW) + 0.35
    return y


def _lan_children(model: Model, lay: Layout, host: str, x0: float, nets: list, colour: dict,
                  bar_y: float) -> None:
    """macvlan/ipvlan networks on the host's LAN interface: their hub under the host's NIC
    (the parent's wire runs through it), their containers beside it, each on the LAN bar."""
    x = x0
    for net in nets:
        lay.add(f"hub:{host}/{net.name}", Node(x + HUB_W / 2, LAN_ROW, HUB_W - 0.3, 0.8,
                                               _hub_text(net), "hub", colour[net.name]))
        x += HUB_W
        for cname in net.endpoints:
            kind = LINKS[_link_kind(model, cname, net.name)].style
            at = lay.add(cname, Node(x + CELL_W / 2, LAN_ROW, CELL_W - 0.24, 0.68,
                                     label(cname, *_addrs(net, cname)), "container",
                                     colour[net.name]))
            lay.link(at, (at[0], bar_y), kind.linestyle, colour[net.name], kind.label)
            x += CELL_W


def _overlays(lay: Layout, overlays: list, colour: dict) -> None:
    """Each overlay as a band above the hosts, linked by VXLAN to its bridge on every host
    (Docker's br0 in the network's namespace there), where the host's containers attach."""
    vxlan = LINKS[IfKind.VXLAN].style
    y = lay.top + 1.2
    for i, net in enumerate(overlays):  # side by side, so no VXLAN line runs behind another
        band = lay.add(f"hub:swarm/{net.name}", Node(
            lay.width * (i + 1) / (len(overlays) + 1), y, HUB_W + 0.6, 0.8,
            f"{net.name} (overlay, VNI {net.vni})\n{net.subnet}", "hub", colour[net.name]))
        for key, node in list(lay.nodes.items()):
            if key.startswith("hub:") and key.endswith(f"/{net.name}") and node is not band:
                lay.link((node.x, node.y), band, vxlan.linestyle, colour[net.name], vxlan.label)
    lay.top += 1.7 if overlays else 0.0


def _lan(model: Model, lay: Layout, hosts: list[str], bar_y: float) -> None:
    """The LAN bar under the hosts with its box at the left end, and its machines under it."""
    lan_net = _lan_subnet(model)
    six = next((a.network for i in model.ns["router"].ifaces.values() if i.name == "eth0"
                for a in i.addrs if a.version == 6 and not a.is_link_local), None)
    lay.add("hub:lan", Node(-1.6, bar_y, HUB_W - 0.3, 0.8, label("LAN", lan_net, six), "hub",
                            GREY))
    lay.link((-1.6, bar_y), (lay.width, bar_y), LAN_BAR, GREY)
    on_segment = {}  # host -> its segment, when it sits behind the router
    for host in hosts:
        nic = lay.nodes[host]
        addr = model.endpoints[host].addresses["lan"]
        if addr in lan_net:
            lay.link((nic.x, nic.y), (nic.x, bar_y), VETH, GREY)
        else:
            on_segment[host] = next(i.addrs[0].network for i in model.ns[host].ifaces.values()
                                    if addr in (a.ip for a in i.addrs))
    others = [e for e in model.endpoints.values()
              if e.kind in (NodeKind.ROUTER, NodeKind.LAN_PEER)]
    y = bar_y - 1.2
    for i, ep in enumerate(others):
        at = lay.add(ep.name, Node(CELL_W * i + CELL_W / 2, y, CELL_W - 0.24, 0.68,
                                   label(ep.name, ep.addresses.get("lan"),
                                         ep.addresses6.get("lan")), "lan", GREY))
        lay.link((at[0], bar_y), at, VETH, GREY)
    rx, ry = lay.nodes["router"].x, lay.nodes["router"].y
    out = lay.add("outside", Node(rx, ry - 1.4, CELL_W - 0.24, 0.68,
                                  label("outside", model.endpoints["outside"].primary,
                                        model.endpoints["outside"].primary6), "lan", GREY))
    lay.link((rx, ry), out, VETH, GREY)
    bottom = ry - 1.9
    for segment in sorted(set(on_segment.values())):
        _segment(lay, segment, [h for h, s in on_segment.items() if s == segment], bottom - 0.4)
        bottom -= 0.8
    lay.bottom = bottom
    lay.width = max(lay.width, CELL_W * len(others) + 0.5)


def _lan_subnet(model: Model) -> IPv4Network:
    return next(i.addrs[0].network for i in model.ns["router"].ifaces.values()
                if i.name == "eth0")


def _segment(lay: Layout, segment, hosts: list[str], y: float) -> None:
    """Another L2 segment behind the router: its own bar below the LAN's machines, the
    router's port on it, and the hosts on it dropping to it (not to the LAN)."""
    router = lay.nodes["router"]
    xs = [lay.nodes[h].x for h in hosts]
    x0, x1 = min([router.x + 0.5, *xs]), max([router.x + 0.5, *xs])
    lay.link((x0, y), (x1, y), LAN_BAR, "#777777")
    lay.link((router.x + 0.5, router.y), (router.x + 0.5, y), VETH, "#777777")
    for h in hosts:
        lay.link((lay.nodes[h].x, lay.nodes[h].y), (lay.nodes[h].x, y), VETH, "#777777")
    lay.add(f"hub:segment/{segment}", Node(x1 + 1.4, y, HUB_W - 0.3, 0.8,
                                           f"segment {segment}\nbehind the router", "hub",
                                           "#777777"))
    lay.width = max(lay.width, x1 + 2.6)
