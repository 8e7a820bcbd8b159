"""What one link kind is, for every part of netsim that meets it.

A `LinkKind` holds the frame behaviour the predictor walks, the netlink builder the realizer
calls, the drawing style, and a lint hook. The predictor and the realizer hand the kind their
own context objects (`Frames`, `Build`), so this package imports neither of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from netsim.model.graph import Iface, IfKind, Model

State = tuple[str, str]  # ("tx" | "rx", interface id): a frame leaving / arriving at an iface


class Frames(Protocol):
    """The predictor's view of the links, for a kind's frame behaviour."""

    def iface(self, iface_id: str) -> Iface: ...
    def ports(self, bridge_id: str) -> list[Iface]: ...
    def children(self, lower_id: str) -> list[Iface]: ...
    def tunnel_peers(self, iface: Iface) -> list[str]: ...
    def vlan_peers(self, iface: Iface) -> list[str]: ...
    def transmit(self, iface: Iface) -> list[State]: ...


class Build(Protocol):
    """The realizer's build state, for a kind's netlink builder."""

    up: set[str]
    index: dict[str, int]
    done: set[str]

    def sock(self, ns_id: str) -> Any: ...  # a pyroute2 IPRoute inside that namespace
    def fd(self, ns_id: str) -> int: ...
    def new_index(self, iface: Iface) -> int: ...


@dataclass(frozen=True)
class Style:
    linestyle: Any  # a matplotlib line style
    label: str


@dataclass(frozen=True)
class Tunnel:
    """What a tunnel link carries its frames in on the underlay: the predictor sends that
    packet (so underlay filters and MTU decide) and the tracer watches it."""

    name: str  # "VXLAN": in the predictor's words, and the role of the socket that receives it
    proto: str  # the underlay packet's protocol as the model's packets name it ("udp")
    overhead: int  # bytes the encapsulation adds to the inner packet
    port: Callable[[Iface], int | None]  # the underlay's destination port (None: none)

    @property
    def role(self) -> str:
        """The `Listener.role` of the endpoint that takes the tunnel's packets."""
        return self.name.lower()


def _no_lint(model: Model, iface: Iface) -> str | None:
    return None


def _never(*_: object) -> bool:
    return False


@dataclass(frozen=True)
class LinkKind:
    kind: IfKind
    transmit: Callable[[Frames, Iface], list[State]]  # what a frame sent on it reaches
    build: Callable[[Build, Model, Iface], None]  # create it in the kernel (netlink)
    style: Style
    phase: int = 1  # build order: lower links before the links stacked on them
    forward: Callable[[Frames, Iface], list[State]] | None = None  # a bridge: from a port
    tunnel: Tunnel | None = None  # its frames ride the underlay in that packet
    # a frame that reached the lower link: does it reach this child? (child, origin, isolated)
    accepts: Callable[[Iface, Iface, str | None], bool] = _never
    # a frame from `src` arriving at `iface id`: unheard there (macvlan private broadcasts)
    unheard: Callable[[Iface, str, bool], bool] = _never
    steals_lower: Callable[[Iface], bool] = _never  # the lower link's own stack hears nothing
    isolated_lower: Callable[[Iface], str | None] = lambda src: None  # siblings kept apart
    routed_by_lower: Callable[[Iface], bool] = _never  # ipvlan l3: the lower's stack routes
    unsupported: str | None = None  # a kernel feature this machine lacks: `run` refuses (exit 3)
    lint: Callable[[Model, Iface], str | None] = _no_lint
