"""`joinedup demo` runs every stage on a small world and leaves usable outputs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    p = subprocess.run(
        [sys.executable, "-m", "joinedup.cli", "demo", "--out", str(out), "--people", "800", "--seed", "5", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    s = json.loads(p.stdout)
    ing = s["ingest"]
    assert ing["balanced"] and ing["rows_quarantined"] > 0
    assert (out / "world" / "truth" / "records.csv").exists()
    link = s["link"]
    assert 0 < link["persons"] < link["records"] == ing["tables"]["person_record"]
    rows = list(csv.DictReader(open(out / "clusters.csv", encoding="utf-8")))
    assert len(rows) == link["records"] and set(rows[0]) == {"source", "source_record_id", "person_id"}
    # the human summary prints too, without a traceback
    p2 = subprocess.run([sys.executable, "-m", "joinedup.cli", "demo", "--out", str(out), "--people", "300"],
                        capture_output=True, text=True, timeout=600)
    assert p2.returncode == 0 and "balanced" in p2.stdout and "Traceback" not in p2.stderr
