"""The Docker runtime's own scenario keys: which dockerd (`docker:`), and each host's dockerd
flags. netsim.runtime.schema composes them into the format."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from netsim.scenario.schema import FieldProblem, IPv4, Strict


def _version(v: Any) -> str:
    """YAML reads 20.10 as the float 20.1; the daemon checks the version itself (profiles)."""
    if isinstance(v, (dict, list)) or v is None:
        raise FieldProblem("expected a Docker version such as \"28\"")
    return "20.10" if v == 20.1 else str(v)


class Keys(Strict):
    docker: Annotated[str, BeforeValidator(_version)] | None = None  # default: the newest


class HostKeys(Strict):
    userland_proxy: bool = True  # dockerd --userland-proxy
    icc: bool = True  # dockerd --icc, for the default bridge
    # dockerd --dns: the containers' (and the embedded DNS's) servers
    dns: list[IPv4] = Field(default_factory=list)
