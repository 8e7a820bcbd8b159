"""Lab: the one object notebooks and the CLI use. A thin façade over the pipeline stages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from netsim.model.build import build
from netsim.model.graph import Model
from netsim.model.predict import Predictor
from netsim.probe import plan
from netsim.report.compare import Row
from netsim.scenario.load import Loaded, from_text, load


@dataclass
class CheckReport:
    lab: str
    profile: str
    model: Model
    expectations: list[Row]
    matrix: list[Row]
    warnings: list[tuple[str, str]]
    seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.expectations if not r.ok]


class Lab:
    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self._model: Model | None = None

    @classmethod
    def load(cls, path: str | Path) -> Lab:
        return cls(load(path))

    @classmethod
    def from_yaml(cls, text: str, name: str = "<scenario>") -> Lab:
        return cls(from_text(text, name))

    @property
    def name(self) -> str:
        return self.loaded.scenario.name

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = build(self.loaded)
        return self._model

    def check(self, full_matrix: bool = True) -> CheckReport:
        """Validate, model and predict every expectation (and the full matrix); no root."""
        start = time.perf_counter()
        model = self.model
        predictor = Predictor(model)
        expect = [Row(p, _predict(predictor, p)) for p in plan.expectations(self.loaded, model)]
        grid = [Row(p, _predict(predictor, p)) for p in plan.matrix(model)] if full_matrix else []
        return CheckReport(self.name, model.profile, model, expect, grid, list(model.warnings),
                           time.perf_counter() - start)


def _predict(predictor: Predictor, p: plan.Probe):
    return predictor.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
