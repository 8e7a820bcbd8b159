"""What every runtime's builder shares while a scenario becomes a Model.

The scenario with its positions (so errors point at file:line), the model being filled, stable
ids and MACs, and the LAN's address book. Runtimes (netsim.runtime.*) receive one `Assembly`;
the LAN (netsim.model.lan) is built on it first.
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address

from netsim.errors import ScenarioError
from netsim.model.graph import Endpoint, Iface, IfKind, Listener, Model, Netns, NodeKind
from netsim.scenario.load import Loaded
from netsim.scenario.portspec import PortProto

ANY = IPv4Address("0.0.0.0")


class Assembly:
    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.sc = loaded.scenario
        self.model = Model(self.sc.name, "")  # a runtime names its profile
        self.used_lan: dict[IPv4Address, str] = {}  # LAN address -> who holds it
        self.used_vlan: dict[int, dict[IPv4Address, str]] = {}  # the same, per 802.1Q VLAN
        self.lan_gateway: IPv4Address | None = None
        self.lan_gateway6: IPv6Address | None = None  # the router on lan.ipv6
        # another L2 segment behind the router (a host outside the LAN's subnet) -> its bridge
        self.segments: dict[IPv4Network, str] = {}
        self.default_hosts: dict | None = None  # no `hosts:`: one (model.lan.hosts)

    def error(self, path: tuple, message: str, valid: str | None = None,
              at_key: bool = False) -> ScenarioError:
        return ScenarioError(message, self.loaded.positions.where(path, at_key=at_key), valid)

    def digest(self, *parts: object) -> str:
        text = "/".join(str(p) for p in (self.sc.name, *parts))
        return hashlib.sha256(text.encode()).hexdigest()

    def mac(self, key: tuple, ip: IPv4Address | None = None) -> str:
        """02:42 + the IPv4 address when `ip` is given (Docker <= 27, overlays); otherwise a
        stable hash (unicast, locally administered), so a scenario always gets the same MACs."""
        if ip is not None:
            return "02:42:" + ":".join(f"{b:02x}" for b in ip.packed)
        raw = bytearray(bytes.fromhex(self.digest("mac", *key)[:12]))
        raw[0] = (raw[0] & 0xFE) | 0x02
        return ":".join(f"{b:02x}" for b in raw)

    def add_ns(self, ns_id: str, kind: NodeKind, label: str, **kw) -> Netns:
        ns = self.model.add_ns(Netns(ns_id, kind, label, **kw))
        self.model.add_iface(Iface(ns_id, "lo", IfKind.LOOPBACK, mtu=65536,
                                   addrs=[IPv4Interface("127.0.0.1/8")]))
        return ns

    def listen(self, ns: Netns, ports: tuple[PortProto, ...] | list[PortProto], origin: str,
               ip: IPv4Address = ANY) -> None:
        have = {(x.ip, x.port, x.proto) for x in ns.listeners}
        for p in ports:
            if (ip, p.port, p.proto) not in have:
                have.add((ip, p.port, p.proto))
                ns.listeners.append(Listener(ip, p.port, p.proto, "echo", None, origin))

    def endpoint(self, name: str, kind: NodeKind, ns: str, addresses: dict,
                 addresses6: dict | None = None) -> Endpoint:
        primary = next(iter(addresses.values()), None)
        six = dict(addresses6 or {})
        ep = Endpoint(name, kind, ns, dict(addresses), primary, six, next(iter(six.values()), None))
        self.model.endpoints[name] = ep
        return ep

    def endpoint_address(self, name: str) -> IPv4Address:
        ep = self.model.endpoints[name]
        return ep.addresses.get("lan") or ep.primary
