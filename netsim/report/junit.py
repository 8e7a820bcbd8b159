"""JUnit XML (Jenkins' junit-10.xsd, which CI servers read): one test suite per kind of case
(expectations, matrix, findings, warnings), one test case per judgement.Case. A case fails
exactly when it makes the exit code 1, so the file and the exit code always agree."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from netsim.report.judgement import SUITES, Case


def tree(lab: str, judged: list[Case], seconds: float, properties: dict[str, str],
         root: ET.Element | None = None) -> ET.Element:
    if root is None:
        root = ET.Element("testsuites", name=f"netsim.{lab}", tests="0", failures="0",
                          errors="0", time="0")
    for k, n in (("tests", len(judged)), ("failures", sum(c.failure is not None
                                                          for c in judged))):
        root.set(k, str(int(root.get(k)) + n))
    root.set("time", f"{float(root.get('time')) + seconds:.3f}")
    for suite in SUITES:
        mine = [c for c in judged if c.suite == suite]
        if not mine:
            continue
        el = ET.SubElement(root, "testsuite", name=f"netsim.{lab}.{suite}", tests=str(len(mine)),
                           failures=str(sum(c.failure is not None for c in mine)), errors="0",
                           time=f"{seconds:.3f}" if suite == "expectations" else "0")
        props = ET.SubElement(el, "properties")
        for k, v in properties.items():
            ET.SubElement(props, "property", name=k, value=v)
        for c in mine:
            name = f"{c.where}: {c.name}" if c.where and suite == "warnings" else c.name
            case = ET.SubElement(el, "testcase", classname=f"netsim.{lab}.{suite}", name=name)
            if c.failure is not None:
                failure = ET.SubElement(case, "failure", message=c.failure, type=suite)
                failure.text = c.detail
            # a test case has no properties in junit-10.xsd: they are said in its output
            said = [f"{k}: {v}" for k, v in c.properties]
            if c.detail and c.failure is None:
                said.append(c.detail)
            if said:
                ET.SubElement(case, "system-out").text = "\n".join(said)
    return root


def write(path: str | Path, lab: str, judged: list[Case], seconds: float,
          properties: dict[str, str] | None = None) -> None:
    _save(path, tree(lab, judged, seconds, properties or {}))


def write_many(path: str | Path, reports: list[tuple[str, str, list[Case], float]],
               invalid: list[tuple[str, str]] = ()) -> None:
    """`netsim lint`: one file, its suites per scenario (file, lab, cases, seconds), and a
    suite of the files that are not valid, each an error (what made the exit code 2)."""
    root = ET.Element("testsuites", name="netsim.lint", tests="0", failures="0", errors="0",
                      time="0")
    for file, lab, judged, seconds in reports:
        tree(lab, judged, seconds, {"file": file}, root)
    if invalid:
        el = ET.SubElement(root, "testsuite", name="netsim.lint.invalid",
                           tests=str(len(invalid)), failures="0", errors=str(len(invalid)),
                           time="0")
        for file, said in invalid:
            case = ET.SubElement(el, "testcase", classname="netsim.lint.invalid", name=file)
            ET.SubElement(case, "error", message=said, type="input")
        for k in ("tests", "errors"):
            root.set(k, str(int(root.get(k)) + len(invalid)))
    _save(path, root)


def _save(path: str | Path, root: ET.Element) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
