"""Warnings for what CNI users get wrong (cni.md §5), visible in the model before rollout."""

from __future__ import annotations

from netsim.runtime.cni.context import Cni


def run(cni: Cni) -> None:
    for check in CHECKS:
        check(cni)


def _warn(cni: Cni, pid: str, text: str) -> None:
    cni.model.warnings.append((pid, text))


def hostport_without_hairpin(cni: Cni) -> None:
    for name, conf in cni.conflists.items():
        maps = any((p.get("capabilities") or {}).get("portMappings") for p in conf["plugins"])
        bridges = [p for p in conf["plugins"] if p.get("type") == "bridge"]
        if maps and bridges and not any(p.get("hairpinMode") for p in bridges):
            _warn(cni, "C01", f"cni.{name}: hostPorts without hairpinMode: a pod cannot reach "
                  "its own hostPort through the node's address (set hairpinMode: true on the "
                  "bridge plugin)")


def no_masquerade(cni: Cni) -> None:
    for name, conf in cni.conflists.items():
        bridges = [p for p in conf["plugins"] if p.get("type") == "bridge"]
        if bridges and not any(p.get("ipMasq") for p in bridges):
            _warn(cni, "C02", f"cni.{name}: ipMasq is off: pods reach beyond the node only if "
                  "the network routes their subnet back to it (lan.routes), else no egress")


def shared_range(cni: Cni) -> None:
    for node in cni.nodes.values():
        seen: dict = {}
        for network, store in node.stores.items():
            other = next((n for n, s in seen.items() if s.overlaps(store.subnet)), None)
            if other:
                _warn(cni, "C03", f"{node.name}: networks {other} and {network} share "
                      f"{store.subnet}: host-local keeps one store per network, so both hand "
                      "out the same addresses")
            seen[network] = store.subnet


CHECKS = (hostport_without_hairpin, no_masquerade, shared_range)
