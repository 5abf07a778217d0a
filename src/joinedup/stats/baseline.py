"""The population baselines for representation ratios (Census 2021 aggregates and labelled synthetic
age bands, see data/README.md): ethnic group and nationality, by area, age band and sex."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

from joinedup.errors import UserError

NATIONAL = "K04000001"
COLUMNS = ("area_code", "area_name", "age_band", "sex", "group", "percent")
GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
NATIONALITY_GROUPS = ("British", "Other nationality")
# Census 2021 broad age bands (as in the ONS ethnic group by age tables), so a deployment can drop real rows in
AGE_BANDS = ("0 to 15", "16 to 24", "25 to 34", "35 to 49", "50 to 64", "65 and over")
ALL_AGES = "all ages"
FILES = ("census2021_ethnic_group_ew.csv", "census2021_passports_held_ew.csv", "synthetic_ethnic_group_by_age_ew.csv")
Rows = tuple[dict[str, str], ...]


@cache
def shipped() -> Rows:
    """The baselines shipped with joinedup: England and Wales, Census 2021 (and synthetic age bands, so labelled)."""
    rows: list[dict[str, str]] = []
    for name in FILES:
        with resources.files("joinedup.stats").joinpath(f"data/{name}").open(encoding="utf-8") as f:
            rows += csv.DictReader(f)
    return tuple(rows)


def age_band(age: float | None) -> str | None:
    """The Census broad age band of an age in years (None when the age is not known)."""
    if age is None or age < 0:
        return None
    for band, top in zip(AGE_BANDS, (16, 25, 35, 50, 65)):
        if age < top:
            return band
    return AGE_BANDS[-1]


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
        if r["group"] not in GROUPS + NATIONALITY_GROUPS:
            raise UserError(f"--baseline {p} row {n}: group {r['group']!r} is not one of "
                            f"{', '.join(GROUPS + NATIONALITY_GROUPS)}")
        if r["age_band"] not in AGE_BANDS + (ALL_AGES,):
            raise UserError(f"--baseline {p} row {n}: age_band {r['age_band']!r} is not one of "
                            f"{', '.join(AGE_BANDS + (ALL_AGES,))}")
        if r["sex"] not in ("all", "male", "female"):
            raise UserError(f"--baseline {p} row {n}: sex {r['sex']!r} is not one of all, male, female")
        try:
            v = float(r["percent"])
        except ValueError:
            raise UserError(f"--baseline {p} row {n}: percent {r['percent']!r} is not a number") from None
        if not 0 <= v <= 100:
            raise UserError(f"--baseline {p} row {n}: percent {v} is outside 0 to 100")
    return tuple(rows) + shipped()


def baseline(area: str | None = None, rows: Rows | None = None, sex: str = "all", band: str = ALL_AGES,
             groups: tuple[str, ...] = GROUPS) -> tuple[str, dict[str, float]]:
    """(name of the baseline used, population share by group) for an area, age band and sex, falling back to
    all sexes, then all ages, then England and Wales; the name says every fallback taken."""
    rows = rows or shipped()
    for code in dict.fromkeys((area, NATIONAL)):
        for b in dict.fromkeys((band, ALL_AGES)):
            for sx in dict.fromkeys((sex, "all")):
                found = [r for r in rows if r["area_code"] == code and r["age_band"] == b and r["sex"] == sx
                         and r["group"] in groups]
                if found:
                    name = found[0]["area_name"]
                    if b != ALL_AGES:
                        name += f", aged {b}"
                    elif band != ALL_AGES:
                        name += " (all ages)"
                    if sx != sex:
                        name += " (all sexes)"
                    elif sx != "all":
                        name += f", {sx}"
                    return name, {r["group"]: float(r["percent"]) / 100 for r in found}
    raise ValueError("no England and Wales baseline rows")
