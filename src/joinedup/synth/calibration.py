"""Measure a synthetic world's planted rates from its truth files and compare them with published figures."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """One published figure the realistic profile is calibrated to, and the band a world must land in."""

    key: str
    published: float
    low: float
    high: float
    what: str
    source: str


# Bands are wide on purpose: most figures are national counts scaled to a world of 100,000 people (a few
# groups, a few hundred victims), several are "order of magnitude" (see docs/synthetic-world.md).
TARGETS: list[Target] = [
    Target("group_cse_offences_per_100k_year", 700 / 596, 0.4, 3.5,
           "group-based CSE offences (CSE flag) recorded per 100,000 people per year, reported 2010-2024",
           "about 700 in 2023 (national audit of group-based CSE, Casey, 2025; NPCC data) / 59.6M (Census 2021)"),
    Target("group_based_share_of_csa", 4_228 / 95_000, 0.015, 0.12,
           "share of child sexual abuse offences that are group-based",
           "4,228 group-based CSA offences in 2023 (NPCC) of roughly 100,000 recorded CSA offences a year "
           "(73,260 sexual offences against children in YE March 2019, ONS 'Child sexual abuse in England and Wales'); "
           "order of magnitude"),
    Target("familial_share_of_group_based", 0.25, 0.1, 0.45,
           "share of group-based CSA offences that are familial", "about a quarter (NPCC 2023, via the national audit)"),
    Target("cse_at_assessment_per_10k_children_year", 12_120 / 1_200, 5.0, 20.0,
           "children assessed with CSE as a factor per 10,000 children per year, 2016-2024",
           "12,120 in YE March 2025 (DfE 'Children in need: a focus on sexual abuse and exploitation') / 12M children"),
    Target("victims_girls_share", 0.67, 0.6, 0.92, "share of exploited children who are girls",
           "67% of children assessed with CSE (DfE, YE March 2025)"),
    Target("victims_aged_10_plus_share", 0.81, 0.7, 1.0, "share of exploited children aged 10 or over at first harm",
           "81% of children assessed with CSE were 10 or over (DfE, YE March 2025)"),
    Target("suspects_female_share", 0.03, 0.01, 0.1, "share of CSE suspects who are women",
           "1 of 45 suspects (Telford and Wrekin CSE annual report 2024); order of magnitude"),
    Target("suspects_under_18_share", 0.24, 0.05, 0.35, "share of CSE suspects under 18 at the offence",
           "11 of 45 suspects (Telford and Wrekin CSE annual report 2024); order of magnitude"),
    Target("charge_rate", 6_519 / 43_284, 0.06, 0.25, "share of finalised outcomes for child sexual offences that are a charge",
           "6,519 of 43,284 outcomes for child sex offences, YE March 2017 (Home Office crime outcomes)"),
    Target("conviction_share_of_court", 0.79, 0.6, 0.9, "share of court results that are convictions",
           "almost 4 in 5 child-abuse-flagged CPS prosecutions convicted, YE March 2019 (ONS)"),
    Target("evidential_difficulties_share", 22_890 / 43_284, 0.35, 0.75,
           "share of outcomes that are evidential difficulties (outcomes 14-16)",
           "22,890 of 43,284, YE March 2017 (Home Office crime outcomes)"),
    Target("out_of_court_share", 631 / 43_284, 0.005, 0.08, "share of outcomes that are cautions, community resolutions or diversion",
           "631 cautions of 43,284, YE March 2017 (Home Office crime outcomes); order of magnitude"),
    Target("non_recent_share", 0.35, 0.2, 0.55, "share of child sexual offences reported when the victim was an adult",
           "order of magnitude: most survivors disclose late (IICSA final report 2022; ONS 2019 compendium)"),
    Target("suspect_ethnicity_recorded", 0.34, 0.25, 0.45, "share of suspects with a self-defined ethnicity recorded",
           "34% in 2023 national police data, 37% in another count (national audit 2025)"),
    Target("suspect_nationality_recorded", 0.34, 0.2, 0.5, "share of suspects with a nationality recorded",
           "about a third, like ethnicity (national audit 2025); order of magnitude"),
    Target("lac_missing_share", 0.11, 0.04, 0.3, "share of looked-after children with a missing episode in care",
           "11% (12,150) in YE March 2022 (DfE 'Children looked after in England')"),
    Target("missing_episodes_per_missing_lac", 76_890 / 12_150, 3.0, 10.0,
           "missing episodes per looked-after child who went missing",
           "76,890 incidents for 12,150 children, YE March 2022 (DfE 'Children looked after in England')"),
]

SEXUAL = {"cse_group", "cse_lone", "familial_group", "csa"}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _age(dob: str, day: str) -> float:
    return (date.fromisoformat(day) - date.fromisoformat(dob)).days / 365.25


def measure(world: Path) -> dict[str, float]:
    """Every calibrated rate, plus structural counts, measured from a synth output's truth files."""
    t = Path(world) / "truth"
    off = _read(t / "offences.csv")
    allkids = _read(t / "children.csv")
    kids = [r for r in allkids if r["exploited"] == "1"]
    # stream people.csv (a million rows at 1M people): keep only the people a rate looks at, count births
    need = {k["true_person_id"] for k in kids} | {r["victim_true_person_id"] for r in off} | \
        {r["suspect_true_person_id"] for r in off}
    people: dict[str, dict[str, str]] = {}
    births: Counter = Counter()
    n = 0
    with open(t / "people.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            n += 1
            births[int(r["dob"][:4])] += 1
            if r["true_person_id"] in need:
                people[r["true_person_id"]] = {"sex": r["sex"], "dob": r["dob"]}
    m: dict[str, float] = {}
    crimes: dict[tuple[str, str], dict[str, str]] = {}
    for r in off:
        crimes.setdefault((r["source"], r["crime_record_id"]), r)
    recent = [c for c in crimes.values() if c["kind"] in SEXUAL and "2010" <= c["date_reported"][:4] <= "2024"]
    m["group_cse_offences_per_100k_year"] = sum(c["kind"] == "cse_group" and c["cse_flag"] == "1" for c in recent) \
        * 100_000 / n / 15
    grp = [c for c in recent if c["kind"] in ("cse_group", "familial_group")]
    m["group_based_share_of_csa"] = len(grp) / max(1, len(recent))
    m["familial_share_of_group_based"] = sum(c["kind"] == "familial_group" for c in grp) / max(1, len(grp))
    # children aged 0-17 in each year 2016-2024, against children assessed with CSE that year
    years = range(2016, 2025)
    child_years = sum(births[b] for y in years for b in range(y - 17, y + 1))
    sc = _read(t / "social_care.csv")
    cse = {(r["true_person_id"], r["start_date"][:4]) for r in sc
           if r["kind"] == "assessment" and r["cse_factor"] == "1" and 2016 <= int(r["start_date"][:4]) <= 2024}
    m["cse_at_assessment_per_10k_children_year"] = len(cse) * 10_000 / max(1, child_years)
    m["victims_girls_share"] = sum(people[k["true_person_id"]]["sex"] == "F" for k in kids) / max(1, len(kids))
    m["victims_aged_10_plus_share"] = sum(_age(people[k["true_person_id"]]["dob"], k["first_harm_date"]) >= 10
                                          for k in kids) / max(1, len(kids))
    sus: dict[str, str] = {}
    for r in off:
        if r["kind"] in ("cse_group", "cse_lone"):
            sus.setdefault(r["suspect_true_person_id"], r["date_committed"])
    m["suspects_female_share"] = sum(people[s]["sex"] == "F" for s in sus) / max(1, len(sus))
    m["suspects_under_18_share"] = sum(_age(people[s]["dob"], d) < 18 for s, d in sus.items()) / max(1, len(sus))
    fin = [r for r in off if r["kind"] in SEXUAL and r["outcome_type"] != "PEND"]
    types = Counter(r["outcome_type"] for r in fin)
    m["charge_rate"] = types["1"] / max(1, len(fin))
    court = Counter(r["court_result"] for r in fin if r["outcome_type"] == "1" and r["court_result"] != "PENDING")
    m["conviction_share_of_court"] = court["CONVICTED"] / max(1, sum(court.values()))
    m["evidential_difficulties_share"] = sum(types[k] for k in ("14", "15", "16")) / max(1, len(fin))
    m["out_of_court_share"] = sum(types[k] for k in ("2", "3", "8", "22")) / max(1, len(fin))
    sexual = [c for c in crimes.values() if c["kind"] in SEXUAL]
    m["non_recent_share"] = sum(_age(people[c["victim_true_person_id"]]["dob"], c["date_reported"]) >= 18
                                for c in sexual) / max(1, len(sexual))
    rec = _read(t / "recording.csv")
    s_all = sum(int(r["suspect_records"]) for r in rec)
    m["suspect_ethnicity_recorded"] = sum(int(r["ethnicity_recorded"]) for r in rec) / max(1, s_all)
    m["suspect_nationality_recorded"] = sum(int(r["nationality_recorded"]) for r in rec) / max(1, s_all)
    by_force = [int(r["ethnicity_recorded"]) / int(r["suspect_records"]) for r in rec if int(r["suspect_records"])]
    m["suspect_ethnicity_recorded_min_force"] = min(by_force, default=0.0)
    m["suspect_ethnicity_recorded_max_force"] = max(by_force, default=0.0)
    lac = [r for r in sc if r["kind"] == "looked_after"]
    went = [int(r["missing_episodes_in_care"] or 0) for r in lac if int(r["missing_episodes_in_care"] or 0) > 0]
    m["lac_missing_share"] = len(went) / max(1, len(lac))
    m["missing_episodes_per_missing_lac"] = sum(went) / max(1, len(went))
    # structure (counts, not calibrated): what the realistic structure must contain
    groups = _read(t / "groups.csv")
    member = defaultdict(set)
    for r in groups:
        if r["role"] == "offender":
            member[r["true_person_id"]].add(r["true_group_id"])
    m["groups_per_100k"] = len({r["true_group_id"] for r in groups}) * 100_000 / n
    m["exploited_share_of_children"] = len(kids) / max(1, len(allkids))
    m["offenders_in_2_plus_groups"] = sum(len(v) > 1 for v in member.values())
    m["familial_groups"] = len({r["true_group_id"] for r in groups if r["kind"] == "familial"})
    spans = defaultdict(list)
    for r in groups:
        if r["role"] == "offender" and r["joined"]:
            spans[r["true_group_id"]] += [r["joined"], r["left"]]
    m["groups_active_10_plus_years"] = sum(_age(min(v), max(v)) >= 10 for v in spans.values())
    down = {(r["source"], r["outcome_record_id"]): r for r in off if r["downgrade"] == "1"}
    m["downgrades_under_13"] = sum(r["offence_code"] in ("19E", "19H") for r in down.values())
    m["downgrades_13_to_15"] = sum(r["offence_code"] in ("19D", "19G") for r in down.values())
    sol = [r for r in off if r["kind"] == "soliciting"]
    m["soliciting_convictions"] = sum(r["court_result"] == "CONVICTED" for r in sol)
    m["soliciting_cautions"] = sum(r["outcome_type"] in ("2", "3") for r in sol)
    m["soliciting_acquittals"] = sum(r["court_result"] == "ACQUITTED" for r in sol)
    m["lone_cse_share_of_exploited"] = sum(k["abuse_kind"] == "cse_lone" for k in kids) / max(1, len(kids))
    return m


def write_calibration(world: Path) -> list[dict[str, object]]:
    """Write truth/calibration.csv (each planted rate beside its published figure and band); return its rows."""
    m = measure(world)
    rows: list[dict[str, object]] = []
    for tg in TARGETS:
        v = m[tg.key]
        rows.append({"rate": tg.key, "measured": round(v, 4), "published": round(tg.published, 4), "low": tg.low,
                     "high": tg.high, "within": int(tg.low <= v <= tg.high), "what": tg.what, "source": tg.source})
    for k in sorted(set(m) - {tg.key for tg in TARGETS}):
        rows.append({"rate": k, "measured": round(m[k], 4), "published": "", "low": "", "high": "", "within": "",
                     "what": "structure (not calibrated)", "source": ""})
    with open(Path(world) / "truth" / "calibration.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return rows
