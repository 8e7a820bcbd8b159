"""The GitHub Action and the pre-commit hook of this repository, exercised here: the action's
own shell steps run as a runner would run them (its inputs and GitHub's files in the
environment; netsim already installed), and the hook through `pre-commit try-repo`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from netsim.cli import main
from tests.conftest import SCENARIOS, committed
from tests.report.junit_xsd import junit_failures, parsed

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
NETSIM = Path(sys.executable).with_name("netsim")


def _expand(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """GitHub's ${{ }} expressions that the steps use."""
    def one(m: re.Match) -> str:
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr == "github.action_path":
            return str(ROOT)
        if expr.startswith("steps.netsim.outputs."):
            return outputs.get(expr.rsplit(".", 1)[1], "")
        raise AssertionError(f"an expression the test does not know: {expr}")
    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def _condition(step: dict, inputs: dict[str, str]) -> bool:
    cond = step.get("if")
    if cond is None:
        return True
    m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+) != ''\s*\}\}", cond)
    assert m, cond
    return inputs[m.group(1)] != ""


def _run_action(tmp_path: Path, **given: str) -> tuple[int, dict[str, str], str]:
    """Every `run:` step after the install (whose venv is this one's netsim), in order, as a
    runner does; (the last step's exit code, the step outputs, the step summary)."""
    inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | given
    temp = tmp_path / "runner"
    (temp / "netsim" / "bin").mkdir(parents=True)
    (temp / "netsim" / "bin" / "netsim").symlink_to(NETSIM)
    summary, outfile = tmp_path / "summary.md", tmp_path / "output"
    summary.touch()
    outfile.touch()
    outputs: dict[str, str] = {}
    code = 0
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step["name"] == "Install netsim" or not _condition(step, inputs):
            continue
        env = {**os.environ, "RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_OUTPUT": str(outfile),
               **{k: _expand(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}}
        got = subprocess.run(["bash", "-e", "-c", _expand(step["run"], inputs, outputs)],
                             env=env, cwd=tmp_path, capture_output=True, text=True)
        code = got.returncode
        outputs = dict(line.split("=", 1) for line in outfile.read_text().splitlines())
    return code, outputs, summary.read_text()


def test_the_action_is_a_composite_whose_steps_are_valid_bash() -> None:
    assert ACTION["runs"]["using"] == "composite" and "scenario" in ACTION["inputs"]
    upload = next(s for s in ACTION["runs"]["steps"] if "uses" in s)
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "${{ inputs.junit }}"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            subprocess.run(["bash", "-n", "-c", step["run"]], check=True)


def test_the_action_passes_a_scenario_that_holds(tmp_path: Path) -> None:
    code, outputs, summary = _run_action(tmp_path, scenario=str(SCENARIOS / "bridge.yml"))
    assert code == 0 and outputs["exit-code"] == "0"
    assert "### netsim check `bridge`: passed" in summary
    assert junit_failures(tmp_path / "netsim-junit.xml") == 0


def test_the_action_fails_on_a_chosen_warning_and_says_why(tmp_path: Path) -> None:
    code, outputs, summary = _run_action(tmp_path, scenario=str(SCENARIOS / "overlay-mtu.yml"),
                                         **{"fail-on": "P13"})
    assert code == 1 and outputs["exit-code"] == "1"
    assert "failed (2)" in summary and "warning P13 (--fail-on)" in summary
    assert junit_failures(tmp_path / "netsim-junit.xml") == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_action_adds_the_diff_against_the_base(tmp_path: Path) -> None:
    path = committed(tmp_path, SCENARIOS / "bridge.yml")
    path.write_text(path.read_text().replace('"8080:80", ', ""))
    code, _, summary = _run_action(tmp_path, scenario=str(path), **{"diff-base": "HEAD"})
    assert code == 1  # the new scenario's own expectations on 8080 fail
    assert "### netsim diff: `HEAD:" in summary and "- removed: `docker1 web 80/tcp" in summary


def test_lint_says_each_problem_at_its_line_and_exits_as_the_worst(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("name: w\ncontainers: {aa: {}}\nexpect:\n  - {from: lan, to: aa, "
                     "result: reach}\n")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: b\ncontainers:\n  a: {nett: 1}\n")
    xml = tmp_path / "l.xml"
    r = CliRunner().invoke(main, ["lint", str(SCENARIOS / "bridge.yml"), str(wrong), "--junit",
                                  str(xml)])
    assert r.exit_code == 1
    assert f"{wrong}:4: error: expect[0]: lan -> aa icmp: expected reach, predicted blocked" \
        in r.stdout
    assert junit_failures(xml) == 1
    r = CliRunner().invoke(main, ["lint", str(wrong), str(bad), str(tmp_path / "none.yml"),
                                  "--junit", str(xml)])
    assert r.exit_code == 2 and junit_failures(xml) == 1
    errors = [c.get("name") for c in parsed(xml).iter("testcase") if c.find("error") is not None]
    assert errors == [str(bad), str(tmp_path / "none.yml")]
    assert f"{bad}:3:7: containers.a.nett: unknown key 'nett'" in r.stdout
    assert f"{tmp_path / 'none.yml'}: error: no such file" in r.stdout
    r = CliRunner().invoke(main, ["lint", str(SCENARIOS / "overlay-mtu.yml")])
    assert r.exit_code == 0 and ":10: warning: [P13] networks.ovl" in r.stdout
    r = CliRunner().invoke(main, ["lint", str(SCENARIOS / "overlay-mtu.yml"), "--fail-on",
                                  "warning"])
    assert r.exit_code == 1 and ":10: error: [P13] networks.ovl" in r.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_pre_commit_hook_through_try_repo(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    user = tmp_path / "user"
    (user / "scenarios").mkdir(parents=True)
    shutil.copy(SCENARIOS / "bridge.yml", user / "scenarios" / "bridge.yml")
    (user / "scenarios" / "wrong.yml").write_text(
        "name: w\ncontainers: {aa: {}}\nexpect:\n  - {from: lan, to: aa, result: reach}\n")
    (user / "notes.yml").write_text("not: a scenario\n")  # outside the hook's files
    subprocess.run(["git", "-C", str(user), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(user), "add", "."], check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    got = subprocess.run([str(pre_commit), "try-repo", str(ROOT), "netsim-lint", "--all-files"],
                         cwd=user, env=env, capture_output=True, text=True, timeout=600)
    out = got.stdout + got.stderr
    assert got.returncode == 1, out
    assert "scenarios/wrong.yml:4: error: expect[0]: lan -> aa icmp" in out
    assert "netsim lint: 2 files, 1 failure, 0 not valid" in out
    (user / "scenarios" / "wrong.yml").unlink()
    subprocess.run(["git", "-C", str(user), "add", "-A"], check=True)
    got = subprocess.run([str(pre_commit), "try-repo", str(ROOT), "netsim-lint", "--all-files"],
                         cwd=user, env=env, capture_output=True, text=True, timeout=600)
    assert got.returncode == 0, got.stdout + got.stderr
