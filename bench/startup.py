"""What a command costs before it does anything: `netsim check scenarios/bridge.yml -q` end to
end against `python -c pass`, both run by this venv's interpreter in this run (median of 7,
bytecode written first, as an installed package has it), and the imports that cost most
(`python -X importtime`, cumulative). Target (issue 34): the check within 6x the bare
interpreter.

    python bench/startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETSIM = [sys.executable, "-c", "from netsim.entry import main; main()"]
CHECK = [*NETSIM, "check", str(ROOT / "scenarios" / "bridge.yml"), "-q"]
TARGET = 6.0
RUNS = 7
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(argv: list[str]) -> float:
    took = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, env=ENV, stdout=subprocess.DEVNULL)
        took.append(time.perf_counter() - t0)
    return statistics.median(took)


def heaviest(n: int = 6) -> list[tuple[int, str]]:
    """The top-level imports of the check, by cumulative microseconds."""
    err = subprocess.run([sys.executable, "-X", "importtime", *CHECK[1:]], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    rows = []
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("   "):
            rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    subprocess.run(CHECK, check=True, env=ENV, stdout=subprocess.DEVNULL)  # write bytecode
    bare = median_seconds([sys.executable, "-c", "pass"])
    check = median_seconds(CHECK)
    ratio = check / bare
    print(f"python -c pass: {bare * 1000:.0f} ms; netsim check bridge.yml: {check * 1000:.0f} ms "
          f"= {ratio:.1f}x (target <= {TARGET:.0f}x: {'met' if ratio <= TARGET else 'missed'})")
    for us, name in heaviest():
        print(f"  import {name}: {us / 1000:.0f} ms")


if __name__ == "__main__":
    main()
