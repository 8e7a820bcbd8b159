"""Reading a JUnit file as a CI server does: valid against Jenkins' junit-10.xsd first."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema

XSD = Path(__file__).parents[1] / "corpus" / "junit" / "junit-10.xsd"


@cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


def parsed(path: Path) -> ET.Element:
    """The file's root, after the schema validated it (xmlschema raises with the reason)."""
    _schema().validate(str(path))
    return ET.parse(path).getroot()


def junit_failures(path: Path) -> int:
    """Failed test cases, counted from the cases themselves; the totals must agree."""
    root = parsed(path)
    failed = sum(1 for c in root.iter("testcase") if c.find("failure") is not None)
    assert int(root.get("failures")) == failed
    assert sum(int(s.get("failures")) for s in root.iter("testsuite")) == failed
    assert int(root.get("tests")) == sum(1 for _ in root.iter("testcase"))
    return failed


def junit_cases(path: Path, suite: str) -> int:
    return sum(1 for s in parsed(path).iter("testsuite") if s.get("name").endswith(f".{suite}")
               for _ in s.iter("testcase"))
