"""Truth helpers for the justice tests (tests may read the generator's truth; src never does)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def person_truth(world: Path, clusters: Path) -> dict[str, str]:
    """Each found person_id -> the true person most of its records belong to."""
    rec = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in read_csv(world / "truth" / "records.csv")}
    votes: dict[str, Counter] = defaultdict(Counter)
    for r in read_csv(clusters):
        t = rec.get((r["source"], r["source_record_id"]))
        if t is not None:
            votes[r["person_id"]][t] += 1
    return {p: c.most_common(1)[0][0] for p, c in votes.items()}
