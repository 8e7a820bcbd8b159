"""200 malformed scenarios: each gives exit 2 and one clear error line, never a traceback.

Variants are made by hypothesis from a valid scenario: a value replaced by a wrong one, a key
misspelt, a section turned into the wrong type, or YAML broken."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsim.cli import main

BASE = {
    "name": "fuzz",
    "lan": {"subnet": "192.168.1.0/24", "peers": {"laptop": "192.168.1.50"}},
    "hosts": {"docker1": {"address": "192.168.1.10"}},
    "networks": {"appnet": {"driver": "bridge", "subnet": "172.30.0.0/24"}},
    "containers": {
        "web": {"network": "appnet", "ports": ["8080:80"], "listen": ["80/tcp"]},
        "db": {"networks": {"appnet": {"ip": "172.30.0.20"}}},
    },
    "expect": [{"from": "lan", "to": "docker1", "port": "8080/tcp", "result": "open"}],
}
PATHS = [
    ("name",), ("lan", "subnet"), ("lan", "peers", "laptop"), ("hosts", "docker1", "address"),
    ("networks", "appnet", "driver"), ("networks", "appnet", "subnet"),
    ("containers", "web", "network"), ("containers", "web", "ports", 0),
    ("containers", "web", "listen", 0), ("containers", "db", "networks", "appnet", "ip"),
    ("expect", 0, "from"), ("expect", 0, "to"), ("expect", 0, "port"), ("expect", 0, "result"),
]
BAD_VALUES = st.one_of(
    st.sampled_from(["80:8o", "999.1.1.1", "10.0.0.0/33", "nope", "", "-1", "70000/tcp",
                     "container:", "host", "none", "172.31.0.5", "open", "[", "{a: 1}",
                     "80/icmp", "UPPER", "a" * 40, "1.2.3.4/24", "8080:80:80:80"]),
    st.integers(min_value=-5, max_value=99999), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                         max_size=2),
)


def _set(doc, path, value):
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _rename(doc, path, suffix):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if isinstance(node, dict):
        node[str(path[-1]) + suffix] = node.pop(path[-1])


@st.composite
def malformed(draw) -> str:
    import copy

    doc = copy.deepcopy(BASE)
    how = draw(st.sampled_from(["value", "key", "type", "yaml"]))
    path = draw(st.sampled_from(PATHS))
    if how == "value":
        _set(doc, path, draw(BAD_VALUES))
    elif how == "key":
        _rename(doc, path, draw(st.sampled_from(["x", "_", "s", "2"])))
    elif how == "type":
        section = draw(st.sampled_from(["lan", "hosts", "networks", "containers", "expect"]))
        doc[section] = draw(st.sampled_from([[1, 2], "text", 5, [{"a": 1}]]))
    text = yaml.safe_dump(doc, sort_keys=False)
    if how == "yaml":
        cut = draw(st.integers(min_value=5, max_value=len(text) - 1))
        text = text[:cut] + draw(st.sampled_from([": [", "\t", "{", " - :", "'"])) + text[cut:]
    return text


LINE = re.compile(r"^netsim: (x\.yml:\d+(:\d+)?: )?.+")
SEEN = {"errors": 0, "ok": 0}


@pytest.fixture(scope="module", autouse=True)
def mostly_errors():
    """Guards the fuzz test against generating only valid files (a test that cannot fail):
    checked after the module's tests ran, as an error of the module if it does not hold."""
    yield
    if SEEN["errors"] + SEEN["ok"]:
        assert SEEN["errors"] > SEEN["ok"], SEEN


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=malformed())
def test_malformed_scenario_gives_one_clear_error(text: str, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.yml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["check", "-q", "--no-matrix", str(path)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    if result.exit_code == 2:
        SEEN["errors"] += 1
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1, result.output
        assert LINE.match(lines[0].replace(str(path), "x.yml")), lines[0]
    else:  # some mutations stay valid (e.g. another valid driver); they must still work
        SEEN["ok"] += 1
        assert result.exit_code in (0, 1), result.output
