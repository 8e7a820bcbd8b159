"""A judged report as markdown: a CI job's step summary or a pull-request comment (the same
cases as the exit code, the JUnit and the JSON)."""

from __future__ import annotations

from netsim.report.judgement import SUITES, Case, exit_code
from netsim.report.reports import CheckReport

MAX_ROWS = 100  # a summary stays readable; the JSON report has every row


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary(report: CheckReport, judged: list[Case], command: str) -> str:
    failed = [c for c in judged if c.failure]
    held = sum(1 for c in judged if c.suite == "expectations" and not c.failure)
    total = sum(1 for c in judged if c.suite == "expectations")
    verdict = "passed" if exit_code(judged) == 0 else f"failed ({len(failed)})"
    out = [f"### netsim {command} `{report.lab}`: {verdict}", "",
           f"{held}/{total} expectations hold · " + " · ".join(
               f"{s}: {sum(c.suite == s for c in judged)}" for s in SUITES[1:]
               if any(c.suite == s for c in judged)) + f" · {report.model.behaviour()}", ""]
    if failed:
        out += ["| suite | case | failure | where |", "|---|---|---|---|"]
        out += [f"| {c.suite} | `{_cell(c.name)}` | {_cell(c.failure)} | {_cell(c.where)} |"
                for c in failed[:MAX_ROWS]]
        if len(failed) > MAX_ROWS:
            out.append(f"\n… and {len(failed) - MAX_ROWS} more")
        out.append("")
    warned = report.notices
    if warned:
        out += ["#### Warnings", ""]
        out += [f"- **{n.code}** {_cell(n.where) + ': ' if n.where else ''}{_cell(n.text)}"
                + (f" — fix: {_cell(n.fix)}" if n.fix else "") for n in warned[:MAX_ROWS]]
        out.append("")
    return "\n".join(out)
