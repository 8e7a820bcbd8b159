"""Probes by `docker exec` in the source container, for engines whose containers netsim
cannot enter (a remote engine over tcp:// or ssh://): netsim-echo's probe mode sends the same
TCP, UDP and ICMP probes from inside and says what came back. Name lookups are not made this
way (the image has no resolver that reads /etc/hosts as libc does): they are inconclusive,
never guessed."""

from __future__ import annotations

import concurrent.futures
from ipaddress import IPv4Address

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.engine.docker.apply import ECHO

WORKERS = 8  # execs in flight: each is a round trip to the engine


def argv(p: Probe) -> list[str]:
    arg = p.port if p.proto != "icmp" else (p.size if p.size is not None else -1)
    return [ECHO, "probe", p.proto, str(p.dst), str(arg)]


def outcome(text: str) -> Outcome:
    """One line of netsim-echo's probe mode -> an Outcome with its evidence."""
    verdict, _, rest = text.strip().partition(" ")
    if verdict not in (Verdict.OPEN, Verdict.CLOSED, Verdict.REACH, Verdict.BLOCKED):
        return Outcome(Verdict.INCONCLUSIVE, evidence=[f"exec said {text.strip()!r}"])
    out = Outcome(Verdict(verdict), evidence=[f"exec: {text.strip()}"])
    if verdict == Verdict.OPEN and rest:
        try:
            out.source_seen = IPv4Address(rest.rsplit(":", 1)[0])
        except ValueError:
            pass
    return out


class Exec:
    """An observer (probe/observe.py's protocol) for containers reached through the API."""

    def __init__(self, clients: dict, containers: dict[str, tuple[str, str]]):
        self.clients, self.containers = clients, containers  # name -> (host, engine id)

    def run(self, probes: list[Probe]) -> list[Outcome]:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(self._one, probes))

    def _one(self, p: Probe) -> Outcome:
        if p.proto == "dns" or p.name:
            return Outcome(Verdict.INCONCLUSIVE, None, [p.src], evidence=[
                "names are not resolved by exec (the image has no libc resolver)"])
        host, cid = self.containers[p.src]
        got = self._exec(host, cid, p)
        if got.result == Verdict.BLOCKED:  # a negative answer is asked twice, as the prober does
            again = self._exec(host, cid, p)
            again.attempts = 2
            return again
        return got

    def _exec(self, host: str, cid: str, p: Probe) -> Outcome:
        import docker.errors

        api = self.clients[host].api
        try:
            said = api.exec_start(api.exec_create(cid, argv(p))["Id"])
        except docker.errors.APIError as e:
            return Outcome(Verdict.INCONCLUSIVE, evidence=[f"exec failed: {e.explanation or e}"])
        got = outcome(said.decode(errors="replace"))
        got.path, got.dst = [p.src], p.dst
        return got
