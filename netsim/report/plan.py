"""The addressing plan as data: every network on every host with its endpoints, and the
containers of no network of their own (host, none, container:). The terminal prints it as a
table, the JSON and HTML reports carry it as it is."""

from __future__ import annotations

from netsim.model.graph import Iface, Model

MODES = {"host": "host network of {host}", "none": "none: lo only",
         "container": "container:{joins}"}


def _iface_of(model: Model, cname: str, addr) -> Iface | None:
    ns = model.ns.get(cname)
    if ns is None:
        return None
    return next((i for i in ns.ifaces.values() if addr in i.addrs), None)


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def networks(model: Model) -> list[dict]:
    """Like `docker network inspect`, for every network on every host."""
    out = []
    for net in model.networks.values():
        eps = []
        for cname, addr in net.endpoints.items():
            iface = _iface_of(model, cname, addr)
            eps.append({"container": cname, "address": str(addr.ip),
                        "address6": _s(a.ip) if (a := net.endpoints6.get(cname)) else None,
                        "mac": iface.mac if iface else None,
                        "iface": iface.name if iface else None})
        out.append({"host": net.host or "swarm", "network": net.name, "driver": net.driver,
                    "vni": net.vni or None, "internal": bool(net.internal),
                    "subnet": _s(net.subnet), "subnet6": _s(net.subnet6),
                    "gateway": _s(net.gateway), "gateway6": _s(net.gateway6),
                    "device": net.device, "endpoints": eps})
    return out


def shared(model: Model) -> list[dict]:
    """Containers on their host's network, on none, or in another container's namespace."""
    return [{"host": info.host, "container": cname, "mode": info.mode,
             "means": MODES[info.mode].format(host=info.host, joins=info.joins)}
            for cname, info in model.containers.items() if info.mode in MODES]


def to_json(model: Model) -> dict:
    return {"networks": networks(model), "shared": shared(model)}
