"""`netsim diff`: on pairs of shipped scenarios whose differences are known (Docker 28 against
20.10, iptables against nftables kube-proxy, a VXLAN port blocked), on a change made here, and
between two git revisions of one file; the exit code, the markdown and the JUnit agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from netsim.cli import main
from netsim.diff import diff
from netsim.lab import Lab
from tests.conftest import SCENARIOS, committed
from tests.report.junit_xsd import junit_cases, junit_failures


def _diff(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["diff", *args])
    return r.exit_code, r.stdout


def _flows(d, kind: str) -> set[str]:
    return {c.flow for c in d.changes if c.kind == kind}


def test_a_scenario_against_itself_changes_nothing(tmp_path: Path) -> None:
    path = str(SCENARIOS / "bridge.yml")
    code, out = _diff(path, path, "--junit", str(tmp_path / "d.xml"))
    assert code == 0 and "bridge -> bridge: no expectation broken; no flow changed" in out
    assert junit_failures(tmp_path / "d.xml") == 0
    assert junit_cases(tmp_path / "d.xml", "changes") == 1


def test_docker_28_against_20_10_is_what_the_versions_differ_in() -> None:
    d = diff(Lab.load(SCENARIOS / "fidelity.yml"), Lab.load(SCENARIOS / "fidelity-2010.yml"))
    # 20.10 gives an --internal network's containers a default route, and so the host's own
    # LAN address; 28 gives them none (docker-observed.md, --internal)
    assert {"i1 -> docker1 icmp", "i2 -> docker1 icmp"} <= _flows(d, "now reachable")
    broken = {b.label: b.now for b in d.broken}
    assert broken["lan -> docker1:8184/tcp"] == "predicted closed"
    assert "address already in use" in broken["docker run web2"]  # 20.10's own words
    assert d.ports_added and d.ports_removed


def test_kube_proxy_nftables_rejects_an_unknown_port_of_a_cluster_ip() -> None:
    """iptables mode has no rule for it (the packet goes nowhere); the nftables proxier
    rejects it: the one difference of the two modes, and nothing else changes."""
    d = diff(Lab.load(SCENARIOS / "services.yml"), Lab.load(SCENARIOS / "services-nft.yml"))
    assert not d.changes and not d.ports_added and not d.ports_removed
    assert [(b.label, b.expected, b.now) for b in d.broken] == [
        ("client-1 -> svc/web:81/tcp", "blocked", "predicted closed")]


def test_a_blocked_vxlan_port_cuts_the_pods_across_nodes() -> None:
    d = diff(Lab.load(SCENARIOS / "flannel.yml"), Lab.load(SCENARIOS / "flannel-blocked.yml"))
    blocked = _flows(d, "now blocked")
    assert blocked and all("icmp" in f or "tcp" in f for f in blocked)
    assert not _flows(d, "now reachable")


def _changed(tmp_path: Path) -> Path:
    """bridge.yml with web's 8080 no longer published."""
    text = (SCENARIOS / "bridge.yml").read_text().replace(
        'ports: ["8080:80", "127.0.0.1:8081:80", "9090:80/udp"]',
        'ports: ["127.0.0.1:8081:80", "9090:80/udp"]')
    path = tmp_path / "bridge.yml"
    path.write_text(text)
    return path


def test_unpublishing_a_port_breaks_its_expectations_in_every_format(tmp_path: Path) -> None:
    new, xml = _changed(tmp_path), tmp_path / "d.xml"
    old = str(SCENARIOS / "bridge.yml")
    code, out = _diff(old, str(new), "--format", "markdown", "--junit", str(xml))
    assert code == 1
    assert "| old expect[" in out and "`lan -> docker1:8080/tcp` | open | predicted " in out
    assert "- removed: `docker1 web 80/tcp -> 0.0.0.0:8080`" in out
    code, out = _diff(old, str(new), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["summary"]["broken"] == len(data["broken"]) >= 5
    assert data["ports_removed"] == ["docker1 web 80/tcp -> 0.0.0.0:8080"]
    assert junit_failures(xml) == len(data["broken"])


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_git_revisions_of_one_file(tmp_path: Path) -> None:
    path = committed(tmp_path, SCENARIOS / "bridge.yml")
    assert _diff("--git", "HEAD", str(path))[0] == 0
    path.write_text(_changed(tmp_path).read_text())
    code, out = _diff("--git", "HEAD", str(path), "-q")
    assert code == 1 and "expectations broken" in out
    code, out = _diff("--git", "--upload-pack=x", str(path))
    assert code == 2
    assert _diff("--git", "nosuchrev", str(path))[0] == 2
    assert _diff(str(path))[0] == 2  # neither NEW nor --git
