"""The reasons a report prints can be read without the project's private notes: every
`(Docker §N)` and every warning code netsim can print is explained in docs/docker-behaviour.md,
and the README points at it."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "docker-behaviour.md").read_text()
SOURCES = [p.read_text() for p in (ROOT / "netsim").rglob("*.py")]


def _printed(pattern: str) -> set[str]:
    return {m for text in SOURCES for m in re.findall(pattern, text)}


def test_every_section_a_reason_cites_is_explained() -> None:
    cited = _printed(r"Docker (§\d+(?:\.\d+)?)")
    cited |= _printed(r'"(§\d+(?:\.\d+)?) ')  # the rule templates' origins
    assert cited, "no citations found: the pattern is stale"
    missing = sorted(c for c in cited if f"**{c}" not in DOC and f"## {c}" not in DOC
                     and not re.search(re.escape(c) + r"[–-]", DOC))
    assert missing == []


def test_every_warning_code_is_explained_in_the_doc_and_the_readme() -> None:
    codes = _printed(r'"([PCF]\d\d)"') | _printed(r"\((P\d\d)\)")
    assert {"P01", "C01", "F01"} <= codes
    missing = sorted(c for c in codes if f"| {c} |" not in DOC)
    assert missing == []
    readme = (ROOT / "README.md").read_text()
    assert "docs/docker-behaviour.md" in readme and "P01" in readme


def test_a_reason_says_the_rule_in_words_then_cites_it() -> None:
    from netsim.lab import Lab

    report = Lab.load(ROOT / "scenarios" / "bridge.yml").check(full_matrix=False)
    whys = " ".join(r.predicted.why for r in report.expectations)
    assert "spec §" not in whys
    assert "published port (Docker §3.3)" in whys
