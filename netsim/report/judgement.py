"""What a report judges, once: one case per expectation, per probe the kernel answered
otherwise than predicted or not at all, per finding and per warning, each passed or failed.
The exit code, the JUnit file, the JSON summary and the HTML all read these cases, so they
cannot disagree.

`--fail-on` turns warnings into failures: `warning` (every one) or codes (`P13,C04`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from netsim.answer.pitfalls import PITFALLS
from netsim.answer.verdict import Verdict
from netsim.errors import EXIT_DISAGREE, EXIT_OK
from netsim.report.compare import Row
from netsim.report.reports import CheckReport, RunReport
from netsim.scenario.yamlpos import Positions

EVERY_WARNING = "warning"
SUITES = ("expectations", "matrix", "findings", "warnings", "changes")  # changes: netsim diff


@dataclass(frozen=True)
class Case:
    suite: str  # one of SUITES
    name: str
    failure: str | None = None  # why it failed (None: passed)
    detail: str = ""  # the path, the evidence, the warning's explanation
    row: int | None = None  # its place among report.rows (expectations, then matrix)
    properties: tuple[tuple[str, str], ...] = ()
    where: str = ""  # file:line of the expectation or warning in the user's file


def fail_on(words: Iterable[str]) -> frozenset[str]:
    """`warning` or warning codes, as given (comma-separated or repeated); ValueError with the
    valid words for any other."""
    got = {w.strip() for word in words for w in word.split(",") if w.strip()}
    bad = sorted(w for w in got if w != EVERY_WARNING and w not in PITFALLS)
    if bad:
        raise ValueError(f"'{bad[0]}' is neither `{EVERY_WARNING}` nor a warning code "
                         f"(valid: {EVERY_WARNING}, {', '.join(sorted(PITFALLS))})")
    return frozenset(got)


def _failed(r: Row) -> str | None:
    p = r.probe
    if r.observed == Verdict.INCONCLUSIVE:
        return f"inconclusive: {'; '.join(r.notes) or 'no evidence either way'}"
    if r.ok:
        return None
    got = r.observed or r.predicted.result
    if r.mismatch:
        return f"predicted {r.predicted.result}, observed {r.observed}"
    said = f"expected {p.expected}" + (f" from {p.source_expected}" if p.source_expected else "")
    seen = r.source_seen if r.seen is not None else r.predicted.source_seen
    source = f" (source seen {seen})" if p.source_expected and seen else ""
    return f"{said}, {'observed' if r.seen is not None else 'predicted'} {got}{source}"


def _detail(r: Row) -> str:
    way = r.way
    lines = [f"path: {' -> '.join(way.path)}", f"why: {way.why}"]
    if r.notes:
        lines.append(f"evidence: {'; '.join(r.notes)}")
    return "\n".join(lines)


def _row_case(suite: str, i: int, r: Row, positions: Positions | None = None) -> Case:
    props = (("family", f"IPv{r.family}" if r.family else "-"),
             ("predicted", str(r.predicted.result)),
             *((("observed", str(r.observed)),) if r.observed else ()),
             *((("expected", str(r.probe.expected)),) if r.probe.expected else ()))
    return Case(suite, f"{r.probe.origin}: {r.probe.label}", _failed(r), _detail(r), i, props,
                _place(r.probe.origin, positions))


def _place(origin: str, positions: Positions | None) -> str:
    """file:line of `expect[3]` (a tutorial's typed command, the matrix: none)."""
    m = re.fullmatch(r"expect\[(\d+)\]", origin)
    if m is None or positions is None:
        return ""
    at = positions.where(("expect", int(m.group(1))))
    return f"{at.file}:{at.line}" if at.line else at.file


def cases(report: CheckReport, fail_on: frozenset[str] = frozenset()) -> list[Case]:
    out = [_row_case("expectations", i, r, report.positions)
           for i, r in enumerate(report.expectations)]
    first = len(report.expectations)
    if isinstance(report, RunReport):  # a check's matrix is the model's word: nothing to fail
        bad = [_row_case("matrix", first + i, r) for i, r in enumerate(report.matrix)
               if _failed(r) is not None]
        out += bad or ([Case("matrix", f"{len(report.matrix)} probes, each observed as "
                             "predicted")] if len(report.matrix) else [])
        out += [Case("findings", text, "finding: the real tool did what the model did not "
                     "predict", text) for text in report.findings]
    for n in report.notices:
        chosen = EVERY_WARNING in fail_on or n.code in fail_on
        out.append(Case("warnings", f"[{n.code}] {n.text}",
                        f"warning {n.code} (--fail-on)" if chosen else None,
                        "\n".join(x for x in (n.text, n.explained, n.fix and f"fix: {n.fix}")
                                  if x),
                        properties=(("code", n.code), ("anchor", n.anchor or "-")),
                        where=n.where))
    return out


def exit_code(judged: list[Case]) -> int:
    return EXIT_DISAGREE if any(c.failure for c in judged) else EXIT_OK


def summary(judged: list[Case]) -> dict:
    """Counts per suite, and the exit code they make (the JSON report's `judged`)."""
    return {"cases": len(judged), "failures": sum(c.failure is not None for c in judged),
            "by_suite": {s: {"cases": sum(c.suite == s for c in judged),
                             "failures": sum(c.suite == s and c.failure is not None
                                             for c in judged)} for s in SUITES},
            "failed": [{"suite": c.suite, "name": c.name, "failure": c.failure}
                       for c in judged if c.failure is not None],
            "exit_code": exit_code(judged)}
