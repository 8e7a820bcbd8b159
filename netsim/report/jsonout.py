"""The JSON report of the contract (shared/design.md "JSON report")."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

from netsim import __version__
from netsim.answer.verdict import Verdict
from netsim.report import judgement, plan
from netsim.report.compare import Row
from netsim.report.judgement import Case
from netsim.report.reports import CheckReport, RunReport


def row(r: Row) -> dict:
    p = r.probe
    observed_src = r.source_seen if r.observed else None
    return {
        "from": p.src, "to": p.to, "dst": str(p.dst) if p.dst else None, "family": r.family,
        "proto": p.proto,
        "port": p.port, "size": p.size, "expected": p.expected,
        "predicted": r.predicted.result, "observed": r.observed,
        "source_expected": p.source_expected,
        "any": p.any,
        "source_predicted": str(r.predicted.source_seen) if r.predicted.source_seen else None,
        "source_seen": str(observed_src) if observed_src else None,
        "ok": r.ok, "attempts": r.attempts, "path": r.predicted.path, "why": r.predicted.why,
        "origin": p.origin, "evidence": r.notes,
        "dropped_by": list(r.predicted.dropped_by) if r.predicted.dropped_by else None,
        **({"served_by": str(r.seen.served_by)} if r.seen and r.seen.served_by else {}),
        **({"choices": [_choice(o) for o in r.predicted.choices]} if r.predicted.choices
           else {}),
        **({"observed_by": {k: o.result for k, o in r.also.items()}} if r.also else {}),
        **({"trace": r.trace.to_json()} if r.trace is not None else {}),
    }


def _choice(o) -> dict:
    """One way a Service's split may take: the endpoint, the verdict, the source it sees."""
    return {"served_by": str(o.served_by) if o.served_by else None, "predicted": o.result,
            "source_predicted": str(o.source_seen) if o.source_seen else None, "why": o.why}


SCHEMA_VERSION = 1  # the report's JSON Schema (`netsim schema --report`): bumped on a change
# that breaks a reader


def stream(path: str | Path, head: dict, rows: Iterable[Row], tail: dict,
           seconds: float) -> None:
    """The JSON report, written row by row (to a file, or to standard output for `-`): a
    matrix of millions of probes is never held as dicts (its rows may be made as they are
    read: MatrixRows). `head` comes first (the lab, its plan), then the probes, then `tail`
    (warnings, findings, what was judged) and the summary, counted on the way."""
    out = sys.stdout if str(path) == "-" else open(path, "w")  # noqa: SIM115 - closed below
    summary = {"probes": 0, "failed": 0, "mismatches": 0, "inconclusive": 0}
    try:
        first = {"report_version": SCHEMA_VERSION, "netsim": __version__, **head}
        out.write(json.dumps(first, indent=2)[:-2] + ',\n  "probes": [')
        for i, r in enumerate(rows):
            out.write(("," if i else "") + "\n    " + json.dumps(row(r)))
            summary["probes"] += 1
            summary["failed"] += r.expected_met is False
            summary["mismatches"] += r.mismatch
            summary["inconclusive"] += r.observed == Verdict.INCONCLUSIVE
        summary["seconds"] = round(seconds, 3)
        out.write("\n  ],\n" + "".join(f"  {json.dumps(k)}: {json.dumps(v)},\n"
                                         for k, v in tail.items()))
        out.write(f'  "summary": {json.dumps(summary)}\n}}\n')
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()


def report(path: str | Path, rep: CheckReport, judged: list[Case], command: str) -> None:
    """Everything the terminal shows, as JSON: the plan, every probe, the warnings (code,
    file:line, meaning, anchor), the findings, each judged case and the exit code."""
    observed = isinstance(rep, RunReport)
    head = {"lab": rep.lab, "command": command, "docker_profile": rep.profile,
            "behaviour": rep.model.behaviour(),
            **({"engines": [rep.engine, *rep.also]} if observed else {}),
            "plan": plan.to_json(rep.model)}
    rows = itertools.chain(rep.expectations, rep.matrix)  # a MatrixRows: made as written
    tail = {"expectations": len(rep.expectations),
            "warnings": [n.to_json() for n in rep.notices],
            "findings": list(rep.findings) if observed else [],
            "judged": judgement.summary(judged)}
    stream(path, head, rows, tail, rep.seconds)


@cache
def schema() -> dict:
    """The JSON Schema a report validates against (report_version SCHEMA_VERSION)."""
    return json.loads(resources.files("netsim.report").joinpath("report.schema.json")
                      .read_text())


def write(path: str | Path, data: dict) -> None:
    """To a file, or to standard output for `-`."""
    text = json.dumps(data, indent=2) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(path).write_text(text)
