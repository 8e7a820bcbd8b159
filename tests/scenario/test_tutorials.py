"""Docker's networking tutorials, their command lines pasted as printed (tests/corpus/tutorials):
read-only lines noted, lines typed into an attached container noted, every outcome the tutorial
states predicted, and, as root, observed on the real kernel."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import yaml

from netsim.errors import EnvironmentProblem
from netsim.lab import Lab
from netsim.report import printed
from netsim.runtime.docker import inspect as docker_cli
from tests.conftest import needs_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "tutorials"
SOURCES = yaml.safe_load((CORPUS / "SOURCES.yml").read_text())
TUTORIALS = [e["file"] for e in SOURCES]
NEEDS = {e["file"]: e["needs"] for e in SOURCES if "needs" in e}  # what this kernel lacks
PRINTED = [n for n in TUTORIALS if (CORPUS / n.replace(".yml", ".printed.yml")).exists()]


@pytest.mark.parametrize("name", TUTORIALS)
def test_every_outcome_a_tutorial_states_is_predicted(name: str) -> None:
    stated = [r for r in Lab.load(CORPUS / name).check(full_matrix=False).expectations
              if r.probe.typed is None]
    assert stated and all(r.predicted.result == r.probe.expected for r in stated)


def test_the_addresses_are_the_ones_docker_network_inspect_printed() -> None:
    lab = Lab.load(CORPUS / "standalone-default-bridge.yml")
    ep = lab.model.endpoints
    assert (ep["alpine1"].primary, ep["alpine2"].primary) == (IPv4Address("172.17.0.2"),
                                                              IPv4Address("172.17.0.3"))
    net = Lab.load(CORPUS / "standalone-user-bridge.yml").model.networks["docker1/alpine-net"]
    assert (str(net.subnet), str(net.gateway)) == ("172.18.0.0/16", "172.18.0.1")


def test_read_only_lines_and_typed_lines_are_noted_not_refused() -> None:
    notes = [w for c, w in Lab.load(CORPUS / "standalone-default-bridge.yml").model.warnings
             if c == "command"]
    assert any("line 12: shows what is there and changes nothing" in n for n in notes)
    assert any("line 16: typed into alpine1: `ip` shows what is there" in n for n in notes)
    host = [w for c, w in Lab.load(CORPUS / "host.yml").model.warnings if c == "command"]
    assert any("line 11: `netstat` on the host shows what is there" in n for n in host)


TIMING = re.compile(r"^(64 bytes from .* time=.*|round-trip .*|)$")  # the network's, per run


@pytest.mark.parametrize("name", PRINTED)
def test_what_the_typed_commands_print_is_what_the_tutorial_printed(name: str) -> None:
    """Each command the tutorial typed into a container, in its order: every line netsim
    shows is a line the tutorial printed, and every line it printed is netsim's or a
    round-trip time (google.com's address then stands for netsim's outside)."""
    page = yaml.safe_load((CORPUS / name.replace(".yml", ".printed.yml")).read_text())
    lab = Lab.load(CORPUS / name)
    rows = [r for r in lab.check(full_matrix=False).expectations if r.probe.typed]
    assert [(r.probe.src, r.probe.typed.text) for r in rows] == [
        (e["in"], e["typed"]) for e in page["printed"]]
    outside = str(lab.model.endpoints["outside"].primary)
    for row, entry in zip(rows, page["printed"], strict=True):
        shown = [x.replace(outside, page["internet"]) for x in
                 printed.lines(row.probe.typed, row.predicted)]
        tutorial = entry["output"].splitlines()
        assert all(x in tutorial for x in shown), (entry["typed"], shown)
        assert all(x in shown or TIMING.match(x) for x in tutorial), (entry["typed"], shown)


@needs_root
@pytest.mark.parametrize("name", TUTORIALS)
def test_a_tutorial_run_for_real_meets_every_outcome_it_states(name: str) -> None:
    if name in NEEDS:  # refused before anything is built, in words that say what to do
        with pytest.raises(EnvironmentProblem, match=NEEDS[name]) as e:
            Lab.load(CORPUS / name).run(full_matrix=False)
        assert e.value.exit_code == 3
        return
    report = Lab.load(CORPUS / name).run(full_matrix=False)
    assert report.expectations and report.ok, [(r.probe.label, r.observed)
                                                for r in report.expectations]


def test_docker_network_inspect_prints_what_the_tutorial_printed() -> None:
    """`netsim docker FILE network inspect NET`: the tutorial's subnets, gateways and each
    container's address; with the Docker of its day (20.10: MACs made from the address) its
    MACs too."""
    name = "standalone-user-bridge.yml"
    page = yaml.safe_load((CORPUS / name.replace(".yml", ".printed.yml")).read_text())
    text = (CORPUS / name).read_text()
    for profile, macs in (("28", False), ("20.10", True)):
        model = Lab.from_yaml(text.replace("hosts:", f"docker: '{profile}'\nhosts:", 1)).model
        for net, want in page["inspect"].items():
            got = json.loads(docker_cli.render(model, "docker1", ["network", "inspect", net]))[0]
            assert got["IPAM"]["Config"] == [{"Subnet": want["Subnet"],
                                               "Gateway": want["Gateway"]}]
            seen = {c["Name"]: c for c in got["Containers"].values()}
            assert {n: c["IPv4Address"] for n, c in seen.items()} == {
                n: c["IPv4Address"] for n, c in want["Containers"].items()}
            assert ({n: c["MacAddress"] for n, c in seen.items()} == {
                n: c["MacAddress"] for n, c in want["Containers"].items()}) is macs


@pytest.mark.parametrize("name", ["macvlan-bridge.yml", "macvlan-8021q.yml"])
def test_the_macvlan_container_has_the_address_docker_container_inspect_printed(name) -> None:
    """"Gateway": "172.16.86.1", "IPAddress": "172.16.86.2", "IPPrefixLen": 24."""
    model = Lab.load(CORPUS / name).model
    net = next(n for n in model.networks.values() if n.driver == "macvlan")
    (_, addr), = net.endpoints.items()
    assert (str(addr), str(net.gateway)) == ("172.16.86.2/24", "172.16.86.1")


@needs_root
def test_the_overlay_tutorial_on_a_real_two_host_swarm_gives_the_addresses_predicted() -> None:
    """The tutorial printed alpine2 at 10.0.0.5 (an engine of its day); a real swarm of two
    managed dockerd here gives what the model says: test-net 10.0.1.0/24, alpine2 .4."""
    lab = Lab.load(CORPUS / "overlay-standalone.yml", "docker")
    assert lab.model.endpoints["alpine2"].primary == IPv4Address("10.0.1.4")
    report = lab.run(full_matrix=False)
    said = [(r.probe.label, r.predicted.result, r.observed, r.seen.evidence if r.seen else None)
            for r in report.expectations if not r.ok]
    assert report.ok and not report.findings, (report.findings, said)  # the engine's addresses
    assert [r.observed for r in report.expectations] == ["reach", "reach"]
