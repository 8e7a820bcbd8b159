"""What `check` and `run` return: the rows, the model they came from, warnings and timings."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.answer.verdict import Verdict
from netsim.model.graph import Model
from netsim.report.compare import Row
from netsim.report.notices import Notice, placed
from netsim.scenario.yamlpos import Positions


@dataclass
class CheckReport:
    lab: str
    profile: str
    model: Model
    expectations: list[Row]
    matrix: list[Row]  # or a MatrixRows (a large check: rows made when iterated)
    warnings: list[tuple[str, str]]
    seconds: float
    positions: Positions | None = None  # the scenario's: a warning's file:line

    @property
    def notices(self) -> list[Notice]:
        """The warnings with their code's meaning and the file:line they are about."""
        return placed(self.warnings, self.positions)

    @property
    def rows(self) -> list[Row]:
        return [*self.expectations, *self.matrix]  # a MatrixRows makes its rows here

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.expectations if not r.ok]

    def _repr_html_(self) -> str:
        from netsim.report.html import rows_table

        held = len(self.expectations) - len(self.failed)
        return rows_table(self.expectations, False, f"{self.lab}: {held}/"
                          f"{len(self.expectations)} expectations predicted to hold "
                          f"({self.model.behaviour()}, no root needed)")


@dataclass
class RunReport(CheckReport):
    """A check whose rows carry observations too."""

    timings: dict[str, float] = field(default_factory=dict)
    engine: str = ""  # what realized it: "netns", "docker 20.10.24+dfsg1"
    own: bool = False  # netsim built it all itself: the summary names no engine
    also: list[str] = field(default_factory=list)  # the other engines of `--engine a,b`
    findings: list[str] = field(default_factory=list)  # a runtime's tool did what the model
    # did not predict (CNI: the plugins' addresses)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if not r.ok or r.observed == Verdict.INCONCLUSIVE]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.findings

    def _repr_html_(self) -> str:
        from netsim.report.html import rows_table

        met = sum(1 for r in self.expectations if r.ok and r.observed != Verdict.INCONCLUSIVE)
        seen = [r for r in self.rows if r.seen is not None]
        same = sum(1 for r in seen if r.observed == r.predicted.result)
        bad = [r for r in self.matrix if not r.ok]
        html = rows_table(self.expectations, True, f"{self.lab}: {met}/{len(self.expectations)} "
                          f"expectations met; {same}/{len(seen)} observations equal the "
                          "prediction")
        if bad:
            html += rows_table(bad, True, "matrix probes where the kernel disagreed")
        return html
