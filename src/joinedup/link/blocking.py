"""Blocking rules: which candidate pairs the model scores (OR-ed rules, each pairing two keys)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def rule_texts(settings: dict[str, Any]) -> list[str]:
    """The blocking rules of Splink settings as SQL text (Splink stores each as text or as a dict)."""
    return [r if isinstance(r, str) else r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]]


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


def names_block_affordable(feat: pd.DataFrame, pairs_per_record: float = 5.0) -> bool:
    """True when blocking on phonetic forename+surname alone yields at most pairs_per_record candidate pairs per record."""
    k = feat[["fore_dm1", "sur_dm1"]].dropna()
    n = k.groupby(["fore_dm1", "sur_dm1"]).size().to_numpy(dtype=float)
    return float((n * (n - 1) / 2).sum()) <= pairs_per_record * max(len(feat), 1)
