"""The house has one direction: no module of netsim/ imports, however indirectly, itself.

Every import counts: module level, inside functions, and under TYPE_CHECKING, because an
import hidden there is still a dependency of the design. Importing `a.b.c` runs `a/__init__`
and `a/b/__init__` first, so those count too (that is why registries live in named modules).
"""

from __future__ import annotations

import ast
import re
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


SHARED = ("netsim.model", "netsim.links", "netsim.predict", "netsim.answer", "netsim.probe",
          "netsim.realize", "netsim.report", "netsim.session")


def _words(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module that are code, not docstrings."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


def _named() -> set[str]:
    from netsim.engine.registry import ENGINES
    from netsim.runtime.registry import RUNTIMES

    return set(RUNTIMES) | set(ENGINES)


def test_no_shared_layer_names_a_runtime_or_an_engine() -> None:
    """The shared layers import no runtime or engine and compare no string with one's name:
    a runtime or an engine says what it is and can do through its contract."""
    g, names = graph(), _named()
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    for name, path in files.items():
        if not name.startswith(SHARED):
            continue
        bad = [t for t in nx.descendants(g, name)
               if t.startswith(("netsim.runtime", "netsim.engine"))]
        assert not bad, f"{name} depends on {bad}"
        said = [f"{path.name}:{line} {word!r}" for line, word in _words(path) if word in names]
        assert not said, f"{name} names a runtime or an engine: {said}"


def test_no_runtime_names_another() -> None:
    """Each runtime package imports no other runtime's and names none of them."""
    from netsim.runtime.registry import RUNTIMES

    g = graph()
    for runtime in RUNTIMES:
        others = [r for r in RUNTIMES if r != runtime]
        for path in (ROOT / "runtime" / runtime).rglob("*.py"):
            name = _module(path)
            bad = [t for t in nx.descendants(g, name)
                   if any(t.startswith(f"netsim.runtime.{o}") for o in others)]
            assert not bad, f"{name} depends on {bad}"
            said = [f"{path.name}:{line}" for line, word in _words(path) if word in others]
            assert not said, f"{name} names another runtime: {said}"


def test_the_source_check_sees_a_runtime_named(tmp_path: Path) -> None:
    """The detector itself: a comparison with a runtime's name is found, a docstring not."""
    f = tmp_path / "m.py"
    f.write_text('"""docker is mentioned here."""\ndef f(c):\n    """cni too."""\n'
                 '    return c.runtime == "docker"\n')
    assert [w for _, w in _words(f)] == ["docker"]


def test_the_shared_format_holds_no_runtime_key() -> None:
    """`docker:`, `cni:`, dockerd's flags, a node's podCIDR: each runtime's own model, composed
    into the format above the scenario package (netsim.runtime.schema)."""
    from netsim.runtime import registry, schema
    from netsim.scenario import schema as shared

    for name, rt in registry.RUNTIMES.items():
        for own, base in ((rt.keys, shared.Scenario), (rt.host_keys, shared.Host)):
            fields = set(own.model_fields) if own else set()
            assert not fields & set(base.model_fields), f"{name}'s keys in the shared format"
            composed = schema.Scenario if base is shared.Scenario else schema.Host
            assert fields <= set(composed.model_fields), f"{name}'s keys not composed"
    g = graph()
    assert not [t for t in nx.descendants(g, "netsim.scenario.load")
                if t.startswith("netsim.runtime")]


def test_only_the_model_writes_its_graph() -> None:
    """The graph and the model's indexes are written together, by Model's own methods (add_ns,
    add_iface, link_veth, add_network, attach, join ...): no other module keeps them in step."""
    writes = re.compile(r"\.graph\.(add_|remove_|clear)")
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in ROOT.rglob("*.py")
           if p != ROOT / "model" / "graph.py"
           for n, line in enumerate(p.read_text().splitlines(), 1) if writes.search(line)]
    assert not bad, f"written outside the model: {bad}"
