"""The population baseline for representation ratios (Census 2021 aggregates, see data/README.md)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

from joinedup.errors import UserError

NATIONAL = "K04000001"
COLUMNS = ("area_code", "area_name", "age_band", "sex", "group", "percent")
GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
Rows = tuple[dict[str, str], ...]


@cache
def shipped() -> Rows:
    """The baseline shipped with joinedup: England and Wales, Census 2021."""
    with resources.files("joinedup.stats").joinpath("data/census2021_ethnic_group_ew.csv").open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def load(path: str | Path) -> Rows:
    """A user's baseline CSV (same columns as the shipped one), checked row by row; its rows come before the shipped ones."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"--baseline {p}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
            rows = list(reader)
    except OSError as e:
        raise UserError(f"--baseline {p}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise UserError(f"--baseline {p}: not UTF-8 text") from None
    for n, r in enumerate(rows, start=2):
        if r["group"] not in GROUPS:
            raise UserError(f"--baseline {p} row {n}: group {r['group']!r} is not one of {', '.join(GROUPS)}")
        try:
            v = float(r["percent"])
        except ValueError:
            raise UserError(f"--baseline {p} row {n}: percent {r['percent']!r} is not a number") from None
        if not 0 <= v <= 100:
            raise UserError(f"--baseline {p} row {n}: percent {v} is outside 0 to 100")
    return tuple(rows) + shipped()


def baseline(area: str | None = None, rows: Rows | None = None, sex: str = "all") -> tuple[str, dict[str, float]]:
    """(name of the baseline used, population share by ethnic group) for an area and sex, falling back to
    all sexes and then to England and Wales."""
    rows = rows or shipped()

    def pick(code: str | None, sx: str) -> list[dict[str, str]]:
        return [r for r in rows if r["area_code"] == code and r["age_band"] == "all ages" and r["sex"] == sx]
    for code in (area, NATIONAL):
        for sx in dict.fromkeys((sex, "all")):
            found = pick(code, sx)
            if found:
                name = found[0]["area_name"] + ("" if sx == sex else " (all sexes)")
                return name, {r["group"]: float(r["percent"]) / 100 for r in found}
    raise ValueError("no England and Wales baseline rows")
