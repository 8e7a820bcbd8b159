"""netsim as the CNI runtime, against Debian's real plugins (containernetworking-plugins) in
namespaces netsim made: results are checked against what the kernel then holds."""

from __future__ import annotations

import os
import subprocess
from ipaddress import IPv4Address

import pytest

from netsim.errors import EnvironmentProblem
from netsim.realize import sandbox
from netsim.realize.journal import Journal
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import needs_root

pytestmark = [needs_root, pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                                             reason="apt-get install containernetworking-plugins")]
LAB = "cnix"
CONFLIST = {
    "cniVersion": "1.0.0", "name": "containerd-net",
    "plugins": [
        {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
         "promiscMode": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                  "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}
PORTS = {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}


def inside(ns: str, *argv: str) -> str:
    def run() -> str:
        with sandbox.in_netns(ns):
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout

    return sandbox.in_thread(run)


@pytest.fixture
def node():
    """A node namespace and two pod namespaces, journaled and torn down as a lab's."""
    assert sandbox.create_journal(LAB, Journal(lab=LAB, files=str(sandbox.files_dir(LAB))))
    names = {n: sandbox.ns_name(LAB, n) for n in ("node1", "pod1", "pod2")}
    try:
        for n in names.values():
            sandbox.create_netns(n, {"net.ipv6.conf.all.disable_ipv6": "1"}, LAB)
        yield names
    finally:
        sandbox.teardown(LAB)


def test_add_runs_every_plugin_and_the_kernel_has_what_the_results_say(node) -> None:
    state = sandbox.files_dir(LAB) / "node1"
    first = cni_exec.add(CONFLIST, "pod1", node["pod1"], "eth0", node["node1"], PORTS, state)
    second = cni_exec.add(CONFLIST, "pod2", node["pod2"], "eth0", node["node1"], {}, state)
    assert [ip["address"] for ip in first["ips"]] == ["10.88.0.2/16"]
    assert first["ips"][0]["gateway"] == "10.88.0.1"
    assert [ip["address"] for ip in second["ips"]] == ["10.88.0.3/16"]  # host-local: next free
    assert "10.88.0.2/16" in inside(node["pod1"], "ip", "-o", "-4", "addr", "show", "eth0")
    assert "10.88.0.1/16" in inside(node["node1"], "ip", "-o", "-4", "addr", "show", "cni0")
    assert "default via 10.88.0.1" in inside(node["pod1"], "ip", "route")
    nat = inside(node["node1"], "iptables-save", "-t", "nat")
    assert "-j CNI-HOSTPORT-DNAT" in nat and "--to-destination 10.88.0.2:80" in nat
    assert (state / "host-local" / "containerd-net" / "10.88.0.2").is_file()
    cni_exec.delete(CONFLIST, "pod1", node["pod1"], "eth0", node["node1"], PORTS, state, first)
    assert "eth0" not in inside(node["pod1"], "ip", "-o", "link")
    assert "10.88.0.2:80" not in inside(node["node1"], "iptables-save", "-t", "nat")
    assert not (state / "host-local" / "containerd-net" / "10.88.0.2").exists()
    assert not os.path.exists("/var/lib/cni/networks/containerd-net")  # never the machine's


def test_check_passes_on_what_add_made_and_fails_once_the_kernel_changed(node) -> None:
    """CHECK is the plugins' own verdict on the kernel: bridge and host-local pass right
    after ADD, and fail when the pod's address is gone (an operator's `ip addr flush`)."""
    state = sandbox.files_dir(LAB) / "node1"
    bridge_only = {**CONFLIST, "plugins": CONFLIST["plugins"][:1]}
    got = cni_exec.add(bridge_only, "pod1", node["pod1"], "eth0", node["node1"], {}, state)
    cni_exec.check(bridge_only, "pod1", node["pod1"], "eth0", node["node1"], {}, state, got)
    inside(node["pod1"], "ip", "addr", "flush", "dev", "eth0")
    with pytest.raises(cni_exec.PluginError) as e:
        cni_exec.check(bridge_only, "pod1", node["pod1"], "eth0", node["node1"], {}, state, got)
    assert e.value.plugin == "bridge" and "10.88.0.2" in e.value.msg, e.value


def test_portmaps_known_check_bug_is_a_warning_not_a_finding() -> None:
    from netsim.lab import Lab
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / "cni-containerd.yml")
    report = lab.run()
    said = [t for pid, t in report.warnings if pid == "CHECK"]
    assert not report.findings and said and all("plugins#819" in t for t in said), said


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"cniVersion": "1.1.0"}, 1, "incompatible CNI versions"),
    ({"hairpinMode": True}, 999, "cannot set hairpin mode and promiscuous mode"),
])
def test_a_plugins_error_comes_back_as_the_plugin_words_it(node, change, code, words) -> None:
    conflist = {**CONFLIST, **{k: v for k, v in change.items() if k == "cniVersion"}}
    conflist["plugins"] = [{**CONFLIST["plugins"][0], **{k: v for k, v in change.items()
                                                         if k != "cniVersion"}}]
    with pytest.raises(cni_exec.PluginError) as e:
        cni_exec.add(conflist, "pod1", node["pod1"], "eth0", node["node1"], {},
                     sandbox.files_dir(LAB) / "node1")
    assert e.value.code == code and words in e.value.msg, e.value


def test_a_missing_plugin_is_an_environment_problem_naming_the_package() -> None:
    with pytest.raises(EnvironmentProblem, match="containernetworking-plugins") as e:
        cni_exec.binary("calico")
    assert e.value.exit_code == 3


def test_a_plugin_address_the_model_did_not_predict_is_a_finding() -> None:
    """`netsim run` compares the real plugins' results with the model: tamper with the
    model's expectation and the run reports the plugins' address as a finding (exit 1)."""
    from netsim.lab import Lab
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / "cni-bridge.yml")
    assert not lab.run(full_matrix=False).findings  # as predicted
    lab = Lab.load(SCENARIOS / "cni-bridge.yml")
    lab.model.tool_runs[0].expected_ips = ["10.88.0.99/16"]
    report = lab.run(full_matrix=False)
    assert report.findings == ["web: the podnet plugins gave 10.88.0.2/16, the model predicted "
                               "10.88.0.99/16"]
    assert not report.ok


@pytest.mark.parametrize("which", ["cni-containerd", "cni-podman", "cni-hairpin", "cni-ptp",
                                   "cni-nerdctl", "cni-docker-node", "cni-dualstack"])
def test_the_nodes_iptables_save_is_the_models_rendering_line_for_line(which) -> None:
    """`netsim inspect` prints what iptables-save shows on the node: the plugins' chains
    (CNI-<hash>, CNI-DN-<hash>, portmap's and firewall's, with their comments), and on a node
    that also runs Docker, dockerd's beside them in the order the two started; and where the
    model holds the conflist's IPv6 (bridge with host-local), ip6tables-save as well."""
    from netsim.lab import Lab
    from netsim.realize.iptables_save import render
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / f"{which}.yml")
    nodes = [n for n, ns in lab.model.ns.items() if ns.rules_by]
    six = all(run.ipv6 for run in lab.model.tool_runs)
    with lab.up():
        real = {(n, tool): inside(sandbox.ns_name(lab.name, n), tool) for n in nodes
                for tool in ("iptables-save", "ip6tables-save")}
    for n in nodes:
        for tool, rules in (("iptables-save", lab.model.ns[n].rules),
                            ("ip6tables-save", lab.model.ns[n].rules6)):
            if tool == "ip6tables-save" and not six:
                continue
            saved = "".join(line + "\n" for line in real[n, tool].splitlines()
                            if not line.startswith("#"))
            assert saved.strip() == render(rules).strip(), (n, tool)
        assert real[n, "iptables-save"].count("-A CNI-") >= 2  # the plugins did write here
    if which in ("cni-containerd", "cni-dualstack"):  # containerd's conflist: IPv6 ipMasq too
        pods = len(lab.model.containers)
        assert real["node1", "ip6tables-save"].count("! -d ff00::/8") == pods >= 2


def test_tuning_bandwidth_static_and_ips_as_the_model_says() -> None:
    """The real plugins' work, read back from the kernel: tuning's MTU on the pod side only,
    bandwidth's tbf and its ifb device, static's address, the address asked for by `ips`."""
    from netsim.lab import Lab
    from netsim.model.graph import IfKind
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / "cni-options.yml")
    m = lab.model
    ifbs = [i.name for i in m.ns["node1"].ifaces.values() if i.kind == IfKind.IFB]
    assert len(ifbs) == 2  # one per pod of the shaped network
    with lab.up():
        ns = {n: sandbox.ns_name(lab.name, n) for n in ("node1", "web", "solo")}
        pod = inside(ns["web"], "ip", "-o", "-4", "addr", "show", "eth0")
        link = inside(ns["web"], "ip", "-o", "link", "show", "eth0")
        node_links = inside(ns["node1"], "ip", "-o", "link")
        qdiscs = inside(ns["node1"], "tc", "qdisc", "show")
        solo = inside(ns["solo"], "ip", "-o", "-4", "addr", "show", "eth0")
    assert "10.88.0.50/24" in pod and m.endpoints["web"].primary == IPv4Address("10.88.0.50")
    assert f"mtu {m.ns['web'].ifaces['eth0'].mtu} " in link and "mtu 1400 " in link
    for ifb in ifbs:
        assert f"{ifb}:" in node_links and f"tbf 1: dev {ifb} root" in qdiscs
    ports = [line for line in node_links.splitlines() if "master cni0" in line]
    assert len(ports) == 2 and all("mtu 1500 " in line for line in ports)  # the node's side
    assert "10.77.0.5/24" in solo


def test_sbr_rule_and_table_as_the_model_says() -> None:
    """The real sbr plugin's rule and table, read back from the pod: what the model holds
    (PolicyRule, the routes of table 100) and nothing left in main."""
    from netsim.lab import Lab
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / "cni-sbr.yml")
    ns = lab.model.ns["web"]
    with lab.up():
        name = sandbox.ns_name(lab.name, "web")
        rules = inside(name, "ip", "-4", "rule", "show")
        table = inside(name, "ip", "-4", "route", "show", "table", "100")
        main = inside(name, "ip", "-4", "route", "show", "table", "main")
    [rule] = ns.policy
    assert f"{rule.priority}:\tfrom {rule.src.network_address} lookup {rule.table}" in rules
    got = sorted(" ".join(line.split()[:3]) for line in table.splitlines())
    want = sorted(f"{'default' if r.dst.prefixlen == 0 else r.dst} "
                  f"{'via ' + str(r.via) if r.via else 'dev eth0'}" for r in ns.routes)
    assert got == want and all(r.table == rule.table for r in ns.routes), (table, ns.routes)
    assert main.strip() == "", main


def test_host_device_moves_the_nodes_nic_as_the_model_says() -> None:
    """The real host-device plugin took eth1 out of the node: the pod's eth0 has its MAC and
    its old name as the alias, the node has no eth1 left."""
    from netsim.lab import Lab
    from tests.conftest import SCENARIOS

    lab = Lab.load(SCENARIOS / "cni-host-device.yml")
    moved = lab.model.ns["nas"].ifaces["eth0"]
    with lab.up():
        pod = inside(sandbox.ns_name(lab.name, "nas"), "ip", "-d", "link", "show", "eth0")
        node = inside(sandbox.ns_name(lab.name, "node1"), "ip", "-o", "link")
    assert f"link/ether {moved.mac} " in pod and "alias eth1" in pod, pod
    assert moved.born == ("node1", "eth1") and "eth1" not in node, node
