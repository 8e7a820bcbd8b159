"""A network configuration as libcni and the plugins read it, without root: Go's JSON rules,
libcni's checks and words, `.conf` upconverted, IPv6 carried, L2-only and loopback-only
networks, errors at the user's own file:line."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.runtime.cni.plugins import bridge, hostlocal, portmap
from netsim.scenario import jsonpos
from netsim.scenario.cni import gojson, libcni


def words(plugin: dict, module=bridge) -> str:
    with pytest.raises(gojson.DecodeError) as e:
        gojson.decode(plugin, module.CONF)
    return e.value.message


def test_go_matches_a_key_to_its_field_ignoring_case_and_drops_nulls() -> None:
    got = gojson.decode({"type": "bridge", "IsGateway": True, "ipmasq": None, "extra": [1]},
                        bridge.CONF)
    assert got == {"type": "bridge", "isGateway": True, "extra": [1]}


@pytest.mark.parametrize("plugin, said", [  # each sentence as the real plugin 1.1.1 said it
    ({"isGateway": "true"}, "json: cannot unmarshal string into Go struct field "
                            "NetConf.isGateway of type bool"),
    ({"mtu": 1.5}, "json: cannot unmarshal number 1.5 into Go struct field NetConf.mtu of "
                   "type int"),
    ({"mtu": 99999999999999999999}, "json: cannot unmarshal number 99999999999999999999 into "
                                    "Go struct field NetConf.mtu of type int"),
    ({"capabilities": "x"}, "json: cannot unmarshal string into Go struct field "
                            "NetConf.capabilities of type map[string]bool"),
    ({"ipam": {"type": 5}}, "json: cannot unmarshal number into Go struct field IPAM.ipam.type "
                            "of type string"),
    ({"dns": {"nameservers": "x"}}, "json: cannot unmarshal string into Go struct field "
                                    "DNS.dns.nameservers of type []string"),
    ({"IsGateway": 5}, "json: cannot unmarshal number into Go struct field NetConf.isGateway "
                       "of type bool"),
])
def test_a_wrong_type_is_refused_in_gos_words(plugin, said) -> None:
    assert words({"type": "bridge", **plugin}) == said


def test_numbers_keep_their_literal_and_the_first_wrong_field_in_the_file_wins() -> None:
    data, _ = jsonpos.load('{"type": "bridge", "mtu": 1e3, "isGateway": "y"}', "f")
    assert words(data) == "json: cannot unmarshal number 1e3 into Go struct field NetConf.mtu " \
                          "of type int"


@pytest.mark.parametrize("ipam, said", [
    ({"ranges": [[{"subnet": 5}]]}, "json: cannot unmarshal number into Go struct field "
                                    "Range.ipam.ranges.subnet of type string"),
    ({"ranges": "x"}, "json: cannot unmarshal string into Go struct field "
                      "IPAMConfig.ipam.ranges of type []allocator.RangeSet"),
    ({"ranges": [["x"]]}, "json: cannot unmarshal string into Go struct field "
                          "IPAMConfig.ipam.ranges of type allocator.Range"),
    ({"routes": [{"dst": "0.0.0.0/0", "gw": 5}]}, "json: cannot unmarshal number into Go "
                                                  "struct field IPAMConfig.ipam.routes of type "
                                                  "net.IP"),
    ({"routes": [{"dst": "x"}]}, "invalid CIDR address: x"),
    ({"ranges": [[{"subnet": "10.0.0.0/33"}]]}, "invalid CIDR address: 10.0.0.0/33"),
    ({"ranges": [[{"subnet": "10.4.0.1"}]]}, "invalid CIDR address: 10.4.0.1"),
    ({"ranges": [[{"subnet": "10.0.0.0/24", "gateway": "zz"}]]}, "invalid IP address: zz"),
])
def test_host_local_decodes_its_ipam_in_its_words(ipam, said) -> None:
    assert words({"type": "bridge", "ipam": {"type": "host-local", **ipam}}, hostlocal) == said


def test_portmap_has_its_own_struct_name() -> None:
    assert words({"type": "portmap", "snat": "x"}, portmap).endswith(
        "Go struct field PortMapConf.snat of type bool")


@pytest.mark.parametrize("data, said", [
    ({}, "error parsing configuration list: no name"),
    ({"name": 5}, "error parsing configuration list: invalid name type float64"),
    ({"name": "n", "cniVersion": 1}, "error parsing configuration list: invalid cniVersion "
                                     "type float64"),
    ({"name": "n"}, "error parsing configuration list: no 'plugins' key"),
    ({"name": "n", "plugins": {}}, "error parsing configuration list: invalid 'plugins' type "
                                   "map[string]interface {}"),
    ({"name": "n", "plugins": []}, "error parsing configuration list: no plugins in list"),
    ({"name": "n", "plugins": [{"capabilities": "portMappings", "type": "portmap"}]},
     "failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal "
     "string into Go struct field NetConf.capabilities of type map[string]bool"),
    ({"name": "n", "plugins": [{"ipMasq": True}]},
     "failed to parse plugin config 0: error parsing configuration: missing 'type'"),
    ({"name": "n", "disableCheck": "maybe", "plugins": [{"type": "bridge"}]},
     'error parsing configuration list: invalid value "maybe" for disableCheck'),
    ([1], "error parsing configuration list: json: cannot unmarshal array into Go value of "
          "type map[string]interface {}"),
])
def test_libcni_refuses_a_list_in_its_words(data, said) -> None:
    with pytest.raises(libcni.Invalid) as e:
        libcni.conflist(data)
    assert e.value.message == said


def test_a_conf_is_upconverted_and_a_missing_version_is_the_oldest() -> None:
    conf = libcni.from_file({"name": "mynet", "type": "bridge", "DisableCheck": 1}, ".conf")
    assert conf["name"] == "mynet" and conf["cniVersion"] == "0.1.0"
    assert [p["type"] for p in conf["plugins"]] == ["bridge"]
    assert libcni.conflist({"name": "n", "cniVersion": "1.0.0", "cniVersions": [
        "0.4.0", "1.0.0", "9.0.0"], "plugins": [{"type": "x"}]})["cniVersion"] == "1.0.0"


def scenario(tmp_path, conflist: str, name: str = "n.conflist") -> Lab:
    (tmp_path / name).write_text(conflist)
    (tmp_path / "s.yml").write_text(
        "name: s\nhosts: {node1: {runtime: cni}}\n"
        f"cni: {{net: {{file: {name}}}}}\ncontainers: {{pa: {{}}, pb: {{}}}}\n")
    lab = Lab.load(tmp_path / "s.yml")
    assert lab.model  # built now: its errors are raised here
    return lab


def test_an_error_points_at_the_users_own_file_and_line(tmp_path) -> None:
    with pytest.raises(ScenarioError) as e:
        scenario(tmp_path, '{"cniVersion": "1.0.0", "name": "net", "plugins": [\n'
                           '  {"type": "bridge",\n   "isGateway": "true"}]}')
    assert e.value.where.file.endswith("n.conflist") and e.value.where.line == 3
    assert e.value.message == "failed to load netconf: json: cannot unmarshal string into Go " \
                              "struct field NetConf.isGateway of type bool"


def test_a_bridge_with_host_local_predicts_both_families_in_the_ranges_order(tmp_path) -> None:
    lab = scenario(tmp_path, '{"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": '
                   '"bridge", "isGateway": true, "ipam": {"type": "host-local", "ranges": '
                   '[[{"subnet": "fd00::/64"}], [{"subnet": "10.1.0.0/24"}]], "routes": '
                   '[{"dst": "::/0"}, {"dst": "0.0.0.0/0"}]}}]}')
    ep = lab.model.endpoints["pa"]
    assert (str(ep.primary), str(ep.primary6)) == ("10.1.0.2", "fd00::2")
    assert not [w for c, w in lab.model.warnings if c == "C06"]
    assert [(str(r.dst), str(r.via)) for r in lab.model.ns["pa"].routes] == [
        ("::/0", "fd00::1"), ("0.0.0.0/0", "10.1.0.1")]
    assert [str(a) for a in lab.model.ns["node1"].ifaces["cni0"].addrs] == [
        "fd00::1/64", "10.1.0.1/24"]
    assert lab.model.ns["node1"].forwarding6 and lab.model.ns["node1"].forwarding
    assert lab.model.tool_runs[0].expected_ips == ["fd00::2/64", "10.1.0.2/24"]


def test_ipv6_of_a_plugin_not_modelled_in_it_is_carried_and_said(tmp_path) -> None:
    lab = scenario(tmp_path, '{"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": '
                   '"ptp", "ipam": {"type": "host-local", "ranges": '
                   '[[{"subnet": "fd00::/64"}], [{"subnet": "10.1.0.0/24"}]], "routes": '
                   '[{"dst": "::/0"}, {"dst": "0.0.0.0/0"}]}}]}')
    assert str(lab.model.endpoints["pa"].primary) == "10.1.0.2"
    said = [w for c, w in lab.model.warnings if c == "C06"]
    assert said == ["cni.net: IPv6 range fd00::/64, route ::/0: carried to the real plugins as "
                    "written, not modelled yet; the IPv4 side is predicted"]
    assert all(r.dst.version == 4 for r in lab.model.ns["pa"].routes)
    assert lab.model.ns["pa"].carries_ipv6 and lab.model.endpoints["pa"].primary6 is None


def test_host_local_checks_its_range_sets_as_the_plugin_does(tmp_path) -> None:
    for ranges, said in ((('[[{"subnet": "10.0.0.0/24"}], [{"subnet": "10.0.0.0/25"}]]'),
                          "range set 0 overlaps with 1"),
                         ('[[{"subnet": "10.0.0.0/24"}, {"subnet": "fd00::/64"}]]',
                          "invalid range set 0: mixed address families"),
                         ('[[{"subnet": "10.0.0.0/31"}]]', "invalid range set 0: Network "
                          "10.0.0.0/31 too small to allocate from"),
                         ('[[]]', "invalid range set 0: empty range set")):
        with pytest.raises(ScenarioError) as e:
            scenario(tmp_path, '{"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": '
                     f'"bridge", "ipam": {{"type": "host-local", "ranges": {ranges}}}}}]}}')
        assert e.value.message == said


def test_an_l2_only_bridge_gives_a_link_and_no_address(tmp_path) -> None:
    lab = scenario(tmp_path, '{"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": '
                   '"bridge", "bridge": "br0", "isGateway": true, "ipam": {}}]}')
    a = lab.model.ns["pa"].ifaces["eth0"]
    assert a.addrs == [] and a.peer is not None
    assert lab.model.ns["node1"].ifaces["br0"].addrs == []  # no IPAM: no gateway address
    assert lab.model.endpoints["pa"].primary is None


def test_a_plugin_of_another_project_is_named(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="the cilium-cni plugin is Cilium's"):
        scenario(tmp_path, '{"cniVersion": "0.3.1", "name": "net", "plugins": [{"type": '
                 '"cilium-cni"}]}')


def test_a_single_plugin_conf_file_is_one_network(tmp_path) -> None:
    lab = scenario(tmp_path, '{"name": "net", "type": "bridge", "isGateway": true, "ipam": '
                   '{"type": "host-local", "subnet": "10.2.0.0/24"}}', "n.conf")
    assert str(lab.model.endpoints["pb"].primary) == "10.2.0.3"
