"""One thing a packet met on its way, as data: which sentence says it (`kind`, a key of
netsim.answer.says), where (`ns`: the namespace's label, "" for none) and what it names
(`args`: addresses, links, ports, a rule's own text, or the steps of an inner connection).

An outcome's `why` is its steps rendered by one function (`says.render`); the twins relabel
a step's fields, and a reader (the trace view, the resolver) asks a step's kind and place
rather than searching its words."""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    kind: str
    ns: str = ""
    args: tuple = ()
