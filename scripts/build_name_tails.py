"""Build the synthetic world's long-tail name lists (src/joinedup/synth/data/*_tail.csv) from Faker's locale lists.

Run once by a developer (`pip install faker` first); the CSVs are committed, so the generator never needs Faker.
Faker (MIT licence) compiles its lists from public aggregate sources such as census frequency tables: names,
not people. Names are folded to ASCII, as most agency systems store them.
"""

from __future__ import annotations

import csv
import importlib
import re
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "joinedup" / "synth" / "data"

# origin -> Faker locales whose (romanised) lists fit it; Arabic has no romanised list and keeps its own pool
SURNAMES = {"english": ["en_GB", "en_US"], "irish": ["en_IE"], "south_asian": ["en_IN"],
            "east_euro": ["sk_SK", "cs_CZ", "ro_RO", "lt_LT", "pl_PL"], "west_african": ["yo_NG", "tw_GH", "ig_NG", "ha_NG", "en_NG"],
            "caribbean": ["en_US"], "chinese": ["zh_CN"]}
FORENAMES = {"english": ["en_GB", "en_US"], "irish": ["en_IE"], "south_asian": ["en_IN"],
             "east_euro": ["pl_PL", "cs_CZ", "sk_SK", "ro_RO"], "west_african": ["yo_NG", "tw_GH", "ig_NG"],
             "caribbean": ["en_US"], "chinese": ["zh_CN"]}


def _fold(s: str) -> str | None:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return s if re.fullmatch(r"[A-Z][A-Za-z'\-]{1,20}", s) else None


def _names(loc: str, attrs: tuple[str, ...]) -> list[str]:
    p = importlib.import_module(f"faker.providers.person.{loc}").Provider
    for a in attrs:
        v = getattr(p, a, None)
        if v:
            return [n for n in (_fold(x) for x in (v.keys() if isinstance(v, dict) else v)) if n]
    return []


def _head(path: Path, key: tuple[str, ...]) -> set[tuple[str, ...]]:
    with path.open(encoding="utf-8") as f:
        return {tuple(r[k] for k in key) for r in csv.DictReader(f)}


def main() -> None:
    """Write surnames_tail.csv and forenames_tail.csv beside the head pools."""
    head_sn = {n for _, n in _head(DATA / "surnames.csv", ("origin", "name"))}
    head_fn = {n for _, _, n in _head(DATA / "forenames.csv", ("origin", "sex", "name"))}
    with (DATA / "surnames_tail.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["origin", "name"])
        for origin, locs in SURNAMES.items():
            seen: set[str] = set()
            for loc in locs:
                for n in _names(loc, ("last_romanized_names", "last_names_male", "last_names")):
                    if n not in seen and n not in head_sn:
                        seen.add(n)
                        w.writerow([origin, n])
    with (DATA / "forenames_tail.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["origin", "sex", "name"])
        for origin, locs in FORENAMES.items():
            for sex, attr in (("M", "first_names_male"), ("F", "first_names_female")):
                seen = set()
                for loc in locs:
                    attrs = ("first_romanized_names",) if loc == "zh_CN" else (attr,)
                    for n in _names(loc, attrs):
                        if n not in seen and n not in head_fn:
                            seen.add(n)
                            w.writerow([origin, sex, n])


if __name__ == "__main__":
    main()
