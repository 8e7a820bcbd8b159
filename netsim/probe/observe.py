"""One seam for the model and the kernel: an observer takes probes and answers Outcomes.

`Predicted` asks the model (no root); `Kernel` sends real packets and asks the real libc.
`observe()` is the only place that knows a by-name probe is "resolve inside the source
first, then probe the address it got": both observers answer it the same way.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.says import NO_ROUTE
from netsim.answer.verdict import Verdict
from netsim.gcpause import paused
from netsim.model import dns
from netsim.model.graph import IPAddress, Model
from netsim.predict import by_class
from netsim.predict.twins import Twins
from netsim.predict.walk import Predictor

if TYPE_CHECKING:  # the prober (sockets, the realizer's sandbox) is a run's, not a check's
    from netsim.probe.engine import Prober


class Observer(Protocol):
    def run(self, probes: list[Probe]) -> list[Outcome]:
        """Direct probes (icmp, tcp, udp) and lookups (proto "dns"), in order."""
        ...


def observe(observer: Observer, probes: list[Probe]) -> list[Outcome]:
    by_name = [k for k, p in enumerate(probes) if p.name and p.proto != "dns"]
    named = set(by_name)
    direct = [k for k in range(len(probes)) if k not in named]
    out: list[Outcome | None] = [None] * len(probes)
    for k, got in zip(direct, observer.run([probes[k] for k in direct]), strict=True):
        out[k] = got
    lookups = observer.run([replace(probes[k], proto="dns", port=53, size=None) for k in by_name])
    second: list[tuple[int, IPAddress, Outcome]] = []
    for k, ans in zip(by_name, lookups, strict=True):
        try:
            second.append((k, ip_address(ans.result), ans))
        except ValueError:
            p = probes[k]
            out[k] = Outcome(Verdict.UNRESOLVED, None, [p.src], f"{p.name} does not resolve "
                             f"({ans.result}): {ans.why}" if ans.why else "", None,
                             attempts=ans.attempts, evidence=_named(p, ans))
    probed = observer.run([replace(probes[k], dst=ip, family=ip.version)
                           for k, ip, _ in second])
    for (k, ip, ans), got in zip(second, probed, strict=True):
        if ans.why:
            got.why = f"{probes[k].name} -> {ip} ({ans.why}); {got.why}"
        got.evidence = _named(probes[k], ans) + got.evidence
        out[k] = got
    return out  # type: ignore[return-value]


def _named(p: Probe, ans: Outcome) -> list[str]:
    return [f"{p.name}: {'; '.join(ans.evidence)}"] if ans.evidence else []


BY_CLASS_FROM = 4  # probes per container from which prediction goes by classes of twins


class Predicted:
    """The model's answer to every probe: a packet walk, a lookup in the container's view."""

    def __init__(self, model: Model, by_class: bool = True):
        self.model = model
        self.predictor = Predictor(model)
        self.by_class = by_class  # tests turn it off to compare with a walk per probe
        self._twins: Twins | None = None

    @paused()
    def run(self, probes: list[Probe]) -> list[Outcome]:
        # classes pay off when probes repeat pairs of parts (a matrix), not for a handful
        # per container: finding the twins costs about one walk per container
        if not self.by_class or len(probes) < BY_CLASS_FROM * max(1, len(self.model.containers)):
            return [self._one(p) for p in probes]
        return by_class.predict(self.twins(), probes, self._one)

    def twins(self) -> Twins:
        if self._twins is None:
            self._twins = Twins(self.model)
        return self._twins

    def one(self, p: Probe) -> Outcome:
        """One probe, walked (no classes)."""
        return self._one(p)

    def _one(self, p: Probe) -> Outcome:
        if p.proto == "run":
            why = self.model.failed_runs.get(p.src)
            return Outcome(Verdict.FAILED if why else Verdict.STARTED, None, [p.src],
                           why or f"docker run {p.src} starts")
        if p.proto == "dns":
            ans = (self.as_client(p) if p.family == 0 else
                   self.resolve(p.src, p.name, p.family))
            return Outcome(ans.result, None, [p.src], ans.why, p.dst)
        return self.predictor.probe(p.src_ns, p.dst, p.proto, p.port, p.size)

    def resolve(self, container: str, name: str, family: int = 4) -> dns.Answer:
        return self._resolver(container)(name, family)

    def _resolver(self, container: str):
        """A lookup in the container's view; the path to its upstream is walked once."""
        view = self.model.names[container]
        router = self.model.endpoints["router"].addresses["lan"]
        records = dns.upstream_records(view, router, self.model.lan_dns)
        path = self._upstream(view, router)
        if view.zone is None:
            return lambda name, family: dns.lookup(view, name, records, path, family)
        # a cluster DNS: what its own queries upstream meet, from the pod it runs in
        records = self.model.lan_dns
        forwarded = self._path(view.forward_from, router) if view.forward_from else \
            Verdict.BLOCKED
        return lambda name, family: dns.lookup(view, name, records, path, family, forwarded)

    def as_client(self, p: Probe) -> dns.Answer:
        """getaddrinfo(AF_UNSPEC) as glibc answers it: both families, sorted by RFC 3484 with
        glibc's default table; where the source can use an IPv6 answer (an address and a
        route), its precedence (::/0, 40) beats an IPv4 one's (::ffff:0:0/96, 10)."""
        lookup = self._resolver(p.src)
        six, four = lookup(p.name, 6), lookup(p.name, 4)
        if six.addresses and self.predictor.usable(p.src_ns, six.addresses[0]):
            return dns.Answer(six.result, six.addresses + four.addresses,
                              f"{six.why}; getaddrinfo lists the IPv6 address first (RFC 3484, "
                              "glibc's default precedence)")
        if four.addresses or not six.addresses:
            return four
        return six

    def _upstream(self, view: dns.NameView, router: IPv4Address) -> str:
        """Can a query reach the upstream server, along the path it really takes?"""
        if view.embedded:  # dockerd forwards from the host's namespace
            src = self.model.ns[self.model.endpoints[view.container].ns].host
        else:
            src = self.model.endpoints[view.container].ns
        return self._path(src, view.upstream or router)

    def _path(self, src: str, server: IPAddress) -> str:
        got = self.predictor.probe(src, server, "udp", 53)
        if got.result == Verdict.BLOCKED and got.steps and got.steps[0].kind in NO_ROUTE \
                and not got.path[1:]:
            return Verdict.UNREACHABLE
        return got.result


class Kernel:
    """Real packets from inside the source namespaces; names through the container's libc."""

    def __init__(self, prober: Prober, names: dict[str, str], files: Path):
        self.prober, self.names, self.files = prober, names, files

    def run(self, probes: list[Probe]) -> list[Outcome]:
        lookups = [k for k, p in enumerate(probes) if p.proto == "dns"]
        asked = set(lookups)
        packets = [k for k in range(len(probes)) if k not in asked]
        out: list[Outcome | None] = [None] * len(probes)
        for k, got in zip(packets, self.prober.run([probes[k] for k in packets]), strict=True):
            out[k] = got
        from netsim.probe import resolve

        answers = resolve.run([probes[k] for k in lookups], self.names, self.files)
        for k, got in zip(lookups, answers, strict=True):
            out[k] = got
        return out  # type: ignore[return-value]
