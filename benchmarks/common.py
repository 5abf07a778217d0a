"""Shared benchmark helpers: run a step in a child process, time it and read its peak memory."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def run_child(code: str, *args: str) -> dict:
    """Run python code in a fresh process; return its JSON result plus seconds and peak RSS (MiB)."""
    wrapper = (
        "import json, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "out = dict(result=result, seconds=time.perf_counter() - t0,\n"
        "           peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
        "print('@@RESULT@@' + json.dumps(out, default=str))\n"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env={**os.environ})
    if p.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{p.stderr[-3000:]}")
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("@@RESULT@@")][-1]
    return json.loads(line[len("@@RESULT@@"):])


def machine() -> str:
    """One line describing this machine."""
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def write_result(name: str, markdown: str) -> Path:
    """Save one benchmark's markdown section (with machine and date) for benchmarks/run.py."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(f"{markdown.rstrip()}\n\n_Machine: {machine()}; run {date.today().isoformat()}._\n", encoding="utf-8")
    return path


def timed(fn, *a, **k):  # noqa: ANN001, ANN201 - tiny helper
    """(result, seconds) of a call."""
    t0 = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t0


def forces_for(people: int) -> int:
    """Force areas for a synthetic world of this many people: about 850k people a force (at least 3, at most 43),
    so postcodes stay about as crowded as real ones whatever the size (see docs/synthetic-world.md)."""
    import math

    return max(3, min(43, math.ceil(people / 850_000)))
