"""JUnit XML: one test case per expectation, plus one per matrix probe that disagreed."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from netsim.report.compare import Row


def write(path: str | Path, lab: str, rows: list[Row], seconds: float) -> None:
    cases = [r for r in rows if r.probe.expected is not None or not r.ok]
    failures = [r for r in cases if not r.ok]
    suite = ET.Element("testsuite", name=f"netsim.{lab}", tests=str(len(cases)),
                       failures=str(len(failures)), time=f"{seconds:.3f}")
    for r in cases:
        case = ET.SubElement(suite, "testcase", classname=f"netsim.{lab}",
                             name=f"{r.probe.origin}: {r.probe.label}")
        props = ET.SubElement(case, "properties")  # each family is a case of its own
        ET.SubElement(props, "property", name="family", value=f"IPv{r.family}" if r.family else "-")
        if not r.ok:
            got = r.observed or r.predicted.result
            failure = ET.SubElement(case, "failure", message=(
                f"expected {r.probe.expected}, predicted {r.predicted.result}, observed {got}"))
            failure.text = f"path: {' -> '.join(r.predicted.path)}\nwhy: {r.predicted.why}\n" \
                           f"evidence: {'; '.join(r.notes)}"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
