"""Real Compose projects (tests/corpus/compose: Docker's awesome-compose and sample apps,
nginx-proxy), as their repositories ship them: every valid one loads, maps and is predicted;
every invalid one is refused for Docker Compose v2's reason, at its file:line; no root."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netsim.errors import ScenarioError
from netsim.lab import Lab

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "compose"
SOURCES = yaml.safe_load((CORPUS / "SOURCES.yml").read_text())
VALID = [e["file"] for e in SOURCES if e["expect"] == "valid"]
BASE = {e["file"]: e["base"] for e in SOURCES if e.get("base")}  # merged first, as its tests do
INVALID = [(e["file"], e["at"], e["reason"]) for e in SOURCES if e["expect"] == "invalid"]


def test_every_file_has_its_source_and_a_permissive_licence() -> None:
    listed = {e["file"] for e in SOURCES}
    present = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.y*ml") if p.name != "SOURCES.yml"}
    assert listed == present
    assert {e["licence"] for e in SOURCES} <= {"CC0-1.0", "Apache-2.0", "MIT"}


@pytest.mark.parametrize("file", VALID)
def test_a_real_valid_project_is_mapped_and_predicted(file: str) -> None:
    files = [CORPUS / BASE[file], CORPUS / file] if file in BASE else [CORPUS / file]
    lab = Lab.load(files if len(files) > 1 else files[0])
    report = lab.check(full_matrix=True)
    doc = yaml.safe_load((CORPUS / file).read_text())
    services = doc["services"]
    assert len(lab.model.containers) >= sum(1 for s in services.values()
                                            if not (s or {}).get("profiles"))
    assert report.matrix and not report.failed
    # enable_ipv6: a dual-stack network whose IPv6 subnet is ipam's, fixed ipv6_address kept
    for net in (doc.get("networks") or {}).values():
        six = [c["subnet"] for c in ((net or {}).get("ipam") or {}).get("config") or []
               if ":" in str(c.get("subnet"))]
        if (net or {}).get("enable_ipv6") and six:
            assert six[0] in {str(n.subnet6) for n in lab.model.networks.values()}
    fixed = {str(a["ipv6_address"]) for s in services.values()
             if isinstance((s or {}).get("networks"), dict)
             for a in s["networks"].values() if isinstance(a, dict) and a.get("ipv6_address")}
    assert fixed <= {str(ep.primary6) for ep in lab.model.endpoints.values()} | {
        str(i.ip) for n in lab.model.networks.values() for i in n.endpoints6.values()}


@pytest.mark.parametrize(("file", "at", "reason"), INVALID)
def test_a_real_invalid_project_is_refused_for_composes_reason(file: str, at: str,
                                                             reason: str) -> None:
    with pytest.raises(ScenarioError) as e:
        Lab.load(CORPUS / file)
    assert f"{at}: {reason}" in str(e.value) and e.value.exit_code == 2
    assert e.value.where.file.endswith(Path(file).name) and e.value.where.line
