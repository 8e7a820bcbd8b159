"""netsim refuses a plugin's config in the plugin's own words: for each wrong value, the real
binary (Debian's containernetworking-plugins, run in namespaces netsim made) is asked, and
`netsim check`'s message must be the one it gave, word for word."""

from __future__ import annotations

import json

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.journal import Journal
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import needs_root

pytestmark = [needs_root, pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                                             reason="apt-get install containernetworking-plugins")]
LAB = "cniw"
HL = {"type": "host-local", "ranges": [[{"subnet": "10.9.0.0/24"}]]}
CASES = [  # (plugin type, its keys): each refused by the real plugin before it does anything
    ("bridge", {"isGateway": "true"}), ("bridge", {"mtu": 1.5}), ("bridge", {"hairpinMode": 1}),
    ("bridge", {"bridge": 5}), ("bridge", {"vlan": "x"}), ("bridge", {"IsDefaultGateway": []}),
    ("ptp", {"ipMasq": "yes"}), ("ptp", {"mtu": {}}), ("macvlan", {"master": 5}),
    ("macvlan", {"mode": 7}), ("ipvlan", {"mtu": "x"}), ("vlan", {"vlanId": "q"}),
    ("portmap", {"snat": "x"}), ("portmap", {"markMasqBit": "x"}),
    ("portmap", {"conditionsV4": "x"}), ("portmap", {"externalSetMarkChain": 5}),
    ("firewall", {"ingressPolicy": 5}), ("firewall", {"backend": 5}),
    ("tuning", {"mtu": "5"}), ("tuning", {"sysctl": 5}), ("tuning", {"promisc": "x"}),
    ("bandwidth", {"ingressRate": "x"}), ("bandwidth", {"egressBurst": -1}), ("sbr", {}),
    ("host-device", {}), ("host-device", {"device": 5}), ("host-device", {"device": "nic9"}),
    ("host-device", {"hwaddr": "zz"}), ("vrf", {}), ("vrf", {"vrfname": "blue"}),
    ("vrf", {"vrfname": "blue", "table": "x"}), ("vrf", {"vrfname": "blue", "table": -1}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": 5}]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": "x"}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [["x"]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.4.0.1"}]]}}),
    ("bridge", {"ipam": {**HL, "routes": [{"dst": "x"}]}}),
    ("bridge", {"ipam": {**HL, "routes": [{"dst": "0.0.0.0/0", "gw": 5}]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.0.0.0/24",
                                                             "gateway": "zz"}]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.0.0.0/24"}],
                                                          [{"subnet": "10.0.0.0/25"}]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.0.0.0/24"},
                                                           {"subnet": "fd00::/64"}]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.0.0.0/31"}]]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[]]}}),
    ("bridge", {"ipam": {"type": "host-local"}}),
    ("bridge", {"ipam": {**HL, "routes": "x"}}), ("bridge", {"ipam": {**HL, "routes": ["x"]}}),
    ("bridge", {"ipam": {**HL, "routes": [{"gw": "10.9.0.1"}]}}),
    ("bridge", {"ipam": {"type": "host-local", "ranges": [[{"gateway": "10.9.0.1"}]]}}),
    ("bridge", {"ipam": {"type": "static", "addresses": "x"}}),
    ("bridge", {"ipam": {"type": "static", "addresses": [{"address": 5}]}}),
    # what the kernel refuses (each on a bridge or a range of its own: the node is shared)
    ("bridge", {"bridge": "a/b"}), ("bridge", {"bridge": "brm", "mtu": 65536}),
    ("bridge", {"bridge": "a b"}), ("bridge", {"bridge": "x" * 16}),
    ("bridge", {"bridge": "brn", "mtu": 67}),
    ("ptp", {"mtu": 65536, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/24"}]]}}),
]


def netsim_says(tmp_path, conflist: dict) -> str:
    (tmp_path / "n.conflist").write_text(json.dumps(conflist))
    (tmp_path / "s.yml").write_text("name: s\nhosts: {node1: {runtime: cni}}\n"
                                    "cni: {net: {file: n.conflist}}\ncontainers: {pa: {}}\n")
    with pytest.raises(ScenarioError) as e:
        assert Lab.load(tmp_path / "s.yml").model
    return e.value.message


@pytest.fixture(scope="module")
def lab():
    """A node namespace, and a new pod namespace for each case (a failed ADD leaves its veth
    in the pod, as the real plugins do)."""
    assert sandbox.create_journal(LAB, Journal(lab=LAB, files=str(sandbox.files_dir(LAB))))
    made = iter(range(len(CASES)))

    def pod() -> str:
        name = sandbox.ns_name(LAB, f"pod{next(made)}")
        sandbox.create_netns(name, {"net.ipv6.conf.all.disable_ipv6": "1"}, LAB)
        return name

    try:
        sandbox.create_netns(sandbox.ns_name(LAB, "node1"), {}, LAB)
        yield pod
    finally:
        sandbox.teardown(LAB)


@pytest.mark.parametrize("kind, keys", CASES, ids=[f"{k}-{json.dumps(v)}" for k, v in CASES])
def test_netsim_refuses_in_the_words_the_real_plugin_uses(lab, tmp_path, kind, keys) -> None:
    conflist = {"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": kind, **keys}]}
    with pytest.raises(cni_exec.PluginError) as real:
        cni_exec.add(conflist, "pod1", lab(), "eth0", sandbox.ns_name(LAB, "node1"), {},
                     sandbox.files_dir(LAB) / "node1")
    assert netsim_says(tmp_path, conflist) == real.value.msg
