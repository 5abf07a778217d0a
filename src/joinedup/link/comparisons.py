"""The comparisons: one Level object gives the SQL that scores a pair and the label that explains it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Level:
    """One comparison level: the SQL that detects it and the label shown in explanations."""

    label: str
    sql: str
    null: bool = False
    tf: str | None = None
    # priors, kept only when the data never shows the level (a rare level must not get Splink's default)
    m: float | None = None
    u: float | None = None
    # a ceiling on the trained m: EM learns "matches" from blocks where names and home agree, and
    # family members who share both (a mother and daughter with one name) teach it that a flat
    # disagreement is common among matches; the error process of administrative data says it is rare
    m_max: float | None = None


def _null(c: str) -> Level:
    return Level("missing", f'"{c}_l" IS NULL OR "{c}_r" IS NULL', null=True)


def _list_null(c: str) -> Level:
    return Level("missing", f'"{c}_l" IS NULL OR "{c}_r" IS NULL OR len("{c}_l") = 0 OR len("{c}_r") = 0', null=True)


ELSE = Level("disagree", "ELSE")


# Lists are compared by filtering one with list_contains on the other (lambda t: ...), not by list_has_any or
# list_intersect: the same answer on our lists (address tokens are sets), several times cheaper in DuckDB 2.0
# (measurements in docs/linkage.md, "Why the code is shaped this way").


def _typo1(a: str, b: str) -> str:
    """SQL true exactly when damerau_levenshtein(a, b) <= 1 (NULL when either is NULL), with a cheap test first.

    DuckDB's damerau_levenshtein is the costliest function in the comparisons, and most candidate pairs are nowhere
    near one edit apart. Plain Levenshtein is ~5x cheaper and never more than twice the Damerau distance (a swap of
    neighbours is one Damerau edit, two Levenshtein ones), so pairs more than 2 Levenshtein edits apart are skipped.
    It beat guards on lengths, mismatches and prefixes (docs/linkage.md, "Why the code is shaped this way").
    """
    return f"({a} = {b} OR (levenshtein({a}, {b}) <= 2 AND damerau_levenshtein({a}, {b}) <= 1))"


_PC_EQ = '"postcode_l" = "postcode_r"'
_PC_TYPO = _typo1('"postcode_l"', '"postcode_r"')
_ADDR_SAME = '("address_l" = "address_r" OR jaro_winkler_similarity("address_l", "address_r") >= 0.9)'
_ADDR_COMMON = 'len(list_filter("address_tokens_l", lambda t: list_contains("address_tokens_r", t)))'
_ADDR_MOST = f'{_ADDR_COMMON} >= 2 AND 3 * {_ADDR_COMMON} >= 2 * least(len("address_tokens_l"), len("address_tokens_r"))'
_ADDR_NEAR = f'(({_ADDR_MOST}) OR jaro_winkler_similarity("address_l", "address_r") >= 0.75)'
# forename and surname swapped, allowing a typo in each ("FARDWLL ALICIA" for "ALICIA FARDELL")
_SWAP = ('jaro_winkler_similarity("forename_l", "surname_r") >= 0.9 AND jaro_winkler_similarity("surname_l", "forename_r") >= 0.9 '
         'AND NOT ("forename_l" = "forename_r")')

# Household data: ceilings on m for two full-precision dates of birth that conflict beyond a typo or swap.
# Within a family, surname and home are not independent evidence, so name + home (~ +25 bits) outweighed
# the trained -8 bits of a conflicting date and merged mothers and daughters, fathers and sons with one name.
# 1e-5 (about -16.5 bits) lets the date win (its effect on world F1: docs/linkage.md).
DOB_CONFLICT_SAME_YEAR_M = 1e-4
DOB_CONFLICT_M = 1e-5

# Each comparison: (output name, the feature columns it reads, its levels in decreasing specificity).
COMPARISONS: dict[str, tuple[tuple[str, ...], tuple[Level, ...]]] = {
    "forename": (("forename", "surname", "fore_groups", "fore_dm", "alias_tokens"), (
        _null("forename"),
        Level("exact", '"forename_l" = "forename_r"', tf="forename", m=0.8, u=0.005),
        Level("swapped with surname", _SWAP, m=0.01, u=1e-5),
        Level("name variant (nickname/transliteration)", 'len(list_filter("fore_groups_l", lambda t: list_contains("fore_groups_r", t))) > 0', m=0.03, u=0.001),
        Level("Jaro-Winkler >= 0.92", 'jaro_winkler_similarity("forename_l", "forename_r") >= 0.92'),
        Level("sounds alike (Double Metaphone)", 'len(list_filter("fore_dm_l", lambda t: list_contains("fore_dm_r", t))) > 0'),
        Level("known-as / middle name", m=0.01, u=1e-4, sql='list_contains("alias_tokens_r", "forename_l") OR list_contains("alias_tokens_l", "forename_r")'),
        Level("Jaro-Winkler >= 0.8", 'jaro_winkler_similarity("forename_l", "forename_r") >= 0.8'),
        ELSE,
    )),
    "surname": (("surname", "forename", "sur_groups", "sur_dm", "sur_tokens", "alias_tokens"), (
        _null("surname"),
        Level("exact", '"surname_l" = "surname_r"', tf="surname"),
        # counted once, under forename: a second weight here would double-count one piece of evidence
        Level("swapped with forename (scored under forename)", _SWAP, null=True),
        Level("name variant (transliteration)", 'len(list_filter("sur_groups_l", lambda t: list_contains("sur_groups_r", t))) > 0', m=0.02, u=5e-4),
        Level("Jaro-Winkler >= 0.92", 'jaro_winkler_similarity("surname_l", "surname_r") >= 0.92'),
        # children's surnames change: double-barrelled, either parent's name, a known-as name
        Level("shares a part / either name", m=0.02, u=2e-4, sql='len(list_filter("sur_tokens_l", lambda t: list_contains("sur_tokens_r", t))) > 0 OR len(list_filter("sur_tokens_l", lambda t: list_contains("alias_tokens_r", t))) > 0 OR len(list_filter("alias_tokens_l", lambda t: list_contains("sur_tokens_r", t))) > 0'),
        Level("sounds alike (Double Metaphone)", 'len(list_filter("sur_dm_l", lambda t: list_contains("sur_dm_r", t))) > 0'),
        Level("Jaro-Winkler >= 0.8", 'jaro_winkler_similarity("surname_l", "surname_r") >= 0.8'),
        ELSE,
    )),
    "dob": (("dob", "dob_ym", "dob_year"), (
        _null("dob_year"),
        Level("exact", '"dob_l" = "dob_r"'),
        Level("day and month swapped", m=0.01, u=4e-5, sql='substr("dob_l",1,4) = substr("dob_r",1,4) AND substr("dob_l",6,2) = substr("dob_r",9,2) AND substr("dob_l",9,2) = substr("dob_r",6,2)'),
        Level("one-digit typo or year off by one", m=0.03, u=1e-3, sql=_typo1('"dob_l"', '"dob_r"') + ' OR (substr("dob_l",5) = substr("dob_r",5) AND abs(CAST("dob_year_l" AS INTEGER) - CAST("dob_year_r" AS INTEGER)) = 1)'),
        # a month- or year-precision date that agrees as far as it goes
        Level("partial date agrees", m=0.02, u=5e-3, sql='("dob_l" IS NULL OR "dob_r" IS NULL) AND "dob_year_l" = "dob_year_r" AND '
              '("dob_ym_l" = "dob_ym_r" OR "dob_ym_l" IS NULL OR "dob_ym_r" IS NULL)'),
        # an unknown day and month recorded as 1 January
        Level("same year, one date is 1 January", m=0.01, u=1e-3, sql='"dob_year_l" = "dob_year_r" AND (substr("dob_l",6) = \'01-01\' OR substr("dob_r",6) = \'01-01\')'),
        # two full dates in the same year that differ by more than a typo: siblings, twins' cousins, not one person
        Level("same year, full dates differ", '"dob_year_l" = "dob_year_r"', m=0.01, u=0.01, m_max=DOB_CONFLICT_SAME_YEAR_M),
        # two full dates, years apart: a parent and child or two siblings when name and home agree
        Level("full dates differ", '"dob_l" IS NOT NULL AND "dob_r" IS NOT NULL', m_max=DOB_CONFLICT_M),
        Level("disagree", "ELSE", m_max=0.003),
    )),
    "postcode": (("postcode", "postcode_sector", "postcode_district"), (
        _null("postcode"),
        Level("exact", '"postcode_l" = "postcode_r"'),
        Level("one-character typo", m=0.02, u=1e-3, sql='damerau_levenshtein("postcode_l", "postcode_r") <= 1'),
        Level("same sector", '"postcode_sector_l" = "postcode_sector_r"', m=0.05, u=2e-3),
        Level("same district", '"postcode_district_l" = "postcode_district_r"', m=0.05, u=0.02),
        ELSE,
    )),
    "address": (("address", "address_tokens"), (
        _null("address"),
        Level("exact", '"address_l" = "address_r"'),
        Level("Jaro-Winkler >= 0.9", 'jaro_winkler_similarity("address_l", "address_r") >= 0.9'),
        Level("most words in common", _ADDR_MOST),
        Level("Jaro-Winkler >= 0.75", 'jaro_winkler_similarity("address_l", "address_r") >= 0.75'),
        ELSE,
    )),
    # postcode and address together: they are one fact (where the person lives) and scoring them
    # separately double-counts it, which merges family members who share a surname and a home
    "location": (("postcode", "address", "postcode_sector", "postcode_district", "address_tokens"), (
        Level("missing", '("postcode_l" IS NULL OR "postcode_r" IS NULL) AND ("address_l" IS NULL OR "address_r" IS NULL)', null=True),
        Level("same address and postcode", f'{_PC_EQ} AND {_ADDR_SAME}', m=0.6, u=1e-4),
        Level("same address, postcode typo or missing", f'({_PC_TYPO} OR "postcode_l" IS NULL OR "postcode_r" IS NULL) AND {_ADDR_SAME}', m=0.1, u=1e-4),
        Level("same postcode, similar address", f'{_PC_EQ} AND {_ADDR_NEAR}', m=0.1, u=1e-4),
        Level("same postcode", _PC_EQ, m=0.05, u=1e-3),
        Level("same address, postcode differs", _ADDR_SAME, m=0.02, u=1e-4),
        Level("postcode typo, similar address", f'{_PC_TYPO} AND {_ADDR_NEAR}', m=0.02, u=1e-4),
        Level("postcode one-character typo", _PC_TYPO, m=0.02, u=1e-3),
        Level("similar address", _ADDR_NEAR, m=0.02, u=1e-3),
        Level("same postcode sector", '"postcode_sector_l" = "postcode_sector_r"', m=0.05, u=2e-3),
        Level("same postcode district", '"postcode_district_l" = "postcode_district_r"', m=0.05, u=0.02),
        ELSE,
    )),
    "phone": (("phones",), (
        _list_null("phones"),
        Level("a phone number in common", 'len(list_filter("phones_l", lambda t: list_contains("phones_r", t))) > 0', m=0.5, u=1e-5),
        ELSE,
    )),
    "nhs_number": (("nhs_number",), (
        _null("nhs_number"),
        Level("exact", '"nhs_number_l" = "nhs_number_r"'),
        # two valid NHS numbers that differ are two people unless one was mistyped (rare after ingest's check digit)
        Level("disagree", "ELSE", m_max=0.01),
    )),
    "sex": (("sex",), (
        _null("sex"),
        Level("exact", '"sex_l" = "sex_r"'),
        ELSE,
    )),
}

# A comparison is used only when the data has its primary column populated somewhere.
_PRIMARY = {"forename": "forename", "surname": "surname", "dob": "dob_year", "postcode": "postcode",
            "address": "address", "phone": "phone1", "nhs_number": "nhs_number", "sex": "sex"}


def households(feat: pd.DataFrame, min_groups: int = 20, min_share: float = 0.3) -> bool:
    """True when the data has family structure: records sharing an address and surname often have birth years far apart."""
    if not {"address", "surname", "dob_year"} <= set(feat.columns):
        return False
    d = feat.loc[feat["address"].notna() & feat["surname"].notna() & feat["dob_year"].notna(), ["address", "surname", "dob_year"]]
    if d.empty:
        return False
    g = d.assign(y=d["dob_year"].astype(int)).groupby(["address", "surname"])["y"].agg(["count", "min", "max"])
    g = g[g["count"] >= 2]
    # duplicates of one person at one address (FEBRL: 5-10% with a far-off year, from wholesale date errors)
    # against a parent and child, or siblings, who share surname and home (agency data: ~75%)
    return len(g) >= min_groups and float(((g["max"] - g["min"]) > 1).mean()) >= min_share


def available(feat: pd.DataFrame, min_fill: float = 0.01, household: bool = True) -> list[str]:
    """Comparisons whose primary column is filled in at least min_fill of records (location combined for household data)."""
    n = max(len(feat), 1)
    out = [c for c, col in _PRIMARY.items() if feat[col].notna().sum() / n >= min_fill]
    if household and "postcode" in out and "address" in out:
        out = [("location" if c == "postcode" else c) for c in out if c != "address"]
    return out
