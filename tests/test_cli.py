"""The `netsim` command as a user meets it: help, exit codes, the JSON report, no root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from netsim.cli import main
from netsim.report.jsonout import schema as report_schema
from tests.conftest import SCENARIOS
from tests.report.junit_xsd import junit_cases, junit_failures

CLUSTERS = Path(__file__).parent / "clusters"

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


def test_help_says_what_each_command_does_in_one_line() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    assert "See and prove how Docker container networking behaves." in out
    for name, cmd in main.commands.items():
        short = cmd.get_short_help_str(limit=200)
        assert short and "\n" not in short, name
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_check_clean(path: Path, tmp_path: Path) -> None:
    """Exit 0, and the JSON and JUnit reports valid against their schemas and saying so."""
    out, xml = tmp_path / "r.json", tmp_path / "r.xml"
    result = CliRunner().invoke(main, ["check", str(path), "--json", str(out), "--junit",
                                       str(xml)])
    assert result.exit_code == 0, result.output
    assert "Addressing plan" in result.output
    report = json.loads(out.read_text())
    jsonschema.validate(report, report_schema())
    assert report["judged"]["exit_code"] == 0 and report["judged"]["failures"] == 0
    assert junit_failures(xml) == 0
    assert len(report["warnings"]) == junit_cases(xml, "warnings")
    assert report["summary"]["failed"] == 0
    expected = [p for p in report["probes"] if p["origin"].startswith("expect")]
    assert expected and all(p["predicted"] == p["expected"] for p in expected)
    assert {"from", "to", "dst", "proto", "port", "expected", "predicted", "observed",
            "source_expected", "source_seen", "ok", "attempts", "path", "why"} <= set(
        report["probes"][0])


def test_a_wrong_expectation_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("name: w\ncontainers: {aa: {}}\nexpect:\n  - {from: lan, to: aa, result: reach}\n")
    result = CliRunner().invoke(main, ["check", "-q", str(path)])
    assert result.exit_code == 1
    assert "NO" in result.output


def test_missing_file_exits_2() -> None:
    result = CliRunner().invoke(main, ["check", "/nonexistent/x.yml"])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root to drop to an unprivileged user")
def test_check_runs_as_an_unprivileged_user() -> None:
    path = SCENARIOS / "bridge.yml"
    env = {**os.environ, "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            sys.executable, "-m", "netsim.cli", "check", "-q", str(path)]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "expectations predicted to hold" in r.stdout


def test_inspect_an_unknown_host_is_bad_input() -> None:
    r = CliRunner().invoke(main, ["inspect", str(SCENARIOS / "bridge.yml"), "--host", "nothere"])
    assert r.exit_code == 2 and "--host nothere: no such host in bridge (valid: docker1)" in r.output


def test_json_to_standard_output_keeps_the_terminal_report_apart() -> None:
    argv = [sys.executable, "-m", "netsim.cli", "check", "-q", str(SCENARIOS / "bridge.yml"),
            "--json", "-"]
    r = subprocess.run(argv, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["failed"] == 0  # stdout is the JSON, whole
    assert "expectations predicted to hold" in r.stderr


def test_inspect_prints_dockers_iptables_save_and_our_nft() -> None:
    out = CliRunner().invoke(main, ["inspect", str(SCENARIOS / "bridge.yml")]).output
    assert "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination " \
           "172.17.0.2:80" in out
    nft = CliRunner().invoke(main, ["inspect", "--nft", str(SCENARIOS / "bridge.yml")]).output
    assert 'iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80' in nft


@pytest.mark.skipif(os.geteuid() != 0, reason="netsim run needs root")
def test_run_refuses_ipvlan_on_this_kernel_with_exit_3() -> None:
    """check predicts it; run refuses before building anything (no ipvlan in this kernel)."""
    path = str(SCENARIOS / "ipvlan.yml")
    assert CliRunner().invoke(main, ["check", path, "-q"]).exit_code == 0
    result = CliRunner().invoke(main, ["run", path, "-q"])
    assert result.exit_code == 3, result.output
    assert "ipvlan" in result.output and "operation not supported" in result.output


def test_check_a_bare_conflist_and_a_net_d_directory(tmp_path: Path) -> None:
    """One node, two pods on the network the runtime would pick (first by file name)."""
    bridge = {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
              "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                       "routes": [{"dst": "0.0.0.0/0"}]}}
    (tmp_path / "10-containerd-net.conflist").write_text(json.dumps(
        {"cniVersion": "1.0.0", "name": "containerd-net", "plugins": [bridge]}))
    (tmp_path / "20-other.conflist").write_text(json.dumps(
        {"cniVersion": "1.0.0", "name": "other", "plugins": [
            {**bridge, "bridge": "cni1", "ipam": {"type": "host-local",
                                                  "ranges": [[{"subnet": "10.99.0.0/16"}]]}}]}))
    out = tmp_path / "r.json"
    for target in (tmp_path, tmp_path / "10-containerd-net.conflist"):
        result = CliRunner().invoke(main, ["check", str(target), "-q", "--json", str(out)])
        assert result.exit_code == 0, result.output
        probes = [p for p in json.loads(out.read_text())["probes"] if p["origin"] != "matrix"]
        assert {(p["from"], p["to"], p["predicted"]) for p in probes} >= {
            ("pod2", "pod1", "open"), ("pod1", "outside", "open"), ("lan", "pod1", "blocked")}
    (tmp_path / "05-broken.conflist").write_text("{ not json")  # CRI-O skips it, and says so
    result = CliRunner().invoke(main, ["check", str(tmp_path), "-q"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "05-broken.conflist skipped, as CRI-O skips it" in text
    assert "05-broken.conflist:1:3: invalid JSON: invalid character 'n' looking for beginning " \
           "of object key string" in text
    result = CliRunner().invoke(main, ["check", str(tmp_path / "05-broken.conflist"), "-q"])
    assert result.exit_code == 2 and "invalid character 'n'" in result.output


def test_engine_names_are_checked_before_anything_is_built() -> None:
    bad = CliRunner().invoke(main, ["run", str(SCENARIOS / "bridge.yml"), "--engine", "podman"])
    assert bad.exit_code == 2 and "one of netns, docker" in bad.output
    twice = CliRunner().invoke(main, ["run", str(SCENARIOS / "bridge.yml"), "--engine",
                                      "docker,docker"])
    assert twice.exit_code == 2 and "names an engine twice" in twice.output
    up = CliRunner().invoke(main, ["up", str(SCENARIOS / "bridge.yml"), "--engine",
                                   "netns,docker"])
    assert up.exit_code == 2 and "up takes one engine" in up.output


def test_import_docker_from_an_engine_that_is_not_there_says_so(tmp_path: Path) -> None:
    sock = tmp_path / "no.sock"
    r = CliRunner().invoke(main, ["import", "docker", "--docker-host", f"unix://{sock}"])
    assert r.exit_code == 3, r.output
    assert "cannot reach the Docker engine" in r.output and "Traceback" not in r.output


def _interrupted_by(swallow: str) -> subprocess.CompletedProcess:
    """Run `swallow` (code that makes a signal unraisable) after netsim's hook is in place,
    then sleep a second: "interrupted" when the signal came back."""
    code = textwrap.dedent("""
        import sys, time, types, weakref
        from netsim import cli
        cli._interrupts_raise()
        SWALLOW
        try:
            for _ in range(100):
                time.sleep(0.01)
            print("not interrupted")
        except KeyboardInterrupt:
            print("interrupted")
    """).replace("SWALLOW", textwrap.dedent(swallow).strip())
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)


def test_a_signal_swallowed_inside_a_weakref_callback_is_raised_again() -> None:
    """Ctrl-C landing in the import lock's weakref callback used to print `Exception ignored`
    and let the run finish as if never interrupted (seen in CI)."""
    out = _interrupted_by("class Obj: pass\n"
                          "def cb(_):\n    raise KeyboardInterrupt\n"
                          "o = Obj(); ref = weakref.ref(o, cb); del o")
    assert out.stdout.strip() == "interrupted" and "Traceback" not in out.stderr, out


def test_a_signal_a_c_extension_swallowed_without_a_value_is_raised_again() -> None:
    """pydantic-core building a validator when Ctrl-C came reported it as unraisable with
    its type only (seen in CI: `Exception ignored in: 'IPv4Address'`, the run went on)."""
    out = _interrupted_by("sys.unraisablehook(types.SimpleNamespace(exc_type=KeyboardInterrupt, "
                          "exc_value=None, exc_traceback=None, err_msg=None, "
                          "object='IPv4Address'))")
    assert out.stdout.strip() == "interrupted" and "Traceback" not in out.stderr, out


def test_a_signal_swallowed_while_a_command_imports_the_lab_is_exit_130() -> None:
    """The hook is in place from the moment a Ctrl-C raises (the CLI's main), not only once
    a command started building: `netsim check` swallowing one while it imports netsim.lab
    (pydantic-core building its models: seen in CI, the run finished with 0) ends 130."""
    code = textwrap.dedent("""
        import builtins, sys, time, types
        from netsim import cli
        real = builtins.__import__

        def swallowing(name, *args, **kwargs):
            if name == "netsim.lab" and not getattr(swallowing, "done", False):
                swallowing.done = True
                sys.unraisablehook(types.SimpleNamespace(
                    exc_type=KeyboardInterrupt, exc_value=None, exc_traceback=None,
                    err_msg=None, object="IPv4Address"))
                time.sleep(0.5)
            return real(name, *args, **kwargs)

        builtins.__import__ = swallowing
        sys.argv = ["netsim", "check", "-q", "SCENARIO"]
        cli.main()
    """).replace("SCENARIO", str(SCENARIOS / "bridge.yml"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 130 and out.stderr.strip() == "netsim: interrupted", out


def test_a_signal_python_wrapped_while_a_command_imports_is_exit_130() -> None:
    """A Ctrl-C inside a class's __set_name__ (a dataclass field while netsim.model.graph is
    imported) reaches us as RuntimeError("Error calling __set_name__"): seen in CI as exit 1
    with a traceback; it is a Ctrl-C, so 130 and one line."""
    code = textwrap.dedent("""
        import builtins, sys
        from netsim import cli
        real = builtins.__import__

        class Field:
            def __set_name__(self, owner, name):
                raise KeyboardInterrupt

        def wrapping(name, *args, **kwargs):
            if name == "netsim.lab" and not getattr(wrapping, "done", False):
                wrapping.done = True
                type("NetRecord", (), {"endpoints": Field()})
            return real(name, *args, **kwargs)

        builtins.__import__ = wrapping
        sys.argv = ["netsim", "check", "-q", "SCENARIO"]
        cli.main()
    """).replace("SCENARIO", str(SCENARIOS / "bridge.yml"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 130 and out.stderr.strip() == "netsim: interrupted", out


def test_a_flannel_clusters_files_become_a_scenario(tmp_path: Path) -> None:
    """net-conf.json + the conflist + kubectl's node list: the nodes at their InternalIPs
    with their podCIDRs (one in another /24: behind the router), a pod on each."""
    for f in ("10-flannel.conflist", "net-conf.json"):
        shutil.copy(SCENARIOS / "cni" / f, tmp_path / f)
    node = lambda n, ip, cidr: {"metadata": {"name": n}, "spec": {"podCIDR": cidr},  # noqa: E731
                                "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}
    (tmp_path / "nodes.json").write_text(json.dumps({"items": [
        node("cp1", "10.0.0.11", "10.244.0.0/24"), node("w1", "10.0.0.12", "10.244.5.0/24"),
        node("w2", "10.0.1.13", "10.244.1.0/24")]}))
    out = tmp_path / "cluster.yml"
    made = CliRunner().invoke(main, ["import", "cluster", str(tmp_path), "-o", str(out)])
    assert made.exit_code == 0, made.output
    report = tmp_path / "r.json"
    for target in (tmp_path, out):
        result = CliRunner().invoke(main, ["check", str(target), "-q", "--json", str(report)])
        assert result.exit_code == 0, result.output
        probes = {(p["from"], p["to"]): p for p in json.loads(report.read_text())["probes"]
                  if p["origin"] != "matrix"}
        across = probes["pod-w1", "pod-cp1"]
        assert across["predicted"] == "open" and across["source_predicted"] == "10.244.5.2"
    assert CliRunner().invoke(main, ["import", "cluster", str(SCENARIOS)]).exit_code == 2


def _many(tmp_path: Path, n: int) -> Path:
    """One bridge of 30 containers and n expectations, one of them false."""
    doc = {"name": "many", "containers": {f"c{i}": {"listen": ["80/tcp"]} for i in range(30)},
           "expect": [{"from": f"c{i % 30}", "to": f"c{(i + 1) % 30}", "port": "80/tcp",
                       "result": "open"} for i in range(n)]}
    doc["expect"][3]["result"] = "blocked"
    path = tmp_path / "many.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_quiet_lists_only_the_failures_and_counts_the_rest(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["check", str(_many(tmp_path, 20)), "-q"]).output
    assert "c3 -> c4:80/tcp" in out and "c5 -> c6:80/tcp" not in out
    assert "19 expectations not listed (19 held; --json has every row)" in out


def test_a_large_expectation_list_is_not_laid_out_whole(tmp_path: Path) -> None:
    path = _many(tmp_path, 500)
    result = CliRunner().invoke(main, ["check", str(path), "--matrix", "none"])
    assert result.exit_code == 1
    assert "c3 -> c4:80/tcp" in result.output and "c5 -> c6:80/tcp" not in result.output
    assert "499 expectations not listed (499 held; --json has every row)" in result.output
    report = tmp_path / "r.json"
    CliRunner().invoke(main, ["check", str(path), "-q", "--json", str(report)])
    assert len([p for p in json.loads(report.read_text())["probes"]
                if p["origin"] != "matrix"]) == 500


def test_matrix_modes(tmp_path: Path) -> None:
    path = str(_many(tmp_path, 5))
    auto = CliRunner().invoke(main, ["check", path]).output  # 34 nodes: the grid still reads
    assert "Predicted reachability (ping)" in auto and "matrix by network" not in auto
    big = CliRunner().invoke(main, ["check", path, "--matrix", "summary"]).output
    assert "Predicted matrix by network" in big and "bridge" in big
    none = CliRunner().invoke(main, ["check", path, "--no-matrix", "-q"]).output
    assert "0 matrix probes" in none
    full = CliRunner().invoke(main, ["check", str(SCENARIOS / "bridge.yml"), "--matrix",
                                     "full"]).output
    assert "Predicted reachability (ping)" in full and "matrix by network" not in full


def test_docker_prints_what_docker_port_and_network_inspect_would_print() -> None:
    r = CliRunner().invoke(main, ["docker", str(SCENARIOS / "bridge.yml"), "port", "web"])
    assert r.exit_code == 0 and r.output.splitlines()[0] == "80/tcp -> 0.0.0.0:8080"
    r = CliRunner().invoke(main, ["docker", str(SCENARIOS / "bridge.yml"), "network",
                                  "inspect", "bridge"])
    assert r.exit_code == 0 and json.loads(r.output)[0]["IPAM"]["Config"][0]["Gateway"] == \
        "172.17.0.1"
    r = CliRunner().invoke(main, ["docker", str(SCENARIOS / "overlay.yml"), "port", "x"])
    assert r.exit_code == 2 and "say which with --host" in r.output
    r = CliRunner().invoke(main, ["docker", str(SCENARIOS / "bridge.yml"), "ps"])
    assert r.exit_code == 2 and "docker network inspect, docker port" in r.output


def test_a_clusters_services_and_endpointslices_as_kubectl_prints_them(tmp_path: Path) -> None:
    """`kubectl get pods,services,endpointslices -A -o json` beside the node list: no
    Namespace objects (the dump's own objects say theirs existed), the API server's Service
    served by a node's address, kube-dns by CoreDNS, a Local NodePort; each Service's
    ClusterIP and NodePort predicted as kube-proxy would serve them."""
    from netsim.lab import Lab
    from netsim.predict.walk import Predictor

    out = tmp_path / "cluster.yml"
    made = CliRunner().invoke(main, ["import", "cluster", str(CLUSTERS / "flannel"), "-o",
                                     str(out)])
    assert made.exit_code == 0, made.output
    m = Lab.load(out).model
    assert {str(m.virtual[k]) for k in ("svc/kubernetes", "svc/kube-dns.kube-system",
                                         "svc/web.shop")} == \
        {"10.96.0.1", "10.96.0.10", "10.103.152.47"}                # as the dump says
    p = Predictor(m)
    web = p.probe("client.shop", m.virtual["svc/web.shop"], "tcp", 80)
    assert {str(o.served_by) for o in web.choices} == {"10.244.1.2", "10.244.2.2"}
    assert p.probe("client.shop", m.virtual["svc/kube-dns.kube-system"], "udp",
                   53).result.value == "open"
    api = p.probe("client.shop", m.virtual["svc/kubernetes"], "tcp", 443)
    assert api.result.value == "closed" and "192.168.1.11" in api.why  # no API server runs
    lan_ok = p.probe("lan", m.endpoints["worker-2"].primary, "tcp", 31080)
    assert lan_ok.result.value == "open" and str(lan_ok.source_seen) == \
        str(m.endpoints["lan"].primary)                                # Local: client kept
    assert p.probe("lan", m.endpoints["cp-1"].primary, "tcp", 31080).result.value == "blocked"
    both = tmp_path / "both"
    shutil.copytree(CLUSTERS / "flannel", both)
    (both / "kubernetes.yaml").write_text("kind: List\nitems: []\n")
    r = CliRunner().invoke(main, ["check", str(both)])
    assert r.exit_code == 2 and "both kubernetes.yaml and kubernetes.json" in r.output


def test_a_calico_clusters_pods_and_policies_become_a_scenario(tmp_path: Path) -> None:
    """nodes, pools, and what kubectl printed (namespaces, pods, policies): the running pods
    with a network of their own are containers of their nodes, the matrix is the answer."""
    out = tmp_path / "cluster.yml"
    made = CliRunner().invoke(main, ["import", "cluster", str(CLUSTERS / "calico"), "-o",
                                     str(out)])
    assert made.exit_code == 0, made.output
    report = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["check", str(out), "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert "K08" in result.output and "kube-proxy-4xq7m.kube-system" in result.output
    probes = {(p["from"], p["to"], f"{p['port']}/{p['proto']}"): p["predicted"]
              for p in json.loads(report.read_text())["probes"]}
    pods = {f for f, _, _ in probes}
    assert {"web-5d9c8b7f6-q8z2r.shop", "db-0.shop", "debug"} <= pods
    assert not {"kube-proxy-4xq7m.kube-system", "web-5d9c8b7f6-pending.shop",
                "migrate-7xk2p.shop"} & pods                     # the node's; pending; done
    assert probes["web-5d9c8b7f6-q8z2r.shop", "db-0.shop", "5432/tcp"] == "open"
    assert probes["debug", "db-0.shop", "5432/tcp"] == "blocked"  # db-from-web
    assert probes["debug", "web-5d9c8b7f6-q8z2r.shop", "80/tcp"] == "open"
