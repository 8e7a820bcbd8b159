"""Docker's network drivers and container network modes, one module each (spec §1-§8).

DRIVERS: what `docker network create -d NAME` accepts (plus the built-in ones); a new driver is
one module and one line here. MODES: what `docker run --network X` can mean. Driver modules
never import this registry: the runtime hands it to them in the Docker context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netsim.runtime.docker.drivers import (
    bridge,
    container,
    host,
    ipvlan,
    macvlan,
    networks,
    none,
    overlay,
)


@dataclass(frozen=True)
class Driver:
    name: str
    scope: str  # "local": one daemon; "swarm": spans hosts
    user_creatable: bool
    validate: Callable  # (dk, name, spec, path): refuse options it does not take
    create: Callable  # (dk, daemon, st, spec): devices and rules in the daemon's namespace
    attach: Callable  # (Join) -> the interface inside the container
    gives_gateway: Callable  # (dk, st): does an endpoint here give the default route?
    create_swarm: Callable | None = None  # swarm scope: (dk, name, spec, path)


def _nothing(*_: object) -> None:
    return None


def _never(*_: object) -> bool:
    return False


DRIVERS: dict[str, Driver] = {
    "bridge": Driver("bridge", "local", True, networks.validate_bridge, bridge.create,
                     bridge.attach, bridge.gives_gateway),
    "macvlan": Driver("macvlan", "local", True, macvlan.validate, macvlan.create, macvlan.attach,
                      macvlan.gives_gateway),
    "ipvlan": Driver("ipvlan", "local", True, ipvlan.validate, ipvlan.create, ipvlan.attach,
                     ipvlan.gives_gateway),
    "overlay": Driver("overlay", "swarm", True, overlay.validate, _nothing, overlay.attach,
                      overlay.gives_gateway, overlay.create_swarm),
    "host": Driver("host", "local", False, _nothing, _nothing, _nothing, _never),
    "null": Driver("null", "local", False, _nothing, _nothing, _nothing, _never),
}

# `docker run --network X`: user networks, host, none, container:NAME -> (Run) -> None
MODES: dict[str, Callable] = {
    "networks": networks.run,
    "host": host.run,
    "none": none.run,
    "container": container.run,
}
