"""The linkage model: domain comparisons (one object gives SQL and label), blocking rules and unsupervised training."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import pandas as pd

from joinedup.standard import PROTECTED_FIELDS

log = logging.getLogger(__name__)


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
# list_intersect: the same answer on our lists (address tokens are sets), 2-6x cheaper in DuckDB 2.0 (4.8M pairs:
# address tokens in common 1.79 s -> 0.30 s, phonetic surname keys 0.30 s -> 0.13 s). The location comparison was
# 60% of the cost of scoring.


def _typo1(a: str, b: str) -> str:
    """SQL true exactly when damerau_levenshtein(a, b) <= 1 (NULL when either is NULL), with a cheap test first.

    DuckDB's damerau_levenshtein is the costliest function in the comparisons, and most candidate pairs are nowhere
    near one edit apart. Plain Levenshtein is ~5x cheaper and never more than twice the Damerau distance (a swap of
    neighbours is one Damerau edit, two Levenshtein ones), so pairs more than 2 Levenshtein edits apart are skipped.
    This beat the earlier guards on lengths, mismatches and prefixes (location scored on 4.8M pairs: 2.95 s -> 1.87 s).
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
# 1e-5 (about -16.5 bits) lets the date win; world F1 at 295k records 0.978 -> 0.983.
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


def blocking_rules(avail: list[str], names_alone: bool = False) -> list[str]:
    """Candidate-pair rules (OR-ed): each catches matches the others miss (typos, swaps, variants, moves).

    Every rule pairs two keys, so no block grows with the square of the data: names alone (4.7M pairs at
    300k records, ~50M at 1M) found 0.4% more true pairs on the synthetic world, almost all of which
    disagree on date of birth and home and would score below the threshold anyway.
    """
    a = set(avail)
    if "location" in a:
        a |= {"postcode", "address"}
    rules = []
    if "nhs_number" in a:
        rules.append('l."nhs_number" = r."nhs_number"')
    if {"forename", "surname"} <= a:
        if "dob" in a:
            rules.append('l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1" AND l."dob_year" = r."dob_year"')
            rules.append('l."fore_key" = r."fore_key" AND l."sur_key" = r."sur_key" AND l."dob_year" = r."dob_year"')
            rules.append('l."fore_dm1" = r."sur_dm1" AND l."sur_dm1" = r."fore_dm1" AND l."dob_year" = r."dob_year"')
        if "postcode" in a:
            # district on small files; sector at scale: at 1M records the district rule made 4.2M pairs for 159
            # true links no other rule finds, the sector one 0.66M
            area = "postcode_district" if names_alone else "postcode_sector"
            rules.append(f'l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1" AND l."{area}" = r."{area}"')
        if names_alone or not ({"dob", "postcode"} & a):
            # names alone: affordable on small files (and the only rule when there is nothing else),
            # where they find matches whose date and home were both replaced (FEBRL's wholesale errors)
            rules.append('l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1"')
            rules.append('l."fore_key" = r."fore_key" AND l."sur_key" = r."sur_key"')
            rules.append('l."fore_dm1" = r."sur_dm1" AND l."sur_dm1" = r."fore_dm1"')
    if names_alone:  # the other one-name rules, also affordable only on small files
        if "dob" in a and "forename" in a:
            rules.append('l."fore_key" = r."fore_key" AND l."dob_year" = r."dob_year"')
        if "dob" in a and "surname" in a:
            rules.append('l."sur_dm1" = r."sur_dm1" AND l."dob_year" = r."dob_year"')
        if "address" in a and "surname" in a:
            rules.append('l."address_key" = r."address_key" AND l."sur_dm1" = r."sur_dm1"')
        if "address" in a and "forename" in a:
            rules.append('l."address_key" = r."address_key" AND l."fore_dm1" = r."fore_dm1"')
    if "dob" in a:
        if "forename" in a:
            # the day/month-sorted key catches day and month swaps; the year-month one a mistyped day
            # At scale (names_alone off) the swap rule also needs the surname's initial, and the year-month rules
            # go: at 1M records they made 3.5M + 4.9M + 6.0M pairs for 115 + 17 + 0 true links no other rule finds
            # (0.03% of true pairs), about half of all candidate pairs and so half of predict's time.
            if names_alone or "surname" not in a:
                rules.append('l."dob_swap_key" = r."dob_swap_key" AND substr(l."fore_dm1",1,1) = substr(r."fore_dm1",1,1)')
                rules.append('l."dob_ym" = r."dob_ym" AND l."fore_dm1" = r."fore_dm1"')
            else:
                rules.append('l."dob_swap_key" = r."dob_swap_key" AND substr(l."fore_dm1",1,1) = substr(r."fore_dm1",1,1) '
                             'AND substr(l."sur_dm1",1,1) = substr(r."sur_dm1",1,1)')
        if "surname" in a:
            rules.append('l."dob" = r."dob" AND substr(l."surname",1,1) = substr(r."surname",1,1)')
            if names_alone or "forename" not in a:
                rules.append('l."dob_ym" = r."dob_ym" AND l."sur_dm1" = r."sur_dm1"')
        if "postcode" in a and not ({"forename", "surname"} & a):
            rules.append('l."dob" = r."dob" AND l."postcode" = r."postcode"')
    if "postcode" in a and "forename" in a:
        rules.append('l."postcode" = r."postcode" AND l."fore_dm1" = r."fore_dm1"')
    if "postcode" in a and "surname" in a:
        rules.append('l."postcode" = r."postcode" AND l."sur_dm1" = r."sur_dm1"')
    if "phone" in a:
        rules.append('l."phone1" = r."phone1"')
    if "address" in a:
        if "postcode" in a:
            rules.append('l."postcode" = r."postcode" AND l."address_key" = r."address_key"')
        if "dob" in a:
            rules.append('l."dob" = r."dob" AND l."address_key" = r."address_key"')
        if "surname" in a:
            rules.append('l."address" = r."address" AND substr(l."surname",1,2) = substr(r."surname",1,2)')
    if "postcode" in a and "dob" in a:
        rules.append('l."postcode" = r."postcode" AND l."dob_year" = r."dob_year"')
    return rules


# A blocking rule whose blocks grow with the data (a date of birth shared by hundreds of people nationally, a
# common name and birth year) makes candidate pairs grow with the square of the records: the date-of-birth and
# surname-initial rule made 1.7M pairs at 1M records and would make ~170M at 10M. Each rule gets a budget of
# candidate pairs; one over it is narrowed by the first of these extra keys (cumulatively) that brings it under,
# and dropped if none does. The keys are chosen to cost little recall: each is one the record's other fields
# rarely get wrong together with the rule's own keys.
RULE_PAIRS_PER_RECORD = 2.5
RULE_PAIRS_FLOOR = 2_000_000
_NARROWERS = (
    ("sex", 'l."sex" = r."sex"'),
    ("forename", 'substr(l."fore_dm1",1,1) = substr(r."fore_dm1",1,1)'),
    ("surname", 'substr(l."sur_dm1",1,1) = substr(r."sur_dm1",1,1)'),
    ("dob", 'l."dob_year" = r."dob_year"'),
    ("location", 'l."postcode_district" = r."postcode_district"'),
)
_EQ = re.compile(r"^\s*(.+?)\s*=\s*(.+?)\s*$")


def rule_pairs(con: Any, feat: str, rule: str) -> int:
    """Candidate pairs a blocking rule makes on table feat, counted from its key groups (no join)."""
    parts = [_EQ.match(x) for x in rule.split(" AND ")]
    lefts = [m.group(1) for m in parts if m]
    rights = [m.group(2) for m in parts if m]
    if len(lefts) != len(parts):
        raise ValueError(f"cannot count pairs of blocking rule {rule!r}")
    ls = [x.replace("l.", "") for x in lefts]
    rs = [x.replace("r.", "") for x in rights]
    nn = " AND ".join(f"({x}) IS NOT NULL" for x in ls)
    if ls == rs:
        q = f"SELECT coalesce(sum(c * (c - 1) // 2), 0) FROM (SELECT {', '.join(ls)}, count(*) AS c FROM {feat} WHERE {nn} GROUP BY ALL)"
    else:  # an asymmetric rule (forename and surname swapped): group sizes on each side, joined
        a = ", ".join(f"{x} AS k{i}" for i, x in enumerate(ls))
        b = ", ".join(f"{x} AS k{i}" for i, x in enumerate(rs))
        on = " AND ".join(f"x.k{i} = y.k{i}" for i in range(len(ls)))
        # ordered pairs from the group sizes, less each record paired with itself, halved (the rule is
        # symmetric in l and r, and Splink scores each unordered pair once)
        self_ = " AND ".join(f"{x} = {y}" for x, y in zip(ls, rs))
        q = (f"SELECT (coalesce(sum(x.c * y.c), 0) - (SELECT count(*) FROM {feat} WHERE {nn} AND {self_})) // 2 "
             f"FROM (SELECT {a}, count(*) AS c FROM {feat} WHERE {nn} GROUP BY ALL) x "
             f"JOIN (SELECT {b}, count(*) AS c FROM {feat} GROUP BY ALL) y ON {on}")
    return int(con.sql(q).fetchall()[0][0])


# Above this many records the pairs are estimated from a fixed 1-in-K sample of records (a pair survives with
# probability 1/K^2, so counts are scaled by K^2): exact counts took ~25 s at 10M records, the sample ~5 s.
COUNT_EXACT_UP_TO = 2_000_000


def fit_blocking(con: Any, feat: str, rules: list[str], avail: list[str], n: int) -> tuple[list[str], list[dict[str, Any]]]:
    """The rules with any over the pair budget narrowed (or dropped); returns (rules, one report row per rule)."""
    budget = max(RULE_PAIRS_PER_RECORD * n, RULE_PAIRS_FLOOR)
    a = set(avail)
    src, scale = feat, 1
    if n > COUNT_EXACT_UP_TO:
        k = math.ceil(n / COUNT_EXACT_UP_TO)
        cols = sorted(set(re.findall(r'[lr]\."(\w+)"', " ".join(rules) + " " + " ".join(c for _, c in _NARROWERS))))
        src, scale = f"{feat}__pair_sample", k * k
        # the sample is keyed on the record id, so the same records are drawn on every run
        con.execute(f"CREATE OR REPLACE TEMP TABLE {src} AS SELECT {', '.join(cols)} FROM {feat} WHERE hash(unique_id) % {k} = 0")
    count = lambda r: rule_pairs(con, src, r) * scale  # noqa: E731
    try:
        return _fit(rules, a, budget, count)
    finally:
        if src != feat:
            con.execute(f"DROP TABLE IF EXISTS {src}")


def _fit(rules: list[str], a: set[str], budget: float, count: Callable[[str], int]) -> tuple[list[str], list[dict[str, Any]]]:
    out, report = [], []
    for rule in rules:
        pairs = count(rule)
        row: dict[str, Any] = {"rule": rule, "pairs": pairs}
        if pairs <= budget:
            out.append(rule)
            report.append(row)
            continue
        narrowed = rule
        for field_, cond in _NARROWERS:
            col = cond.split('"')[1]
            if field_ not in a or f'"{col}"' in narrowed:
                continue
            narrowed = f"{narrowed} AND {cond}"
            pairs = count(narrowed)
            if pairs <= budget:
                break
        if pairs <= budget:
            out.append(narrowed)
            row.update(used=narrowed, used_pairs=pairs)
        else:
            row.update(used=None, used_pairs=0)
        log.info("blocking rule over budget (%d pairs > %d): %s -> %s", row["pairs"], budget, rule, row["used"])
        report.append(row)
    return out, report


def names_block_affordable(feat: pd.DataFrame, pairs_per_record: float = 5.0) -> bool:
    """True when blocking on phonetic forename+surname alone yields at most pairs_per_record candidate pairs per record."""
    k = feat[["fore_dm1", "sur_dm1"]].dropna()
    n = k.groupby(["fore_dm1", "sur_dm1"]).size().to_numpy(dtype=float)
    return float((n * (n - 1) / 2).sum()) <= pairs_per_record * max(len(feat), 1)


def settings_dict(avail: list[str], names_alone: bool = False) -> dict[str, Any]:
    """Splink settings (dedupe over one table that holds every source) for the available comparisons."""
    comps = []
    for name in avail:
        _, levels = COMPARISONS[name]
        comps.append({
            "output_column_name": name,
            "comparison_description": name,
            "comparison_levels": [
                {"sql_condition": lv.sql, "label_for_charts": lv.label, "is_null_level": lv.null,
                 **({"m_probability": lv.m} if lv.m is not None else {}),
                 **({"u_probability": lv.u} if lv.u is not None else {}),
                 **({"tf_adjustment_column": lv.tf, "tf_adjustment_weight": 1.0} if lv.tf else {})}
                for lv in levels
            ],
        })
    s = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comps,
        "blocking_rules_to_generate_predictions": blocking_rules(avail, names_alone),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "probability_two_random_records_match": 1e-4,
    }
    assert_no_protected(s)
    return s


def to_dialect(sql: str, dialect: str) -> str:
    """One comparison level's or rule's SQL (written for DuckDB) in another engine's dialect."""
    if dialect == "duckdb" or sql.strip().upper() == "ELSE":
        return sql
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    if dialect == "spark":
        def fix(node: exp.Expression) -> exp.Expression:
            # our SQL takes len() only of lists (Spark: size); the similarity functions are Splink's Spark UDFs
            if isinstance(node, exp.Length):
                return exp.Anonymous(this="size", expressions=[node.this])
            if isinstance(node, exp.JarowinklerSimilarity):
                return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
            return node
        tree = tree.transform(fix)
    return tree.sql(dialect=dialect)


def in_dialect(settings: dict[str, Any], base: dict[str, Any], dialect: str) -> dict[str, Any]:
    """settings (with trained m/u) carrying base's SQL, written for `dialect` (base is the DuckDB original)."""
    out = json.loads(json.dumps(settings))
    for comp, bcomp in zip(out["comparisons"], base["comparisons"]):
        for lv, blv in zip(comp["comparison_levels"], bcomp["comparison_levels"]):
            lv["sql_condition"] = to_dialect(blv["sql_condition"], dialect)
    out["blocking_rules_to_generate_predictions"] = [
        to_dialect(r if isinstance(r, str) else r["blocking_rule"], dialect) for r in base["blocking_rules_to_generate_predictions"]]
    if "sql_dialect" in out:
        out["sql_dialect"] = dialect
    return out


def assert_no_protected(settings: dict[str, Any]) -> None:
    """Raise if any protected (aggregate-only) field is named anywhere in the settings."""
    text = json.dumps(settings).lower()
    bad = sorted(f for f in PROTECTED_FIELDS | {"religion"} if f in text)
    if bad:
        raise ValueError(f"protected fields must not be used in linkage: {', '.join(bad)}")


# Training budgets, fixed so that training costs the same at 2,000 and 1M records. u: 3e5 random pairs
# (about 775 sampled records) estimate the common levels to a few percent; rare levels keep their priors.
# EM: 2.5e5 blocked pairs per session. At 295k records, 1e6/5e5 gave F1 0.983 in 13 s of training,
# 3e5/2.5e5 gives 0.9825 in 4.4 s; FEBRL4 0.9955 -> 0.9953.
U_PAIRS = 300_000
EM_PAIRS = 2.5e5


def train(make_linker: Callable[[dict[str, Any]], Any], settings: dict[str, Any], avail: list[str],
          n_records: int, seed: int = 42, household: bool = False, dialect: str = "duckdb") -> tuple[Any, dict[str, Any]]:
    """Unsupervised training: lambda from deterministic rules, u by random sampling, m by EM on two blocks."""
    a = set(avail)
    if "location" in a:
        a |= {"postcode", "address"}
    linker = make_linker(settings)
    det = []
    if "nhs_number" in a:
        det.append('l."nhs_number" = r."nhs_number"')
    strong = [c for c in ("forename", "surname", "dob", "postcode") if c in a]
    if len(strong) >= 3:
        det.append(" AND ".join(f'l."{c}" = r."{c}"' for c in strong[:3]))
    if det:
        try:
            linker.training.estimate_probability_two_random_records_match([to_dialect(r, dialect) for r in det], recall=0.7)
        except Exception as e:  # noqa: BLE001
            log.warning("prior match probability left at its default: %s", e)
        # on tiny files the estimate can reach 1 (every pair "matches"), which breaks the log-odds
        linker = make_linker(floor_parameters(linker.misc.save_model_to_json(), household))
    # u needs only non-matches; random pairs almost all are. One pass over at most U_PAIRS pairs:
    # Splink's default keeps sampling until every level has 100 observations, and a rare level
    # (names swapped, u ~ 1e-5) never gets there, so it re-ran the whole sample in 10 chunks per
    # comparison (10 s even on 2,000 records). Rare levels keep their priors instead.
    max_pairs = min(U_PAIRS, max(1e5, n_records * (n_records - 1) / 2))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed, min_count_per_level=None,
                                                     num_chunks=1)
    # EM on two blocks that each leave the other comparisons free to be learnt; sampled for big data.
    em_rules = []
    # Identifier-anchored training: pairs that share an NHS number are (almost) all one person, so
    # the m of dob, names and location learnt there are not polluted by relatives. On the names block
    # EM mistakes a mother and daughter with one name and one home for a match and learns that
    # matches often disagree on dob (m(dob disagree) 0.05 instead of the true 0.003).
    anchored = "nhs_number" in a and "dob" in a
    if anchored:
        em_rules.append('l."nhs_number" = r."nhs_number"')
    if "dob" in a:
        em_rules.append('l."dob" = r."dob"')
    # With an anchor the names block is not run at all: dob is kept off it (above), names are named in it, so
    # it would train only location, phone and sex, and there it learns them wrongly at scale. Its pairs share a
    # (common) name, true matches are a shrinking share of them as the data grows (N against N^2), and at 1M
    # records EM's "match" class stopped being one person: m(same address and postcode) 0.006 (true 0.72),
    # m(phone in common) 0.008 (true 0.996). The NHS and dob blocks learn both within 0.01 of the truth.
    if {"forename", "surname"} <= a and not anchored:
        # naming forename/surname in the rule tells Splink not to train those comparisons on this block
        # (it would learn from pairs chosen for agreeing names, and inflate their weights)
        em_rules.append('l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1" AND '
                        'substr(l."forename",1,1) = substr(r."forename",1,1) AND substr(l."surname",1,1) = substr(r."surname",1,1)')
    if "postcode" in a and len(em_rules) < 2:
        em_rules.append('l."postcode" = r."postcode"')
    for rule in em_rules:
        before = floor_parameters(linker.misc.save_model_to_json(), household)
        linker = make_linker(before)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                to_dialect(rule, dialect), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS,
                record_sample_proportion=min(1.0, 50_000 / max(n_records, 1)))
        except Exception as e:  # noqa: BLE001
            # a degenerate block (tiny or sparse data) must not stop linkage; Splink leaves the settings
            # half-edited after a failed session, so start again from the model as it was before it
            log.warning("EM on %s skipped: %s", rule, e)
            linker = make_linker(before)
    final = floor_parameters(linker.misc.save_model_to_json(), household)
    return make_linker(final), final


M_FLOOR, U_FLOOR = 1e-4, 1e-7


def floor_parameters(trained: dict[str, Any], household: bool = False) -> dict[str, Any]:
    """Give every level a usable m and u: EM can drive a level's m to 0 on small or skewed data, which
    would make one disagreement veto a match outright (weight -inf); untrained levels get small values."""
    trained = json.loads(json.dumps(trained))
    trained.pop("linker_uid", None)
    lam = trained.get("probability_two_random_records_match")
    trained["probability_two_random_records_match"] = min(max(lam if isinstance(lam, (int, float)) else 1e-4, 1e-9), 0.5)
    for comp in trained["comparisons"]:
        # ceilings only on household data, where EM is confounded by relatives (see Level.m_max)
        ceilings = {lv.label: lv.m_max for lv in COMPARISONS.get(comp["output_column_name"], ((), ()))[1]} if household else {}
        for lv in comp["comparison_levels"]:
            if lv.get("is_null_level"):
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            lv["m_probability"] = max(m if isinstance(m, (int, float)) else M_FLOOR * 10, M_FLOOR)
            if ceilings.get(lv.get("label_for_charts")) is not None:
                lv["m_probability"] = min(lv["m_probability"], ceilings[lv["label_for_charts"]])
            lv["u_probability"] = max(u if isinstance(u, (int, float)) else U_FLOOR * 10, U_FLOOR)
    return trained
