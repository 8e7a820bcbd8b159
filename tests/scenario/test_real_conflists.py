"""Real CNI configurations as projects publish them (tests/corpus/cni, SOURCES.yml says whose):
every valid one is checked clean, every invalid one refused in the real tool's words, a plugin
netsim does not model named; never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from netsim.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "cni"
ENTRIES = yaml.safe_load((CORPUS / "SOURCES.yml").read_text())


def test_every_file_of_the_corpus_has_its_source_and_licence() -> None:
    listed = {e["file"] for e in ENTRIES}
    present = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()
               and p.name != "SOURCES.yml"}
    assert listed == present
    assert all(e["source"] and e["licence"] == "Apache-2.0" for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_a_real_file_is_accepted_or_refused_for_the_real_tools_reason(entry, tmp_path) -> None:
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["check", "-q", str(CORPUS / entry["file"]), "--json",
                                       str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    expect = entry["expect"]
    if expect == "valid":
        assert result.exit_code == 0, result.output
        probes = json.loads(out.read_text())["probes"]
        assert all(p["predicted"] == p["expected"] for p in probes
                   if p["origin"].startswith("expect"))
        return
    words = expect["unmodelled"] if isinstance(expect, dict) else expect
    assert result.exit_code == 2, result.output
    assert words in " ".join(result.output.split()), result.output
    assert entry["file"].split("/")[-1] in result.output  # the user's own file is named


def test_a_net_d_of_real_files_picks_the_first_valid_and_says_what_it_skipped(tmp_path) -> None:
    """CRI-O's ocicni: file-name order, a file libcni refuses skipped with its reason."""
    netd = tmp_path / "net.d"
    netd.mkdir()
    for name in ("10-crio-bridge-27766af.conflist", "11-crio-ipv4-bridge.conflist",
                 "99-loopback.conflist"):
        shutil.copy(CORPUS / "crio" / name, netd / name)
    shutil.copy(CORPUS / "calico" / "minimal.conf", netd / "50-calico.conf")  # after crio's
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["check", str(netd), "--json", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "10-crio-bridge-27766af.conflist skipped, as CRI-O skips it" in text
    assert "no 'plugins' key" in text
    report = json.loads(out.read_text())
    assert {p["dst"] for p in report["probes"] if p["to"] == "pod1"} == {"10.85.0.2"}


def test_a_directory_with_nothing_netsim_models_says_why_for_each_file(tmp_path) -> None:
    shutil.copy(CORPUS / "aws" / "10-aws.conflist", tmp_path / "10-aws.conflist")
    (tmp_path / "20-bad.conf").write_text('{"name": "x"')
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "no network here that netsim models" in text and "AWS VPC CNI's" in text
    assert "20-bad.conf skipped" in text and "unexpected end of JSON input" in text


def test_multus_is_followed_to_its_cluster_network_by_delegate_or_by_file(tmp_path) -> None:
    """Thin Multus first in net.d: pods get its cluster network on eth0 — the delegate inline,
    or the file `clusterNetwork` names (a path as the DaemonSet writes it); the next file by
    name would otherwise win."""
    netd = tmp_path / "net.d"
    netd.mkdir()
    (netd / "00-multus.conf").write_text(json.dumps({
        "cniVersion": "0.3.1", "name": "multus-cni-network", "type": "multus",
        "clusterNetwork": "/host/etc/cni/net.d/20-containerd-net.conflist"}))
    shutil.copy(CORPUS / "crio" / "11-crio-ipv4-bridge.conflist", netd / "10-crio.conflist")
    shutil.copy(CORPUS / "containerd" / "10-containerd-net.conflist",
                netd / "20-containerd-net.conflist")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["check", str(netd), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "Multus runs its clusterNetwork" in " ".join(result.output.split())
    report = json.loads(out.read_text())
    # containerd's conflist: an address per range set, both probed
    assert {p["dst"] for p in report["probes"] if p["to"] == "pod1"} == {
        "10.88.0.2", "2001:4860:4860::2"}
    shutil.copy(CORPUS / "multus" / "01-multus-cni_fl_ptp_br.conf", netd / "00-multus.conf")
    result = CliRunner().invoke(main, ["check", str(netd), "--json", str(out)])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "cluster network 'flannel' (eth0)" in text, text
    assert "Multus also attaches delegates[1] (net1), delegates[2] (net2)" in text
    assert {p["dst"] for p in json.loads(out.read_text())["probes"]
            if p["to"] == "pod1"} == {"10.244.0.2"}  # flannel's lease, not 10-crio's


def test_multus_in_a_scenario_is_keyed_by_its_cluster_networks_name(tmp_path) -> None:
    shutil.copy(CORPUS / "multus" / "70-multus.conf", tmp_path / "70-multus.conf")
    (tmp_path / "s.yml").write_text(
        "name: s\nhosts: {node1: {runtime: cni}}\n"
        "flannel: {Network: 10.244.0.0/16, Backend: {Type: vxlan}}\n"
        "cni: {multus-cni-network: {file: 70-multus.conf}}\ncontainers: {pa: {}}\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "s.yml")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "70-multus.conf:10:" in text and "under its own name 'default-cni-network'" in text
    (tmp_path / "s.yml").write_text((tmp_path / "s.yml").read_text().replace(
        "multus-cni-network:", "default-cni-network:"))
    result = CliRunner().invoke(main, ["check", str(tmp_path / "s.yml")])
    assert result.exit_code == 0, result.output
