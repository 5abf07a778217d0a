"""Name-variant groups (nicknames, transliterations) and phonetic keys used by the comparisons."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

from doublemetaphone import doublemetaphone

_NON_LETTER = re.compile(r"[^A-Z ]+")


def fold(name: object) -> str | None:
    """Upper-case, strip accents and punctuation; None for blank (same rule as the standard's `name`)."""
    if name is None or (isinstance(name, float) and name != name):
        return None
    s = unicodedata.normalize("NFKD", str(name))
    s = "".join(c for c in s if not unicodedata.combining(c)).upper()
    # hyphens and apostrophes become spaces so that double-barrelled parts stay separable
    s = _NON_LETTER.sub(" ", s.replace("-", " "))
    s = " ".join(s.split())
    return s or None


@cache
def variant_groups() -> dict[str, tuple[str, ...]]:
    """Map each known name to the ids of the variant groups it belongs to (a name can be in several)."""
    out: dict[str, set[str]] = {}
    path = resources.files("joinedup.link").joinpath("data/name_variants.csv")
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            gid = f"{row['kind'][0]}{i:04d}"
            for raw in row["names"].split("|"):
                name = fold(raw)
                if name:
                    out.setdefault(name, set()).add(gid)
                    # "ABU BAKR" is also written "ABUBAKR"
                    if " " in name:
                        out.setdefault(name.replace(" ", ""), set()).add(gid)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=200_000)
def groups_of(name: str | None) -> tuple[str, ...]:
    """Variant-group ids of a folded name (every token is looked up, so 'MOHAMMED ALI' gets both)."""
    if not name:
        return ()
    vg = variant_groups()
    found: set[str] = set(vg.get(name, ()))
    for tok in name.split():
        found.update(vg.get(tok, ()))
    return tuple(sorted(found))


@lru_cache(maxsize=200_000)
def phonetic(name: str | None) -> tuple[str, ...]:
    """Double Metaphone primary and alternate codes of a folded name (spaces removed), each once."""
    if not name:
        return ()
    # the package repeats the primary code as the alternate when there is none
    return tuple(c for c in dict.fromkeys(doublemetaphone(name.replace(" ", ""))) if c)
