"""Dates of the justice stages after the charge, as police extracts that carry outcomes write them (standard 1.1.0).

`crime_person.date_identified` (when a person was linked to a crime: for a suspect, suspect identified),
`outcome.first_hearing_date` (a charge's first hearing: the prosecution began) and
`outcome.court_result_date` (the verdict, or the discontinuance). The world decides who is charged and
with what result (synth/world.py, offending.py, services.py); this module only dates those events, from
a hash of (seed, source, record id), so it draws nothing from the world's random streams (the rest of the
world is unchanged) and does not depend on how the world is chunked.

Intervals (days), chosen to give published medians (docs/justice.md, *Times*, has the sources):
- suspect identified: named at the report in 55% of links (the victim knows the suspect), otherwise a
  lognormal lag with median 30 days; never after the suspect's first outcome;
- charge -> first hearing: the next day for 40% (charged and kept in custody), otherwise a lognormal
  lag with median 28 days (bail or postal requisition); overall median about two weeks;
- first hearing -> result: convicted on a guilty plea (35% of convictions, median 60 days) or at
  trial (median 300 days), acquitted at trial (median 330 days), discontinued (median 120 days);
  overall charge -> conviction about 7 to 8 months, longer than the Crown Court's median for all
  cases (about 6 months) because fewer defendants in sexual offence cases plead guilty.
Dates never pass the world's end (a result the world says is in by then falls between the hearing and the end). Some are blank, as in real extracts: a link's date is missing in 25%
of crimes reported before 2005 and 8% after; a hearing or result date in 5% of rows.
"""

from __future__ import annotations

import hashlib
import math
from statistics import NormalDist

_Z = NormalDist()
SUSPECT_AT_REPORT_P = 0.55
SUSPECT_LAG_MEDIAN = 30
CUSTODY_P = 0.40
HEARING_LAG_MEDIAN = 28
GUILTY_PLEA_P = 0.35
RESULT_MEDIAN = {"plea": 60, "CONVICTED": 300, "ACQUITTED": 330, "DISCONTINUED": 120}
DISCONTINUED_HEARD_P = 0.6  # a discontinued charge got to a first hearing before it was dropped
BLANK_LINK_P = (0.25, 0.08)  # before 2005, from 2005
BLANK_COURT_P = 0.05
DAY_2005 = 12_784  # 2005-01-01 in days since 1970-01-01


def _u(seed: int, src: str, srid: str, what: str) -> float:
    """A uniform number in (0, 1) from (seed, source, record id, what)."""
    h = hashlib.blake2b(f"{seed}|{src}|{srid}|{what}".encode(), digest_size=8).digest()
    return (int.from_bytes(h, "big") + 0.5) / 2**64


def _lognormal(u: float, median: float, sigma: float) -> int:
    return int(round(median * math.exp(sigma * _Z.inv_cdf(u))))


def link_dates(seed: int, src: str, links: list[tuple], lsr: list[str], reported: dict, first_outcome: dict,
               end: int) -> list[int | None]:
    """date_identified of each crime-person link (crime key, person, role), in days since 1970-01-01."""
    out: list[int | None] = []
    for (key, person, role), s in zip(links, lsr):
        rep = reported.get(key)
        if rep is None or _u(seed, src, s, "blank") < BLANK_LINK_P[0 if rep < DAY_2005 else 1]:
            out.append(None)
            continue
        u = _u(seed, src, s, "lag")
        if role == "SUSPECT":
            d = rep if u < SUSPECT_AT_REPORT_P else rep + max(1, _lognormal((u - SUSPECT_AT_REPORT_P) / (1 - SUSPECT_AT_REPORT_P),
                                                                           SUSPECT_LAG_MEDIAN, 1.0))
            cap = first_outcome.get((key, person))
            d = min(d, cap) if cap is not None and cap >= rep else d
        elif role == "VICTIM":
            d = rep if u < 0.9 else rep + int((u - 0.9) * 140)  # recorded with the crime, or within a fortnight
        else:
            d = rep + _lognormal(u, 10, 1.0)
        out.append(min(d, end))
    return out


def court_dates(seed: int, src: str, outcomes: list[tuple], osr: list[str], end: int) -> tuple[list, list]:
    """(first_hearing_date, court_result_date) of each outcome row (crime key, person, type, date, charged, court, ...)."""
    hearing: list[int | None] = []
    result: list[int | None] = []
    for x, s in zip(outcomes, osr):
        otype, charge, court = x[2], x[3], x[5]
        if otype != "1" or charge is None or not court:
            hearing.append(None)
            result.append(None)
            continue
        u = lambda what: _u(seed, src, s, what)  # noqa: E731
        lag = 1 if u("custody") < CUSTODY_P else max(2, _lognormal(u("bail"), HEARING_LAG_MEDIAN, 0.5))
        heard = min(end, charge + lag)
        if court == "DISCONTINUED" and u("heard") >= DISCONTINUED_HEARD_P:
            heard = None  # dropped before it reached court
        start = heard if heard is not None else charge
        when = None
        if court != "PENDING":
            kind = "plea" if court == "CONVICTED" and u("plea") < GUILTY_PLEA_P else court
            when = start + max(1, _lognormal(u("result"), RESULT_MEDIAN.get(kind, 200), 0.5))
            if when > end:  # the world says the result is in by its end: somewhere between the start and the end
                when = start + int(u("late") * (end - start))
        hearing.append(None if heard is None or u("blank_hearing") < BLANK_COURT_P else heard)
        result.append(None if when is None or u("blank_result") < BLANK_COURT_P else when)
    return hearing, result
