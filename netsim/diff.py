"""`netsim diff OLD NEW`: what a change does to who can talk to whom, predicted (no root).

Both scenarios are checked with their full matrix and compared (report/changes.py). The old
scenario's expectations are predicted again on the new one: one that held and no longer does
is broken; so is a failing expectation of the new scenario itself.
"""

from __future__ import annotations

from dataclasses import replace

from netsim.errors import NetsimError
from netsim.lab import Lab
from netsim.probe import plan
from netsim.probe.observe import Predicted, observe
from netsim.report.changes import Broken, Diff, flows, ports
from netsim.report.compare import Row
from netsim.report.reports import CheckReport


def _now(r: Row) -> str:
    """What the new scenario predicts; with its words where the verdict alone is the same
    (a failing `docker run` whose error differs, a NAT source)."""
    said = f"predicted {r.predicted.result}"
    return f"{said}: {r.predicted.why}" if r.predicted.result == r.probe.expected else said


def carried(old: Lab, old_report: CheckReport, new: Lab) -> list[Broken]:
    """The old expectations that held, predicted on the new scenario: those that fail now,
    or name what the new one no longer has."""
    out = []
    predicted = Predicted(new.model)
    expect = old.loaded.scenario.expect
    for i, row in enumerate(old_report.expectations):
        if not row.ok or row.probe.origin != f"expect[{i}]" or i >= len(expect):
            continue  # broken already, or a tutorial's typed command: not the change's doing
        one = replace(old.loaded, scenario=old.loaded.scenario.model_copy(
            update={"expect": [expect[i]]}))
        try:
            probes = plan.expectations(one, new.model)
        except NetsimError as e:
            out.append(Broken(f"old expect[{i}]", row.probe.label, str(row.probe.expected),
                              f"cannot be asked of the new scenario: {getattr(e, 'message', e)}"))
            continue
        now = [Row(p, o) for p, o in zip(probes, observe(predicted, probes), strict=True)]
        out += [Broken(f"old expect[{i}]", r.probe.label, str(r.probe.expected), _now(r))
                for r in now if not r.ok]
    return out


def diff(old: Lab, new: Lab) -> Diff:
    old_report = old.check(full_matrix=True, by_class=False)
    new_report = new.check(full_matrix=True, by_class=False)
    d = Diff(old_report, new_report, flows(old_report, new_report))
    before, after = ports(old_report), ports(new_report)
    d.ports_added, d.ports_removed = sorted(after - before), sorted(before - after)
    d.broken = carried(old, old_report, new) + [
        Broken(r.probe.origin, r.probe.label, str(r.probe.expected), _now(r))
        for r in new_report.failed]
    return d
