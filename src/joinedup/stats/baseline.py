"""The population baseline for representation ratios (Census 2021 aggregates, see data/README.md)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

NATIONAL = "K04000001"


@cache
def _rows() -> tuple[dict[str, str], ...]:
    with resources.files("joinedup.stats").joinpath("data/census2021_ethnic_group_ew.csv").open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def baseline(area: str | None = None) -> tuple[str, dict[str, float]]:
    """(name of the area used, share of the population by ethnic group) for an area, else England and Wales."""
    rows = [r for r in _rows() if r["area_code"] == area and r["age_band"] == "all ages" and r["sex"] == "all"]
    if not rows:
        rows = [r for r in _rows() if r["area_code"] == NATIONAL and r["age_band"] == "all ages" and r["sex"] == "all"]
    return rows[0]["area_name"], {r["group"]: float(r["percent"]) / 100 for r in rows}
