"""`--engine docker`: managed daemons (default; `--dockerd PATH` picks the binaries) or an
existing engine (`--docker-host URL`)."""

from __future__ import annotations

from netsim.engine.docker import daemons, existing, managed
from netsim.errors import EnvironmentProblem, NetsimError
from netsim.model.graph import Model
from netsim.probe.running import Running
from netsim.realize.journal import Journal
from netsim.runtime import registry as runtime
from netsim.scenario.load import Loaded

REMOVED = "everything the lab had made was removed"


def version(options: dict) -> str:
    if options.get("docker_host"):
        return existing.version(options["docker_host"])
    return daemons.version(daemons.dockerd_binary(options.get("dockerd")))


def up(loaded: Loaded, model: Model, options: dict) -> Running:
    """The engine's faults (a daemon that dies, a full disk, an API that hangs up) are the
    machine's, said as exit 3 once the lab's teardown has run; never a traceback."""
    import docker.errors
    import requests

    if options.get("docker_host") and any(net.subnet6 is not None
                                          for net in model.networks.values()):
        raise NetsimError(f"lab '{loaded.scenario.name}': an existing engine is probed through "
                          "`docker exec`, in IPv4 only: IPv6 networks run on managed daemons "
                          "(--engine docker without --docker-host)")
    try:
        if options.get("docker_host"):
            return existing.up(loaded, model, options["docker_host"], options.get("probe_by"))
        return managed.up(loaded, model, runtime.world(loaded),
                          daemons.dockerd_binary(options.get("dockerd")))
    except NetsimError:
        raise
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        raise EnvironmentProblem(f"building lab '{loaded.scenario.name}' on Docker failed: "
                                 f"{e.strerror or e}{where}", REMOVED) from None
    except (docker.errors.DockerException, requests.RequestException) as e:
        raise EnvironmentProblem(f"the Docker engine failed while lab "
                                 f"'{loaded.scenario.name}' was built: {e}", REMOVED) from None


def attach(journal: Journal, model: Model, names: dict[str, str]) -> Running:
    eng = journal.engine
    if eng.get("docker_host"):
        run = existing.running(eng["docker_host"], eng.get("version", "?"),
                               dict(eng.get("names") or {}), dict(eng.get("failed_runs") or {}),
                               eng.get("probe_by", "setns"),
                               {n: tuple(v) for n, v in (eng.get("containers") or {}).items()})
        run.findings = list(journal.findings)
        return run
    names = dict(eng.get("names") or names)
    return Running(names, managed.flush_targets(names), f"docker {eng.get('version', '?')}",
                   dict(eng.get("failed_runs") or {}), findings=list(journal.findings))


def remove(journal: Journal) -> None:
    eng = journal.engine
    if eng.get("docker_host"):
        existing.remove(eng["docker_host"], journal.lab)


def describe(record: dict) -> str:
    """`netsim ls`: the engine's version, and where an existing one is."""
    at = f" at {record['docker_host']}" if record.get("docker_host") else ""
    return f"docker {record.get('version', '?')}{at}"
