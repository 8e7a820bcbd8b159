"""The house has one direction: no module of netsim/ imports, however indirectly, itself.

Every import counts: module level, inside functions, and under TYPE_CHECKING, because an
import hidden there is still a dependency of the design. Importing `a.b.c` runs `a/__init__`
and `a/b/__init__` first, so those count too (that is why registries live in named modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2] / "netsim"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The netsim modules `path` imports (`from a.b import c` is a.b.c when that is a module)."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
    return {m for m in found | parents if m in modules and m != here}


def graph() -> nx.DiGraph:
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(files)
    for name, path in files.items():
        for target in _imports(path, set(files)):
            g.add_edge(name, target)
    return g


def test_no_import_cycle_anywhere_in_netsim() -> None:
    cycles = list(nx.simple_cycles(graph()))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join([*c, c[0]]) for c in cycles[:5])


def test_the_detector_sees_hidden_imports(tmp_path: Path) -> None:
    """Imports inside a function, under TYPE_CHECKING and of a package's submodule are edges."""
    fake = tmp_path / "netsim" / "x.py"
    fake.parent.mkdir()
    fake.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from netsim.model.graph import Model\n"
                    "def f():\n    from netsim.realize import lifecycle\n")
    known = {"netsim.model.graph", "netsim.realize.lifecycle", "netsim.realize", "netsim.model"}
    global ROOT
    saved, ROOT = ROOT, tmp_path / "netsim"
    try:
        assert _imports(fake, known) == known
    finally:
        ROOT = saved


def test_the_model_knows_no_runtime_and_no_realizer() -> None:
    g = graph()
    for name in g.nodes:
        if name.startswith(("netsim.model", "netsim.links")):
            bad = [t for t in nx.descendants(g, name)
                   if t.startswith(("netsim.runtime", "netsim.realize", "netsim.report",
                                    "netsim.lab", "netsim.cli"))]
            assert not bad, f"{name} depends on {bad}"


def test_the_model_is_data_below_the_links_the_probes_and_the_predictor() -> None:
    """The model imports no link kind, no probe and no predictor: those read the model."""
    g = graph()
    for name in g.nodes:
        if name.startswith("netsim.model"):
            bad = [t for t in nx.descendants(g, name)
                   if t.startswith(("netsim.links", "netsim.probe", "netsim.predict"))]
            assert not bad, f"{name} depends on {bad}"


def test_the_predictor_sits_below_the_probes() -> None:
    """The predictor and the shapes of a question and its answer know no prober, runtime,
    realizer or report: a probe asks the predictor, never the reverse."""
    g = graph()
    for name in g.nodes:
        if name.startswith(("netsim.predict", "netsim.answer")):
            bad = [t for t in nx.descendants(g, name)
                   if t.startswith(("netsim.probe", "netsim.runtime", "netsim.realize",
                                    "netsim.report", "netsim.engine", "netsim.lab"))]
            assert not bad, f"{name} depends on {bad}"


def test_engines_sit_above_realization() -> None:
    """An engine uses the model, the runtimes and the realizer; none of them knows engines,
    so the netns path never depends on the Docker SDK."""
    g = graph()
    for name in g.nodes:
        if name.startswith(("netsim.model", "netsim.links", "netsim.runtime", "netsim.realize",
                            "netsim.probe", "netsim.report", "netsim.scenario")):
            bad = [t for t in nx.descendants(g, name) if t.startswith("netsim.engine")]
            assert not bad, f"{name} depends on {bad}"
