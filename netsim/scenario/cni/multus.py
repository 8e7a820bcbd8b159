"""Multus (k8snetworkplumbingwg/multus-cni), the thin plugin: a meta plugin in net.d that runs
other networks for each pod. Its cluster network — the delegate marked `masterplugin` (Multus
v1/v2), else the first of `delegates` (v3+), else the network `clusterNetwork` names — gets
eth0; later delegates get net1, net2, ... netsim follows the cluster network, which it models
like any conflist (a pod here has one network), and says what else Multus would attach.

The thick plugin (`multus-shim`) asks its daemon, whose own config names the networks: it is
not followed (the cluster network's file beside it still is)."""

from __future__ import annotations

from dataclasses import dataclass

from netsim.scenario.cni import gojson, libcni

TYPES = ("multus",)
MAX_DELEGATES = 64


@dataclass(frozen=True)
class Cluster:
    """Where the cluster network stands: inline (`delegate`, at key path `at` inside the
    multus plugin) or by name/file (`named`); `others`: what Multus attaches besides."""

    delegate: object | None
    at: tuple
    named: str | None
    others: list[str]


def cluster(conf: dict) -> Cluster | None:
    """The cluster network of a multus conflist (None: not one); libcni.Invalid when Multus
    would refuse the config."""
    plugins = conf["plugins"]
    if len(plugins) != 1 or plugins[0]["type"] not in TYPES:
        return None
    p = plugins[0]
    delegates = p.get("delegates")
    if delegates is not None and not isinstance(delegates, list):
        raise libcni.Invalid(f"json: cannot unmarshal {gojson.kind_of(delegates)} into Go struct "
                      "field NetConf.delegates of type []map[string]interface {}",
                      ("plugins", 0, "delegates"))
    if delegates:
        if len(delegates) > MAX_DELEGATES:
            raise libcni.Invalid(f"{len(delegates)} delegates: netsim reads at most {MAX_DELEGATES}",
                          ("plugins", 0, "delegates"))
        master = next((i for i, d in enumerate(delegates)
                       if isinstance(d, dict) and d.get("masterplugin") is True), 0)
        others = [_name(d, i) for i, d in enumerate(delegates) if i != master]
        return Cluster(delegates[master], ("plugins", 0, "delegates", master), None, others)
    named = p.get("clusterNetwork")
    if isinstance(named, str) and named:
        return Cluster(None, ("plugins", 0, "clusterNetwork"), named, [])
    raise libcni.Invalid("at least one delegate/defaultNetwork must be specified", ("plugins", 0))


def _name(delegate: object, i: int) -> str:
    name = delegate.get("name") if isinstance(delegate, dict) else None
    return f"{name!r} (net{i})" if name else f"delegates[{i}] (net{i})"


def note(source: str, name: str, c: Cluster) -> str | None:
    """What Multus attaches that netsim does not model here."""
    if not c.others:
        return None
    return (f"{source}: Multus also attaches {', '.join(c.others)} to every pod; netsim "
            f"follows its cluster network {name!r} (eth0) only, so those are not predicted")
