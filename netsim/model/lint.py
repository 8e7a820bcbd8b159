"""Warnings for Docker pitfalls the model can see before anything is built (spec §9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.drivers.overlay import VXLAN_OVERHEAD
from netsim.model.graph import IfKind

if TYPE_CHECKING:
    from netsim.model.build import Builder


def run(b: Builder) -> None:
    for check in CHECKS:
        check(b)


def _warn(b: Builder, pid: str, text: str) -> None:
    b.model.warnings.append((pid, text))


def macvlan_host_isolation(b: Builder) -> None:
    for d in b.daemons.values():
        for st in d.nets.values():
            if st.net.driver == "macvlan" and st.net.endpoints and "shim" not in st.extra:
                _warn(b, "P01", f"{d.name} cannot reach its macvlan containers on "
                      f"{st.net.name} and they cannot reach it: the kernel keeps a macvlan "
                      "parent and its children apart (shim: true is the usual workaround)")


def macvlan_default_pool(b: Builder) -> None:
    for d in b.daemons.values():
        for st in d.nets.values():
            if st.net.driver == "macvlan" and not st.user_subnet:
                _warn(b, "P15", f"networks.{st.net.name}: macvlan without subnet got "
                      f"{st.net.subnet} from Docker's pools, not the LAN's subnet")


def subnet_collides_with_lan(b: Builder) -> None:
    lan = b.sc.lan.subnet
    for key, net in b.model.networks.items():
        if net.subnet and net.subnet.overlaps(lan) and net.driver != "macvlan":
            _warn(b, "P15", f"networks.{net.name} ({key}): {net.subnet} overlaps the LAN {lan}: "
                  "LAN machines in the overlap become unreachable from its containers")


def ip_range_without_gateway(b: Builder) -> None:
    for name, spec in b.sc.networks.items():
        if spec.ip_range and not spec.gateway:
            gws = {str(n.gateway) for n in b.model.networks.values() if n.name == name}
            _warn(b, "P19", f"networks.{name}: ip_range without gateway: Docker makes the "
                  f"range's first free address the gateway ({', '.join(sorted(gws))}); "
                  "give gateway: explicitly")


def host_mode_port_clash(b: Builder) -> None:
    for name, meta in b.model.container_meta.items():
        if meta["mode"] != "host":
            continue
        d = b.daemons[meta["host"]]
        for p in b.sc.containers[name].listen:
            if d.ports.holds(p.port, p.proto):
                _warn(b, "P16", f"containers.{name}: {p} is already held by a published port on "
                      f"{d.name}; the app's bind() will fail with EADDRINUSE")


def overlay_mtu(b: Builder) -> None:
    for name, st in b.swarm.items():
        need = st.extra["mtu"] + VXLAN_OVERHEAD
        for h in st.net.hosts:
            d = b.daemons[h]
            mtu = b.model.ns[d.ns].ifaces[d.spec.interface].mtu
            lan = b.sc.lan.mtu
            if min(mtu, lan) < need:
                _warn(b, "P13", f"networks.{name}: overlay MTU {st.extra['mtu']} needs an "
                      f"underlay of {need}, {h}'s is {min(mtu, lan)}: small packets pass, large "
                      "ones vanish (MTU blackhole)")


def too_many_endpoints(b: Builder) -> None:
    for key, net in b.model.networks.items():
        if len(net.endpoints) > 1000:
            _warn(b, "P21", f"network {key} has {len(net.endpoints)} endpoints; Docker's bridges "
                  "become unstable above about 1000")


def internal_default_route(b: Builder) -> None:
    if b.profile.internal_default_route:
        return
    for d in b.daemons.values():
        for st in d.nets.values():
            if st.net.internal and st.net.endpoints and st.net.driver == "bridge":
                _warn(b, "internal", f"networks.{st.net.name}: --internal: containers get no "
                      "default route; they still reach the gateway address on the host")


def dummy_parent(b: Builder) -> None:
    for ns in b.model.ns.values():
        for i in ns.ifaces.values():
            if i.kind in (IfKind.DUMMY, IfKind.VLAN):
                _warn(b, "kernel", f"{ns.label}: {i.name} is a {i.kind} link; this machine's "
                      "kernel cannot build it, so `netsim run` will refuse this scenario")


def macvlan_passthru(b: Builder) -> None:
    for d in b.daemons.values():
        for st in d.nets.values():
            if st.net.driver == "macvlan" and st.extra.get("mode") == "passthru" and st.net.endpoints:
                _warn(b, "passthru", f"networks.{st.net.name}: passthru hands {st.extra['parent']} "
                      f"to one container: {d.name} itself no longer hears anything on that link")


CHECKS = (macvlan_host_isolation, macvlan_passthru, macvlan_default_pool, subnet_collides_with_lan,
          ip_range_without_gateway, host_mode_port_clash, overlay_mtu, too_many_endpoints,
          internal_default_route, dummy_parent)
