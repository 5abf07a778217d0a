"""Collect benchmarks/results/*.md into docs/benchmarks.md (run the bench_*.py scripts first)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = """# Benchmarks

Speed, memory and accuracy targets are measured here, never in timed unit tests. Each section
says the machine and date it ran on; machines are noisy, so each compares against a baseline run
in the same script and reports the ratio. Re-run with:

```bash
python3 -m pip install -e ".[bench]"
python3 benchmarks/bench_ingest.py      # synth + ingest, 100k and 1M people
python3 benchmarks/bench_link.py        # linkage accuracy and speed
python3 benchmarks/bench_ingest_10m.py  # the 10M-record world ingested in one run (about 8 minutes)
python3 benchmarks/bench_link_10m.py    # 10M person records linked (about 20 minutes, ~25 GB of disk)
python3 benchmarks/bench_deliveries.py  # later deliveries applied at 100k and 1M person records
python3 benchmarks/bench_network.py     # groups against truth, linkage on and off; speed at 1M
python3 benchmarks/bench_justice.py     # downgrades, disregards, reopen against truth; speed at 1M
python3 benchmarks/bench_risk.py        # the queue judged prospectively; queue and chronology speed
python3 benchmarks/bench_stats.py       # the statistics release at 1M
python3 benchmarks/bench_web.py         # search and person page latency with concurrent users
python3 benchmarks/bench_web_pages.py --db W  # groups, justice and statistics routes, one at a time
python3 benchmarks/run.py               # rebuild this page
```
"""


def main() -> None:
    parts = [HEADER]
    for p in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        parts.append(p.read_text(encoding="utf-8"))
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote docs/benchmarks.md from {len(parts) - 1} result file(s)")


if __name__ == "__main__":
    main()
