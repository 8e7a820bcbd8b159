"""The matrix of many containers by classes of twins (netsim.predict.twins), never pair by pair:
one walk per pair of classes, a verdict for any pair by lookup, counts per pair of groups by
multiplication, and a pair's whole outcome (path, why, source seen: the walk's with the
twins' tokens swapped) only when asked. So the full matrix of 1,000 containers costs about
20,000 walks and a few tables, not a million outcomes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.predict import by_class
from netsim.predict.twins import Twins


class ClassMatrix:
    """Every container of `sources` to each of `targets` ((name, address): a container's
    primary address, a host's published port), on one proto and port (None: ICMP)."""

    def __init__(self, twins: Twins, sources: list[str], one: Callable[[Probe], Outcome],
                 proto: str, port: int | None, targets: list[tuple[str, IPv4Address]]):
        self.tw, self.one, self.proto, self.port = twins, one, proto, port
        self.model = twins.model
        self.names = list(sources)
        self.targets = [t for t in targets if t[1] is not None]
        self.address = dict(self.targets)
        alone = {n for n in self.names if twins.to_own_port(n, proto, port)}
        self.groups, self.group_of = _groups(twins, [*self.names, *self.address], alone)
        mine, theirs = set(self.names), set(self.address)
        src_groups = sorted({self.group_of[n] for n in self.names})
        dst_groups = sorted({self.group_of[n] for n in self.address})
        self._src = {g: [n for n in self.groups[g] if n in mine] for g in src_groups}
        self._dst = {g: [n for n in self.groups[g] if n in theirs] for g in dst_groups}
        self._rep: dict[tuple[int, int], tuple[Probe, Outcome]] = {}
        for a in src_groups:
            for b in dst_groups:
                pair = _first_pair(self._src[a], self._dst[b])
                if pair is not None:
                    p = self.probe(*pair)
                    self._rep[a, b] = (p, one(p))

    def probe(self, src: str, dst: str) -> Probe:
        return Probe(src, self.model.endpoints[src].ns, dst, self.address[dst], self.proto,
                     self.port, None, None, None, frozenset(), "matrix")

    def __len__(self) -> int:
        both = len(set(self.names) & set(self.address))
        return len(self.names) * len(self.address) - both

    @property
    def walks(self) -> int:
        return len(self._rep)

    def verdict(self, src: str, dst: str) -> str:
        return self._rep[self.group_of[src], self.group_of[dst]][1].result

    def outcome(self, src: str, dst: str) -> Outcome:
        """The pair's outcome, as its own walk would give it."""
        rep, got = self._rep[self.group_of[src], self.group_of[dst]]
        return by_class.relabel(self.tw, rep, got, self.probe(src, dst))

    def counts(self, key: Callable[[str], str]) -> Counter:
        """(key(src), key(dst), verdict) -> how many pairs: by multiplication per class pair
        (a key is a container's networks, say; members of a class share it or not, so the
        classes are split by key first)."""
        src = {g: Counter(key(n) for n in ms) for g, ms in self._src.items()}
        dst = {g: Counter(key(n) for n in ms) for g, ms in self._dst.items()}
        out: Counter = Counter()
        for (a, b), (_, got) in self._rep.items():
            for ka, na in src[a].items():
                for kb, nb in dst[b].items():
                    both = len({n for n in self._src[a] if key(n) == ka} &
                               {n for n in self._dst[b] if key(n) == kb}) if a == b else 0
                    if na * nb - both:  # not to itself
                        out[ka, kb, got.result] += na * nb - both
        return out

    def pairs(self) -> Iterator[tuple[str, str]]:
        for s in self.names:
            for d in self.address:
                if s != d:
                    yield s, d


def _groups(twins: Twins, names: list[str], alone: set[str]
            ) -> tuple[list[list[str]], dict[str, int]]:
    """Classes of twins; a container that is no twin, or is `alone`, is a class of its own."""
    keyed: dict[object, list[str]] = {}
    for n in dict.fromkeys(names):
        keyed.setdefault(("alone", n) if n in alone else twins.cls.get(n, ("alone", n)),
                         []).append(n)
    groups = list(keyed.values())
    return groups, {n: g for g, members in enumerate(groups) for n in members}


def _first_pair(src: list[str], dst: list[str]) -> tuple[str, str] | None:
    for s in src[:2]:
        for d in dst[:2]:
            if s != d:
                return s, d
    return None
