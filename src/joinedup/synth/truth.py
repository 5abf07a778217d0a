"""Reading a synthetic world's ground truth (truth/*.csv), for tests and benchmarks only: no pipeline stage calls this."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def person_truth(world: str | Path, clusters: str | Path) -> dict[str, str]:
    """Each found person_id (clusters.csv: source,source_record_id,person_id) -> the true person most of its records
    belong to, as the acceptance checks score it."""
    rec = {(r["source"], r["source_record_id"]): r["true_person_id"]
           for r in read_csv(Path(world) / "truth" / "records.csv")}
    votes: dict[str, Counter] = defaultdict(Counter)
    for r in read_csv(clusters):
        t = rec.get((r["source"], r["source_record_id"]))
        if t:
            votes[r["person_id"]][t] += 1
    return {p: c.most_common(1)[0][0] for p, c in votes.items()}
