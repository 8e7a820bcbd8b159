"""The matrix of a large scenario as rows that are mostly not held: the probes from and to
hosts, the LAN and outside as Rows, the container -> container blocks as class matrices
(netsim.predict.class_matrix) whose rows are made when iterated, and counted without."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from netsim.predict.class_matrix import ClassMatrix
from netsim.report.compare import Row


class MatrixRows:
    def __init__(self, held: list[Row], classes: list[ClassMatrix]):
        self.held, self.classes = held, classes

    def __len__(self) -> int:
        return len(self.held) + sum(len(c) for c in self.classes)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Row]:
        yield from self.held
        for c in self.classes:
            for src, dst in c.pairs():
                yield Row(c.probe(src, dst), c.outcome(src, dst))

    def counts(self, key: Callable[[str], str]) -> Counter:
        """(key(src), key(dst), verdict) -> probes, without making the rows."""
        out: Counter = Counter((key(r.probe.src), key(r.probe.to), r.predicted.result)
                               for r in self.held)
        for c in self.classes:
            out.update(c.counts(key))
        return out
