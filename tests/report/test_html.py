"""The HTML report, opened in a real browser: Debian's Chromium, headless, with the page's own
script run; what it shows is read back from the DOM it made (a cell's details, a filter)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from netsim.cli import main
from netsim.lab import Lab
from netsim.report import draw, html_report, judgement
from tests.conftest import SCENARIOS
from tests.test_session import FakeKernel, _session

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (make system)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=3000"]


def dom(page: Path, fragment: str, tmp_path: Path) -> str:
    """The page's DOM once its script ran, opened as page#fragment."""
    profile = tmp_path / "chromium-profile"
    got = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          f"{page.as_uri()}#{fragment}"], capture_output=True, text=True,
                         timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    assert got.returncode == 0 and "<html" in got.stdout, got.stderr[-2000:]
    return got.stdout


def details(html: str) -> str:
    m = re.search(r'<div id="details">(.*?)</div>', html, re.S)
    assert m, "no details element"
    return unescape(re.sub(r"<[^>]+>", "", m.group(1)))


@needs_chromium
def test_a_cell_of_the_matrix_opens_its_path_rule_and_nat(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["check", "-q", str(SCENARIOS / "bridge.yml"), "--html",
                                  str(page)])
    assert r.exit_code == 0
    html = dom(page, "cell=client|outside", tmp_path)
    said = details(html)
    assert said.startswith("client -> outside")
    assert "client -> outside icmp" in said and "predicted: reach" in said
    assert "path:      client -> docker1 -> LAN -> router -> outside" in said
    assert "MASQUERADE" in said
    assert "NAT source predicted: 192.168.1.10" in said  # MASQUERADE to the host's address
    assert 'id="verdict" class="pass">passed<' in html
    assert html.count('data-cell="') > 20  # the grid was drawn by the page's script


@needs_chromium
def test_the_failed_filter_leaves_the_failing_expectation(tmp_path: Path) -> None:
    path, page = tmp_path / "w.yml", tmp_path / "w.html"
    path.write_text("name: w\ncontainers: {aa: {}, bb: {}}\nexpect:\n"
                    "  - {from: aa, to: bb, result: reach}\n"
                    "  - {from: lan, to: aa, result: reach}\n")
    r = CliRunner().invoke(main, ["check", "-q", str(path), "--html", str(page)])
    assert r.exit_code == 1
    html = dom(page, "filter=failed", tmp_path)
    rows = re.findall(r'<tr class="([^"]*)" id="row-(\d)">', html)
    assert [(cls.strip(), k) for cls, k in rows] == [("hidden", "0"), ("bad", "1")]
    assert "failed: 1 case" in html
    said = details(dom(page, "row=1", tmp_path))
    assert "expected:  reach" in said and "predicted: blocked" in said
    assert "dropped by: no route (counted as InNoRoutes) in router" in said


@needs_chromium
def test_a_run_cell_shows_what_the_kernel_did_and_is_marked_wrong(tmp_path: Path) -> None:
    lab = Lab.load(SCENARIOS / "bridge.yml")
    report = _session(lab, FakeKernel(lab, flip=lambda p: p.proto == "icmp")).probe(
        lab.check(by_class=False))
    page = tmp_path / "run.html"
    html_report.write(str(page), report, judgement.cases(report), "run", None)
    html = dom(page, "cell=web|client", tmp_path)
    said = details(html)
    assert "predicted: reach" in said and "observed:  blocked" in said
    assert "evidence:  fake: no answer" in said
    assert re.search(r'class="[a-z]+ wrong"[^>]*data-cell="web\|client"', html)


@needs_chromium
def test_the_diff_page_filters_by_kind(tmp_path: Path) -> None:
    page = tmp_path / "d.html"
    CliRunner().invoke(main, ["diff", str(SCENARIOS / "fidelity.yml"),
                              str(SCENARIOS / "fidelity-2010.yml"), "-q", "--html", str(page)])
    html = dom(page, "kind=now reachable", tmp_path)
    shown = re.findall(r'<tr data-kind="([^"]+)"( class="hidden")?>', html)
    assert shown and {k for k, hidden in shown if not hidden} == {"now reachable"}


def test_the_topology_is_svg_with_real_text_and_the_same_every_time() -> None:
    lab = Lab.load(SCENARIOS / "bridge.yml")
    report = lab.check()
    one, two = (draw.Picture(draw.topology(lab.model, list(report.expectations))).svg()
                for _ in range(2))
    assert one == two and one.startswith("<svg") and 'viewBox="' in one
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", one)
    assert {"web", "client"} <= {t.strip() for t in texts}
