"""The JSON report of the contract (shared/design.md "JSON report")."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from netsim import __version__
from netsim.answer.verdict import Verdict
from netsim.report.compare import Row


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
        "origin": p.origin,
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


def stream(path: str | Path, lab: str, profile: str, rows: Iterable[Row], seconds: float,
           engines: list[str] | None = None) -> None:
    """The JSON report of the contract, written row by row (to a file, or to standard output
    for `-`): a matrix of millions of probes is never held as dicts (its rows may be made as
    they are read: MatrixRows); the summary, counted on the way, comes last."""
    out = sys.stdout if str(path) == "-" else open(path, "w")  # noqa: SIM115 - closed below
    summary = {"probes": 0, "failed": 0, "mismatches": 0, "inconclusive": 0}
    try:
        head = {"lab": lab, "netsim": __version__, "docker_profile": profile,
                **({"engines": engines} if engines else {})}
        out.write(json.dumps(head, indent=2)[:-2] + ',\n  "probes": [')
        for i, r in enumerate(rows):
            out.write(("," if i else "") + "\n    " + json.dumps(row(r)))
            summary["probes"] += 1
            summary["failed"] += r.expected_met is False
            summary["mismatches"] += r.mismatch
            summary["inconclusive"] += r.observed == Verdict.INCONCLUSIVE
        summary["seconds"] = round(seconds, 3)
        out.write("\n  ],\n  \"summary\": " + json.dumps(summary) + "\n}\n")
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()


def write(path: str | Path, data: dict) -> None:
    """To a file, or to standard output for `-`."""
    text = json.dumps(data, indent=2) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(path).write_text(text)
