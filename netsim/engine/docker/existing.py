"""`--engine docker --docker-host URL`: an engine netsim did not start (unix://, tcp://,
ssh://). Everything netsim creates there is named `<lab>-<name>` and labelled
netsim.lab=<lab>; removal goes by that label only, so nothing unlabelled is ever touched.

The LAN, router and peers are not netsim's here, so only containers are vantage points; on a
local socket netsim enters each container's network namespace through its PID (as for
managed engines), elsewhere probes are inconclusive rather than guessed.
"""

from __future__ import annotations

import os
import sys

from netsim.engine.docker import apply, image, managed
from netsim.errors import EnvironmentProblem
from netsim.model.graph import Model
from netsim.probe.running import Running
from netsim.realize import lifecycle, sandbox
from netsim.scenario.load import Loaded

TLS_PORT = 2376  # Docker's: a tcp:// URL on it asks for TLS
CLEARTEXT = ("{url} is cleartext HTTP: whoever is on the path can drive this engine as root "
             "(use tcp://HOST:2376 with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or ssh://)")


def tls(url: str, environ: dict | None = None):
    """TLS as the docker client takes it: DOCKER_TLS_VERIFY / DOCKER_CERT_PATH (the client
    certificate and CA of DOCKER_CERT_PATH, ~/.docker by default), or a URL that asks for it
    (https://, tcp:// on port 2376: the system's CAs verify the engine). None: no TLS."""
    from urllib.parse import urlparse

    from docker.utils import kwargs_from_env

    env = os.environ if environ is None else environ
    # DOCKER_HOST left out (the URL is --docker-host); never empty, or it reads os.environ
    given = {"NETSIM": "1", **{k: v for k, v in env.items() if k != "DOCKER_HOST"}}
    config = kwargs_from_env(given).get("tls")
    if config is not None:
        return config
    parsed = urlparse(url)
    if parsed.scheme == "https" or (parsed.scheme == "tcp" and parsed.port == TLS_PORT):
        return True
    return None


def client(url: str, environ: dict | None = None):
    import docker
    import docker.constants
    import docker.errors

    try:
        secure = tls(url, environ) if url.startswith(("tcp://", "https://", "http://")) \
            else None
        if secure is None and url.startswith(("tcp://", "http://")):
            print(f"netsim: warning: {CLEARTEXT.format(url=url)}", file=sys.stderr)
        c = docker.DockerClient(base_url=url, version=docker.constants.MINIMUM_DOCKER_API_VERSION,
                                timeout=120, tls=secure or False,
                                use_ssh_client=url.startswith("ssh://"))
        if secure is not None:  # requests lets REQUESTS_CA_BUNDLE override the CA asked for
            c.api.trust_env = False
        c.api._version = c.api._retrieve_server_version()  # "auto", once the CA is the one
        return c
    except docker.errors.DockerException as e:
        raise EnvironmentProblem(f"cannot reach the Docker engine at {url}: {e}",
                                 "check --docker-host (unix:///var/run/docker.sock, "
                                 "tcp://HOST:2376 with DOCKER_TLS_VERIFY=1, ssh://user@host)"
                                 ) from None


def version(url: str) -> str:
    c = client(url)
    try:
        return c.version()["Version"]
    finally:
        c.close()


def local_pids(url: str) -> bool:
    """Can netsim enter the engine's containers (same machine: a unix socket)?"""
    return url.startswith("unix://")


def up(loaded: Loaded, model: Model, url: str, probe_by: str | None = None) -> Running:
    lab = loaded.scenario.name
    hosts = list(loaded.scenario.hosts or {"docker1": None})
    if len(hosts) > 1:
        raise managed.EngineRefused(f"--docker-host is one engine; the scenario has "
                                    f"{len(hosts)} hosts ({', '.join(hosts)})")
    lifecycle.require_root("run --engine docker")
    lifecycle.open_journal(lab, loaded.text, loaded.path, {"kind": "docker", "docker_host": url})
    c = client(url)
    try:
        target = apply.Target({hosts[0]: c}, image.ensure(c, sandbox.files_dir(lab) / "image"),
                              lab, prefix=f"{lab}-")
        applied = managed.apply_scenario(target, loaded, model)
        names: dict[str, str] = {}
        seen = managed.inspect(model, target.clients, applied)
        findings = managed.compare_addresses(lab, model, target.clients, applied, seen,
                                             target.prefix)
        how = probe_by or ("setns" if local_pids(url) else "exec")
        if how == "setns":
            names = managed.attach(lab, model, seen)
            managed.write_files(lab, model, seen)
        v = c.version()["Version"]
        placed = {n: (hosts[0], cid) for n, cid in applied.containers.items()}
        sandbox.update_journal(lab, lambda j: j.engine.update(
            version=v, names=names, failed_runs=applied.failed, probe_by=how,
            containers=placed))
        run = running(url, v, names, applied.failed, how, placed)
        run.findings = findings
        return run
    except BaseException:
        remove(url, lab)
        lifecycle.down(lab)
        raise
    finally:
        c.close()


def running(url: str, version: str, names: dict[str, str], failed: dict[str, str], how: str,
            placed: dict[str, tuple[str, str]]) -> Running:
    """What the prober gets: namespaces to enter, or containers to exec in."""
    from netsim.engine.docker.exec_probe import Exec

    run = Running(names, managed.flush_targets(names), f"docker {version} at {url}", failed)
    if how == "exec":
        hosts = {h for h, _ in placed.values()}
        run.exec_sources = frozenset(placed)
        run.exec_observer = Exec({h: client(url) for h in hosts}, placed)
    return run


def remove(url: str, lab: str) -> None:
    """Containers, then networks, labelled netsim.lab=<lab>: nothing else."""
    import docker.errors

    if not sandbox.LAB.match(lab):
        return
    try:
        c = client(url)
    except EnvironmentProblem:
        return  # the engine is gone: nothing of ours is left there to remove
    label = {"label": f"{apply.LABEL}={lab}"}
    try:
        for ctr in c.containers.list(all=True, filters=label):
            ctr.remove(force=True)
        for net in c.networks.list(filters=label):
            net.remove()
    except docker.errors.DockerException:
        pass
    finally:
        c.close()
