"""The standard's name normaliser, written once for SQL (ingest) and Python (linkage, match): the same result.

A name becomes upper-case ASCII letters and single spaces: accents are stripped, the letters of Latin-1 and
Latin Extended-A that have no accent decomposition (Ø, Ł, ß, Æ, Đ, Þ, Ħ, Œ, ...) are transliterated, apostrophes
are dropped (O'Brien -> OBRIEN) and every other run of non-letters (hyphens, dots, digits) becomes one space.

Transliterations come from the maintained `anyascii` package, read once at import into a table: ingest runs
DuckDB's translate() and replace() over whole columns, never a Python function per row. Letters of other blocks (Latin
Extended-B, Greek, Cyrillic) are not transliterated and so are dropped, as before: in DuckDB each extra letter
made every name's expression bigger and slower, even when no name held one (docs/linkage.md).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from anyascii import anyascii

from joinedup.warehouse.sql import literal as _lit

# the letters of Latin-1 Supplement and Latin Extended-A
_BLOCKS = ((0x00C0, 0x017F),)
_APOSTROPHES = "'’`"
# a name that is already plain letters and single spaces only needs upper-casing (most of them)
PLAIN_NAME = r"[A-Za-z]+(?: [A-Za-z]+)*"


def _strip_accents(s: str) -> str:
    # as DuckDB's strip_accents (utf8proc STRIPMARK): canonical decomposition, then every mark (Mn, Mc, Me) removed
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.category(c).startswith("M"))


def _transliterations() -> dict[str, str]:
    """Each letter of _BLOCKS that strip_accents leaves non-ASCII, mapped to its ASCII form ('' to delete)."""
    out = {}
    for lo, hi in _BLOCKS:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            if not unicodedata.category(c).startswith("L"):
                continue
            if _strip_accents(c).isascii():
                continue  # strip_accents folds it (É -> E)
            out[c] = "".join(ch for ch in anyascii(c) if ch.isascii() and (ch.isalpha() or ch in _APOSTROPHES + " "))
    return out


TRANSLITERATIONS = _transliterations()
_PY_TABLE = str.maketrans(TRANSLITERATIONS)


def name_sql(x: str, *, fast_path: bool = True) -> str:
    """SQL normalising the name expression x (NULL when nothing is left); fast_path=False: the general path only."""
    one = {c: t for c, t in TRANSLITERATIONS.items() if len(t) == 1}
    gone = [c for c, t in TRANSLITERATIONS.items() if not t]  # translate() deletes what `from` has beyond `to`
    chain = f"translate({x}, {_lit(''.join(one) + ''.join(gone))}, {_lit(''.join(one.values()))})"
    for c, t in TRANSLITERATIONS.items():
        if len(t) > 1:
            chain = f"replace({chain}, {_lit(c)}, {_lit(t)})"
    # only the rare name holding such a letter pays for the chain (strlen counts bytes, length characters)
    s = f"CASE WHEN strlen({x}) <> length({x}) AND regexp_matches({x}, {_lit('[' + ''.join(TRANSLITERATIONS) + ']')}) " \
        f"THEN {chain} ELSE {x} END"
    s = f"upper(strip_accents({s}))"
    s = f"regexp_replace({s}, '[{_lit(_APOSTROPHES)[1:-1]}]', '', 'g')"
    s = f"nullif(trim(regexp_replace({s}, '[^A-Z]+', ' ', 'g')), '')"
    # most names are plain letters and single spaces: upper-casing is all they need
    return f"CASE WHEN regexp_full_match({x}, '{PLAIN_NAME}') THEN upper({x}) ELSE {s} END" if fast_path else s


@lru_cache(maxsize=200_000)
def _fold(s: str) -> str | None:
    s = _strip_accents(s.translate(_PY_TABLE))
    # upper-case ASCII only: Python upper-cases some other letters to ASCII (the ligature "ﬁ" to "FI"), DuckDB not
    s = "".join(c.upper() if c.isascii() else c for c in s if c not in _APOSTROPHES)
    s = "".join(c if "A" <= c <= "Z" else " " for c in s)
    return " ".join(s.split()) or None


def fold_name(name: object) -> str | None:
    """The normalised name (as name_sql gives it); None for blank or missing."""
    if name is None or (isinstance(name, float) and name != name):
        return None
    return _fold(str(name))
