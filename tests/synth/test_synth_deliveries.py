"""`--deliveries N`: later monthly full snapshots of the same world, and truth that says exactly what changed."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from joinedup.synth import generate
from joinedup.synth.deliveries import delivery_folder, extract_date


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("d") / "world"
    generate(out, 6000, seed=8, deliveries=3, chunk_people=2500)
    return out


def rows(path: Path) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {r[0]: r for r in list(csv.reader(f))[1:]}


def changes(out: Path) -> list[dict[str, str]]:
    with open(out / "truth" / "deliveries.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_dated_names_and_folders(world: Path) -> None:
    assert extract_date(1).isoformat() == "2025-07-01" and extract_date(3).isoformat() == "2025-09-01"
    d3 = delivery_folder(world, 3)
    assert (d3 / "F01-niche" / "nominals_20250901.csv").is_file()
    assert (d3 / "F03-connect" / "NOMINAL_20250901.txt").is_file()
    assert sorted(p.name for p in (d3 / "LA02-mosaic").iterdir())[0].startswith("mosaic_episodes_20250901_001")
    assert not (world / "deliveries" / "delivery-01").exists()


@pytest.mark.parametrize("src,name", [("F01-niche", "nominals"), ("F01-niche", "occurrences"), ("F01-niche", "outcomes"),
                                      ("F02-athena", "persons"), ("LA01-liquidlogic", "missing_episodes")])
def test_truth_says_exactly_what_changed(world: Path, src: str, name: str) -> None:
    first = rows(world / "extracts" / src / f"{name}.csv")
    for k in (2, 3):
        later = rows(delivery_folder(world, k) / src / f"{name}_{extract_date(k):%Y%m%d}.csv")
        said = [c for c in changes(world) if int(c["delivery"]) <= k and c["source"] == src and c["file"] == name]
        gone = {c["source_record_id"] for c in said if c["change"] in ("event_withdrawn", "crime_cancelled")}
        assert set(first) - set(later) >= gone
        if name != "outcomes":  # outcomes also go with their cancelled crime (noted on the crime)
            assert set(first) - set(later) == gone
        assert set(later) <= set(first)
        changed = {s for s in later if later[s] != first[s]}
        assert changed == {c["source_record_id"] for c in said if c["change"] not in ("event_withdrawn", "crime_cancelled")}


def test_each_kind_of_change_happens(world: Path) -> None:
    kinds = {c["change"] for c in changes(world)}
    assert {"moved", "date_corrected", "outcome_final", "event_withdrawn"} <= kinds
    assert {c["delivery"] for c in changes(world)} == {"2", "3"}


def test_delivery_one_is_the_world_without_deliveries(world: Path, tmp_path: Path) -> None:
    generate(tmp_path / "w", 6000, seed=8, chunk_people=2500)

    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
        return h.hexdigest()

    assert digest(world / "extracts") == digest(tmp_path / "w" / "extracts")
