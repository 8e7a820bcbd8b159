"""`--engine docker`: managed daemons (default; `--dockerd PATH` picks the binaries) or an
existing engine (`--docker-host URL`)."""

from __future__ import annotations

from netsim.engine.docker import daemons, existing, managed
from netsim.engine.running import Running
from netsim.model.graph import Model
from netsim.runtime import registry as runtime
from netsim.scenario.load import Loaded


def version(options: dict) -> str:
    if options.get("docker_host"):
        return existing.version(options["docker_host"])
    return daemons.version(daemons.dockerd_binary(options.get("dockerd")))


def up(loaded: Loaded, model: Model, options: dict) -> Running:
    if options.get("docker_host"):
        return existing.up(loaded, model, options["docker_host"], options.get("probe_by"))
    return managed.up(loaded, model, runtime.world(loaded),
                      daemons.dockerd_binary(options.get("dockerd")))


def attach(journal: dict, model: Model, names: dict[str, str]) -> Running:
    eng = journal.get("engine") or {}
    if eng.get("docker_host"):
        return existing.running(eng["docker_host"], eng.get("version", "?"),
                                dict(eng.get("names") or {}), dict(eng.get("failed_runs") or {}),
                                eng.get("probe_by", "setns"),
                                {n: tuple(v) for n, v in (eng.get("containers") or {}).items()})
    names = dict(eng.get("names") or names)
    return Running(names, managed.flush_targets(names), f"docker {eng.get('version', '?')}",
                   dict(eng.get("failed_runs") or {}))


def remove(journal: dict) -> None:
    eng = journal.get("engine") or {}
    if eng.get("docker_host"):
        existing.remove(eng["docker_host"], journal.get("lab", ""))
