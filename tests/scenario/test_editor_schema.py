"""`netsim schema`: the JSON schema editors validate scenarios with, generated from the
pydantic models. It must accept every shipped scenario and refuse what `check` refuses for
its shape (an unknown key, a wrong type)."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from netsim.cli import main
from tests.conftest import SCENARIOS, lab

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    r = CliRunner().invoke(main, ["schema"])
    assert r.exit_code == 0
    schema = json.loads(r.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_is_valid_for_editors(validator, path) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in
              validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


BAD = ["name: x\ncontainers: {web: {portz: [80]}}\n",  # an unknown key
       "name: x\nhosts: {docker1: {mtu: 'big'}}\n",  # a wrong type
       "name: x\nexpect: [{form: web}]\n",  # a misspelt key in a list item
       "name: x\nlan: {peers: {laptop: [1]}}\n"]  # neither a peer nor its address


@pytest.mark.parametrize("text", BAD)
def test_what_check_refuses_for_its_shape_the_schema_refuses_too(validator, text) -> None:
    from netsim.errors import ScenarioError

    assert list(validator.iter_errors(yaml.safe_load(text)))
    with pytest.raises(ScenarioError):
        lab(text).model  # noqa: B018


def test_compose_schema_is_the_vendored_spec() -> None:
    r = CliRunner().invoke(main, ["schema", "--compose"])
    assert r.exit_code == 0
    assert json.loads(r.output)["title"] == "Compose Specification"
