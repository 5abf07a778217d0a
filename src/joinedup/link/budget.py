"""The pair budget: blocking rules whose blocks grow with the data are narrowed (or dropped) before Splink sees them."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from typing import Any

from joinedup.link.errors import LinkError

log = logging.getLogger(__name__)


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
        raise LinkError(f"cannot count pairs of blocking rule {rule!r}")
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
# probability 1/K^2, so counts are scaled by K^2): exact counts grow with the records, the sample stays cheap.
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
