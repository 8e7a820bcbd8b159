"""Docker's network drivers and container network modes, one module each (spec §1-§7).

DRIVERS: what `docker network create -d NAME` accepts (plus the built-in ones).
MODES: what `docker run --network X` can mean: user networks, host, none, container:NAME.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netsim.model.drivers import bridge, container, host, macvlan, networks, none, overlay


@dataclass(frozen=True)
class Driver:
    name: str
    scope: str  # "local": one daemon; "swarm": spans hosts
    user_creatable: bool
    validate: Callable
    create: Callable  # local scope: add devices and rules to the daemon's namespace
    attach: Callable  # one container endpoint -> the interface inside the container
    provides_gateway: Callable  # does an endpoint on this network give the default route?
    create_swarm: Callable | None = None


def _no_check(*_: object) -> None:
    return None


def _bridge_create(b, d, st, spec) -> None:
    bridge.create(b, d, st)


DRIVERS: dict[str, Driver] = {
    "bridge": Driver("bridge", "local", True, networks.validate_bridge, _bridge_create,
                     networks.bridge_attach, networks.bridge_gateway),
    "macvlan": Driver("macvlan", "local", True, macvlan.validate, macvlan.create, macvlan.attach,
                      macvlan.provides_gateway),
    "overlay": Driver("overlay", "swarm", True, overlay.validate, _no_check, overlay.attach,
                      overlay.provides_gateway, overlay.create_swarm),
    "host": Driver("host", "local", False, _no_check, _no_check, _no_check, lambda *_: False),
    "null": Driver("null", "local", False, _no_check, _no_check, _no_check, lambda *_: False),
}


@dataclass(frozen=True)
class Mode:
    name: str
    run: Callable  # (builder, daemon, name, spec, path, target, nets) -> None


MODES: dict[str, Mode] = {
    "networks": Mode("networks", networks.run),
    "host": Mode("host", host.run),
    "none": Mode("none", none.run),
    "container": Mode("container", container.run),
}
