"""Predicting many probes by class of twins (netsim.predict.twins): probes whose source and
destination play the same parts get one walk; the others are that walk's outcome with the
twins' tokens (names, addresses, ports, the rule that names them) swapped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.predict.twins import Twins

NOT_GROUPED = ("dns", "run")


def _parts(tw: Twins, p: Probe) -> tuple[str | None, str | None, int | None]:
    """The probe's source if it is a twin, its destination's twin and which of its
    addresses (a token index) it was sent to."""
    s = p.src if p.src in tw.cls and p.src_ns == p.src else None
    d, token = tw.by_addr.get(p.dst, (None, None))
    return s, d, token


Parts = tuple[str | None, str | None, int | None]


def _key(tw: Twins, p: Probe) -> tuple[tuple | None, Parts | None]:
    """The probe's class key (None: walked on its own) and its parts (see _parts)."""
    if p.proto in NOT_GROUPED or p.name or p.dst is None or p.dst.is_loopback:
        return None, None
    parts = _parts(tw, p)
    s, d, token = parts
    if d is None and (s is None or tw.to_own_port(s, p.proto, p.port)):
        return None, parts
    return (tw.cls[s] if s else p.src_ns, (tw.cls[d], token) if d else p.dst, s == d,
            p.proto, p.port, p.size), parts


def predict(tw: Twins, probes: list[Probe], one: Callable[[Probe], Outcome]) -> list[Outcome]:
    first: dict[tuple, tuple[Probe, Outcome, Parts]] = {}
    out = []
    for p in probes:
        key, parts = _key(tw, p)
        if key is None:
            out.append(one(p))
        elif key in first:
            rep, got, rparts = first[key]
            out.append(relabel(tw, rep, got, p, rparts, parts))
        else:
            got = one(p)
            first[key] = (p, got, parts)
            out.append(got)
    return out


def relabel(tw: Twins, rep: Probe, got: Outcome, p: Probe, rparts: Parts | None = None,
            parts: Parts | None = None) -> Outcome:
    """The outcome of `p`, from its twin `rep`'s: the twins' tokens swapped."""
    rs, rd, _ = rparts or _parts(tw, rep)
    s, d, _ = parts or _parts(tw, p)
    pairs = [(a, b) for a, b in ((rs, s), (rd, d)) if a is not None and a != b]
    if rs is not None and rs == rd:  # a container's probe to itself: one pair
        pairs = [(rs, s)] if rs != s else []
    if not pairs:
        return replace(got, path=list(got.path), evidence=list(got.evidence),
                       steps=list(got.steps))
    sw = tw.swap(pairs)
    steps = tw.relabel_steps(got.steps, sw)  # fields, not words: `why` renders them
    # every field named: dataclasses.replace costs as much again (it reads fields() per call)
    return Outcome(result=got.result, source_seen=sw.addr(got.source_seen),
                   path=[sw.word(x) for x in got.path], said=got.said,
                   dst=sw.addr(got.dst), cold_arp=got.cold_arp,
                   dropped_by=tw.rule_index(pairs, got.dropped_by) if got.dropped_by else None,
                   counted=got.counted, attempts=got.attempts,
                   evidence=[tw.relabel(e, sw) for e in got.evidence], steps=steps)
