"""Every input surface, attacked as netsim runs as root on files other people wrote: Compose
projects with `-f`, `.env`, `extends` and interpolation; conflists and net.d directories;
flannel cluster directories (net-conf.json, nodes.json); scenarios naming other files.

Each case is `netsim check` run in this process through its command line. Every answer must
be an exit code (0-3) with no traceback, within a second of a one-line scenario's check in
this run, under 300 MB (a netsim process's own peak, plus what the case added to this
process at its peak: the peak is reset before each case), with no hang (an alarm fires at
10 s), and without one byte of the canary: files of secrets-like lines planted where the
hostile inputs point, which netsim was never asked to check. Runs without root."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from netsim.cli import main
from tests.scenario.test_fuzz_conflists import CORPUS as CNI_CORPUS
from tests.scenario.test_fuzz_conflists import VALID as CNI_VALID
from tests.scenario.test_fuzz_conflists import paths, replaced
from tests.scenario.test_fuzz_corpus import _netsim_check
from tests.scenario.test_real_compose import CORPUS as COMPOSE_CORPUS
from tests.scenario.test_real_compose import VALID as COMPOSE_VALID

SECRET = "nsKanari" + "7e4f1c"  # split: no source file of netsim holds it whole
CANARIES = {
    "canary.yml": f"{SECRET}a: {SECRET}b\n{SECRET}c:\n  - {SECRET}d\n",
    "canary.json": json.dumps({f"{SECRET}a": f"{SECRET}b", f"{SECRET}c": [1, 2]}),
    "canary.txt": f"root:{SECRET}:19000:0:99999:7:::\n{SECRET}=1\n",
}
# where a hostile input may point: secrets, things that never end or block, kernel files
TARGETS = ["canary.yml", "canary.json", "canary.txt", "link.yml", "fifo", "/dev/zero",
           "/dev/null", "/proc/self/status", "/proc/self/environ", "/sys/kernel/uevent_seqnum",
           "adir", "missing.yml", "sparse.yml", "loop.yml", "empty.yml", "binary.yml",
           "../canary.yml"]
WRONG = ["x", 0, -1, 1.5, True, None, [], {}, [1, "a"], {"a": {"b": None}}, "", 10 ** 30,
         "9" * 400, "1-999999999", "65535-1", "${X}", "$${X}", "${X:?}", "${X:-${Y:-z}}",
         "a" * 5000, "../" * 50, "eth0", "lo", "0.0.0.0/0", "10.0.0.0/33", "::1", "\x00",
         "١٢٣", "-f", [[[[[]]]]], {"extends": "a"}]
MAX_SECONDS = 1.0  # beyond a one-line scenario's check in the same process
MAX_MB = 300
ALARM = 10.0


class Hang(Exception):
    pass


def _plant(root: Path) -> None:
    """The canaries and the other targets, in `root` (cases run in root/case)."""
    for name, text in CANARIES.items():
        (root / name).write_text(text)
    (root / "link.yml").symlink_to(root / "canary.yml")
    os.mkfifo(root / "fifo")
    (root / "adir").mkdir()
    with open(root / "sparse.yml", "wb") as f:
        f.truncate(2 << 30)
    (root / "loop.yml").symlink_to(root / "loop.yml")
    (root / "empty.yml").write_text("")
    (root / "binary.yml").write_bytes(b"\xff\xfe\x00services:\x00")


def _target(root: Path, name: str) -> str:
    return name if name.startswith("/") else str(root / name)


# -- the cases: (surface, seed) -> files written into a fresh directory, and argv ---------

Case = Callable[[Path, Path, random.Random], list[str]]  # (root, work dir, rng) -> argv


def _compose_base(rng: random.Random) -> dict:
    return yaml.safe_load((COMPOSE_CORPUS / rng.choice(COMPOSE_VALID)).read_text())


def _first_service(doc: dict) -> str:
    return next(iter(doc["services"]))


def compose_f(root: Path, work: Path, rng: random.Random) -> list[str]:
    (work / "compose.yaml").write_text(yaml.safe_dump(_compose_base(rng)))
    extra = ["-f", _target(root, rng.choice(TARGETS))] if rng.random() < 0.9 else []
    return ["check", "-f", str(work / "compose.yaml"), *extra]


def _chain(key: str, n: int) -> dict:
    """n services, each extending (or depending on) the next."""
    link = (lambda i: f"s{i + 1}") if key == "extends" else (lambda i: [f"s{i + 1}"])
    return {"services": {f"s{i}": {"image": "x", **({key: link(i)} if i < n else {})}
                         for i in range(n + 1)}}


def compose_extends(root: Path, work: Path, rng: random.Random) -> list[str]:
    if rng.random() < 0.15:  # chains: deep in one file, or a cycle through ../
        if rng.random() < 0.5:
            doc = _chain(rng.choice(["extends", "depends_on"]), rng.choice([50, 150, 950]))
        else:
            other = work / "sub"
            other.mkdir()
            (other / "compose.yaml").write_text(yaml.safe_dump({"services": {"s": {
                "image": "x", "extends": {"file": "../compose.yaml", "service": "s"}}}}))
            doc = {"services": {"s": {"image": "x", "extends": {
                "file": "sub/../sub/compose.yaml", "service": "s"}}}}
        (work / "compose.yaml").write_text(yaml.safe_dump(doc))
        return ["check", str(work / "compose.yaml")]
    doc = _compose_base(rng)
    svc = _first_service(doc)
    target = rng.choice([*TARGETS, "compose.yaml", "./compose.yaml", "sub/../compose.yaml"])
    doc["services"][svc]["extends"] = {"file": _target(root, target) if "/" not in target
                                       or target.startswith(("/", "..")) else target,
                                       "service": rng.choice([svc, "x", "zz"])}
    (work / "compose.yaml").write_text(yaml.safe_dump(doc))
    return ["check", str(work / "compose.yaml")]


def compose_env(root: Path, work: Path, rng: random.Random) -> list[str]:
    doc = _compose_base(rng)
    svc = _first_service(doc)
    doc["services"][svc]["image"] = "${IMG:-x}${A}"
    doc["services"][svc]["env_file"] = [_target(root, rng.choice(TARGETS))]
    kind = rng.randrange(7)
    if kind == 6:  # amplification in the Compose file: 64 KiB, referenced thousands of times
        doc["services"][svc]["labels"] = ["${BIG}" * 20] * rng.randrange(1, 400)
    (work / "compose.yaml").write_text(yaml.safe_dump(doc))
    env = work / ".env"
    if kind == 0:
        env.symlink_to(_target(root, rng.choice(TARGETS)))
    elif kind == 1:  # amplification: each variable twice the one before
        env.write_text("A0=xxxxxxxxxxxxxxxx\n" + "".join(
            f"A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, rng.randrange(10, 40)))
            + "A=${A20}\n")
    elif kind == 2:
        env.write_text("".join(rng.choice(["A='open\n", "A=\"\\", "=x\n", "A B=1\n",
                                           "export\n", "A=${\n", "#\n", "\x00=1\n",
                                           "A=" + "${B:-" * 300 + "\n", "Ä=1\n"])
                               for _ in range(rng.randrange(1, 8))))
    elif kind == 3:
        env.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
    elif kind == 4:
        env.mkdir()
    elif kind == 5:
        os.mkfifo(env)
    else:
        env.write_text("BIG=" + "x" * 65000 + "\n")
    return ["check", str(work / "compose.yaml")]


def compose_values(root: Path, work: Path, rng: random.Random) -> list[str]:
    """A count, a range or an interpolation where a service's field stands."""
    doc = _compose_base(rng)
    svc = doc["services"][_first_service(doc)]
    key = rng.choice(["scale", "ports", "expose", "networks", "image", "deploy", "depends_on",
                      "extends", "network_mode", "hostname", "dns", "extra_hosts"])
    value = rng.choice(WRONG)
    if key == "deploy":
        value = {"replicas": value}
    elif key in ("ports", "expose", "dns") and rng.random() < 0.5:
        value = [value]
    svc[key] = value
    if rng.random() < 0.2:
        doc["x-netsim"] = {rng.choice(["hosts", "expect", "lan", "name", "host", "networks",
                                       "images", "docker", "zz"]): rng.choice(WRONG)}
    if rng.random() < 0.1:
        doc["include"] = [_target(root, rng.choice(TARGETS))]
    (work / "compose.yaml").write_text(yaml.safe_dump(doc))
    return ["check", str(work / "compose.yaml")]


def conflist(root: Path, work: Path, rng: random.Random) -> list[str]:
    file = rng.choice(CNI_VALID)
    data = json.loads((CNI_CORPUS / file).read_text())
    where = rng.choice(paths(data))
    data = replaced(data, where, rng.choice([*WRONG, float("inf"), {"type": "loopback"}]))
    suffix = Path(file).suffix
    text = json.dumps(data)
    if rng.random() < 0.2:  # the shapes a JSON reader must survive
        text = rng.choice(["[" * 100_000, '{"a":' * 5000, "9" * 5000, "Infinity", "NaN",
                           '{"cniVersion":"1.0.0","name":"n","plugins":' + text + "}",
                           "\ufeff" + text, text + "garbage", text.replace('"', "'"),
                           '{"a":1,"a":2}', text[: rng.randrange(len(text))]])
    (work / f"x{suffix}").write_text(text)
    return ["check", str(work / f"x{suffix}")]


def net_d(root: Path, work: Path, rng: random.Random) -> list[str]:
    d = work / "net.d"
    d.mkdir()
    for i in range(rng.randrange(1, 5)):
        name = f"{i:02d}-x" + rng.choice([".conflist", ".conf", ".json"])
        kind = rng.randrange(5)
        if kind == 0:
            (d / name).write_text((CNI_CORPUS / rng.choice(CNI_VALID)).read_text())
        elif kind == 1:
            (d / name).symlink_to(_target(root, rng.choice(TARGETS)))
        elif kind == 2:
            os.mkfifo(d / name)
        elif kind == 3:
            (d / name).mkdir()
        else:
            (d / name).write_text(json.dumps(rng.choice(WRONG)))
    return ["check", str(d)]


NET_CONF = {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}
NODE = {"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.9.0.11"}]}}


def cluster(root: Path, work: Path, rng: random.Random) -> list[str]:
    d = work / "cluster"
    d.mkdir()
    (d / "10-flannel.conflist").write_text(
        (CNI_CORPUS / "flannel" / "10-flannel.conflist").read_text())
    conf = json.loads(json.dumps(NET_CONF))
    nodes = {"items": [json.loads(json.dumps(NODE).replace("n1", f"n{i}").replace(
        "1.0/24", f"{i}.0/24").replace(".11", f".{10 + i}")) for i in range(1, 4)]}
    mutate = rng.randrange(4)
    if mutate == 0:
        key = rng.choice(["Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend",
                          "EnableIPv6", "EnableNFTables", "zzUnknown"])
        conf[key] = rng.choice([*WRONG, "10.0.0.0/8", 30, "10.244.0.0/30"])
    elif mutate == 1:
        conf["Backend"][rng.choice(["Type", "VNI", "Port", "DirectRouting", "MTU", "GBP"])] = \
            rng.choice([*WRONG, "host-gw", "udp", 65536, 4789])
    elif mutate == 2:
        where = rng.choice(paths(nodes))
        nodes = replaced(nodes, where, rng.choice(WRONG))
    else:
        nodes["items"] *= rng.choice([0, 40, 120])
    if rng.random() < 0.15:
        os.symlink(_target(root, rng.choice(TARGETS)), d / rng.choice(["net-conf.json",
                                                                       "nodes.json"]))
    if not (d / "net-conf.json").exists() and not (d / "net-conf.json").is_symlink():
        (d / "net-conf.json").write_text(json.dumps(conf))
    if not (d / "nodes.json").is_symlink():
        (d / "nodes.json").write_text(json.dumps(nodes))
    return ["check", str(d)]


def scenario(root: Path, work: Path, rng: random.Random) -> list[str]:
    """A scenario naming another file (a conflist, net-conf.json), or its own values wrong."""
    target = _target(root, rng.choice(TARGETS))
    doc: dict = {"name": "s", "hosts": {"node1": {"runtime": "cni"}},
                 "containers": {"pa": {"listen": ["80/tcp"]}, "pb": {}}}
    kind = rng.randrange(3)
    if kind == 0:
        doc["cni"] = {"n": {"file": target}}
        doc["containers"]["pa"]["network"] = "n"
    elif kind == 1:
        doc["flannel"] = {"file": target}
    else:
        doc = {"name": "s", "containers": {"ab": {}, "cd": {}},
               rng.choice(["lan", "hosts", "networks", "containers", "expect", "commands",
                           "docker", "images", "zzUnknown"]): rng.choice(WRONG)}
    (work / "s.yml").write_text(yaml.safe_dump(doc))
    return ["check", str(work / "s.yml")]


SURFACES: dict[str, tuple[Case, int]] = {
    "compose-f": (compose_f, 220), "compose-extends": (compose_extends, 260),
    "compose-env": (compose_env, 300), "compose-values": (compose_values, 420),
    "conflist": (conflist, 420), "net.d": (net_d, 260), "cluster": (cluster, 380),
    "scenario": (scenario, 300),
}


def test_there_are_enough_cases() -> None:
    assert sum(n for _, n in SURFACES.values()) >= 2500


# -- running one case -----------------------------------------------------------------------

def _status_mb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1)) // 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to the current RSS


def _on_alarm(signum, frame):
    raise Hang


def _run(argv: list[str], cwd: Path) -> tuple[object, float, int]:
    """The result, its seconds, and the memory it added to this process at its peak."""
    runner = CliRunner()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    _reset_peak()
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, ALARM)
    try:
        result = runner.invoke(main, argv, catch_exceptions=True, env={"COLUMNS": "120"})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return result, time.perf_counter() - start, _status_mb("VmHWM") - before


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("surfaces")
    _plant(root)
    return root


@pytest.fixture(scope="module")
def one_line(planted: Path) -> float:
    """A one-line scenario's check, through the same path (the best of three)."""
    (planted / "base.yml").write_text("name: base\n")
    return min(_run(["check", str(planted / "base.yml")], planted)[1] for _ in range(3))


@pytest.fixture(scope="module")
def process_mb(planted: Path, one_line: float) -> int:
    """A `netsim check` process of its own at its peak (the one-line scenario): what each
    case adds to this process's memory comes on top of it."""
    return _netsim_check(str(planted / "base.yml"))[3]


@pytest.mark.parametrize("surface", SURFACES)
def test_every_answer_is_clean_fast_small_and_leaks_nothing(surface: str, planted: Path,
                                                            one_line: float,
                                                            process_mb: int) -> None:
    make, count = SURFACES[surface]
    problems: list[str] = []
    codes: dict[int, int] = {}
    for k in range(count):
        rng = random.Random(f"{surface}-{k}")
        work = planted / f"{surface}-{k}"
        work.mkdir()
        argv = make(planted, work, rng)
        result, seconds, mb = _run(argv, work)
        out = (result.stdout or "") + (result.stderr or "")
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        exc = result.exception
        why = ("hang" if isinstance(exc, Hang) else
               f"traceback {type(exc).__name__}: {exc}" if exc and not isinstance(exc, SystemExit)
               else f"exit {result.exit_code}" if result.exit_code not in (0, 1, 2, 3)
               else "Traceback in output" if "Traceback" in out
               else "canary in output" if SECRET in out
               else f"{seconds:.2f} s (one line: {one_line:.2f} s)"
               if seconds > one_line + MAX_SECONDS
               else f"{process_mb} + {mb} MB" if process_mb + mb > MAX_MB else None)
        if why:
            problems.append(f"{surface}-{k} {argv[1:]}: {why}\n    {out.strip()[:300]}")
    assert not problems, f"{len(problems)} of {count}:\n" + "\n".join(problems[:15])
    assert codes.get(2, 0) > count // 10, codes  # the hostile inputs bite
