"""When `network connect`, `network disconnect` and `docker rm` happen in a scenario: keyed by
the container that runs just after them (True: after every run), as netsim.scenario.commands
records them. The model's dockerd and a real engine follow the same schedule."""

from __future__ import annotations

from dataclasses import dataclass

from netsim.scenario.schema import Attach, Container


@dataclass(frozen=True)
class Event:
    kind: str  # "connect" | "disconnect" | "rm"
    container: str
    network: str | None = None
    attach: Attach | None = None


def schedule(containers: dict[str, Container]) -> dict[str | bool, list[Event]]:
    out: dict[str | bool, list[Event]] = {}

    def at(when: str | bool, event: Event) -> None:
        if when is not False:
            out.setdefault(when, []).append(event)

    for name, spec in containers.items():
        for net, attach in (spec.networks or {}).items():
            at(attach.connect, Event("connect", name, net, attach))
        for net, attach in (spec.networks or {}).items():
            at(attach.removed, Event("disconnect", name, net, attach))
        at(spec.removed, Event("rm", name))
    return out
