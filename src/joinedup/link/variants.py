"""Name-variant groups (nicknames, transliterations) and phonetic keys used by the comparisons."""

from __future__ import annotations

import csv
from functools import cache, lru_cache
from importlib import resources

from doublemetaphone import doublemetaphone

from joinedup.standard.names import fold_name

@cache
def variant_groups() -> dict[str, tuple[str, ...]]:
    """Map each known name to the ids of the variant groups it belongs to (a name can be in several)."""
    out: dict[str, set[str]] = {}
    path = resources.files("joinedup.link").joinpath("data/name_variants.csv")
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            gid = f"{row['kind'][0]}{i:04d}"
            for raw in row["names"].split("|"):
                name = fold_name(raw)
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
