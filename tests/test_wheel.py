"""The package as a user installs it: the wheel built from this tree, installed into a fresh
venv outside the repository, runs `check`, `draw`, a Compose check, the report's schema and
the engine's image build from there, with every file the code reads inside the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from netsim import __version__
from tests.conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "tests" / "corpus" / "compose" / "example-voting-app"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the venv's bin, the wheel): the dependencies are the test venv's (a .pth names its
    site-packages, whose own .pth files, the editable install among them, are not read)."""
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(tmp / "dist"), str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp / "dist").glob("netsim_containers-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    got = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                          "install", "--no-deps", "-q", str(wheel)], capture_output=True,
                         text=True)
    assert got.returncode == 0, got.stderr[-2000:]
    return venv / "bin", wheel


def _run(bin_dir: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(bin_dir / argv[0]), *argv[1:]], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_the_wheel_says_its_name_licence_and_version(installed) -> None:
    _, wheel = installed
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith("dist-info/METADATA"))).decode()
    assert "Name: netsim-containers" in meta and f"Version: {__version__}" in meta
    assert "License-Expression: Apache-2.0" in meta
    assert any(n.endswith("licenses/LICENSE") for n in names)
    for data in ("netsim/engine/docker/echo.c", "netsim/report/report.schema.json",
                 "netsim/scenario/compose/compose-spec.json"):
        assert data in names, data


def test_installed_outside_the_repository_it_checks_draws_and_builds(installed,
                                                                     tmp_path: Path) -> None:
    bin_dir, _ = installed
    where = _run(bin_dir, "python", "-c", "import netsim; print(netsim.__file__)", cwd=tmp_path)
    assert str(bin_dir.parent) in where.stdout, where.stdout + where.stderr
    scenario = tmp_path / "bridge.yml"
    shutil.copy(SCENARIOS / "bridge.yml", scenario)
    r = _run(bin_dir, "netsim", "check", "-q", str(scenario), cwd=tmp_path)
    assert r.returncode == 0 and "15/15 expectations predicted to hold" in r.stdout, r.stderr
    r = _run(bin_dir, "netsim-containers", "draw", str(scenario), "-o", "t.svg", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "t.svg").read_text().startswith("<?xml"), r.stderr
    r = _run(bin_dir, "netsim", "schema", "--report", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["title"] == "netsim report"
    compose = tmp_path / "voting"
    shutil.copytree(COMPOSE, compose)
    r = _run(bin_dir, "netsim", "check", "-q", str(compose / "docker-compose.yml"),
             cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.skipif(not (shutil.which("gcc") and Path("/bin/busybox").exists()),
                    reason="the image needs gcc and busybox-static (make system installs them)")
def test_the_engine_image_builds_from_the_installed_wheel(installed, tmp_path: Path) -> None:
    bin_dir, _ = installed
    code = ("import io, sys, tarfile; from pathlib import Path; "
            "from netsim.engine.docker import image; "
            "t = tarfile.open(fileobj=io.BytesIO(image.rootfs(Path(sys.argv[1])))); "
            "print(image.SOURCE, sorted(t.getnames()))")
    r = _run(bin_dir, "python", "-c", code, str(tmp_path / "img"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert str(bin_dir.parent) in r.stdout and "usr/bin/netsim-echo" in r.stdout
