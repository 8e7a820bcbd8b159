"""A check loads only what it uses (issue 34): no netlink (pyroute2), no packet crafting
(scapy), no Docker SDK, no networkx (the model's graph is made when first read), no plotting.
Asked of a fresh interpreter, as the `netsim` command starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pyroute2", "scapy", "docker", "networkx", "matplotlib")
PROGRAM = """
import json, sys
from netsim.lab import Lab
lab = Lab.load(sys.argv[1])
lab.check()
loaded = [m for m in sys.argv[2:] if m in sys.modules]
lab.graph  # reading the graph is what brings networkx
print(json.dumps([loaded, "networkx" in sys.modules]))
"""


def test_a_check_imports_none_of_the_heavy_libraries() -> None:
    for scenario in ("bridge.yml", "overlay.yml", "services.yml"):
        out = subprocess.run([sys.executable, "-c", PROGRAM, str(ROOT / "scenarios" / scenario),
                              *HEAVY], capture_output=True, text=True, check=True, cwd=ROOT)
        loaded, graph = json.loads(out.stdout)
        assert loaded == [], (scenario, loaded)
        assert graph, scenario
