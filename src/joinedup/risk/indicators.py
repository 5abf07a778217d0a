"""Risk and harm indicators for children, each row an evidence record, from the linked warehouse as known on a date.

Every indicator is computed in SQL from dated rows only (events, crimes), read through `as_of_sql`, so a queue
"as of D" never sees what was recorded or delivered after D. Ethnicity, nationality and religion are never read
here (the column list below is explicit for that reason); neither is sex, to avoid the stereotype that only girls
are exploited.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import duckdb

from joinedup.warehouse.asof import as_of_sql
from joinedup.warehouse.engine import has_rows, run_data_date
from joinedup.warehouse.sql import list_literal

# the person_record columns risk may read: identity for linking names, dob for age, never protected characteristics
PERSON_COLUMNS = ("source", "source_record_id", "agency_type", "org_code", "forename", "surname", "aliases", "dob", "role")


@dataclass(frozen=True)
class Indicator:
    """One published indicator: which evidence it counts, how many within which window, and its points."""

    indicator: str
    evidence: str
    min_count: int
    window_days: int | None
    kind: str  # "risk" (a sign harm may come) or "harm" (a sign harm has already happened)
    points: int
    label: str


@lru_cache(maxsize=1)
def published_indicators() -> tuple[Indicator, ...]:
    """The indicators and their points, from the shipped data file risk/data/indicators.csv."""
    with resources.files("joinedup.risk").joinpath("data/indicators.csv").open(encoding="utf-8") as f:
        return tuple(Indicator(r["indicator"], r["evidence"], int(r["min_count"]),
                               int(r["window_days"]) if r["window_days"] else None, r["kind"], int(r["points"]),
                               r["label"]) for r in csv.DictReader(f))


@lru_cache(maxsize=1)
def model() -> dict:
    """How the points were fitted, and the intercept that turns a score into a calibrated 12-month probability."""
    return json.loads(resources.files("joinedup.risk").joinpath("data/model.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def child_sexual_offence_codes() -> tuple[str, ...]:
    """Offence codes (Home Office classes and statutes) that are sexual offences against a child or rape."""
    with resources.files("joinedup.standard").joinpath("codes/offence.csv").open(encoding="utf-8") as f:
        return tuple(r["code"] for r in csv.DictReader(f)
                     if r["category"] not in ("other", "prostitution_related"))


def _lit(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


_list = list_literal


def build_evidence(con: duckdb.DuckDBPyConnection, as_of: date, org: str | None = None,
                   agencies: tuple[str, ...] | None = None) -> None:
    """Fill temp tables __rk_child (children aged 10-17 on as_of) and __rk_evidence (one row per evidence record).

    agencies: use only records held by these agency types (e.g. ("police",): what one agency alone could see).
    """
    D = _lit(as_of)
    pr = as_of_sql(con, "person_record", as_of)
    ev = as_of_sql(con, "event", as_of)
    cr = as_of_sql(con, "crime", as_of)
    cp = as_of_sql(con, "crime_person", as_of)
    sexual = _list(child_sexual_offence_codes())
    cols = ", ".join(f"p.{c}" for c in PERSON_COLUMNS)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_pr AS
        SELECT {cols}, l.person_id, l.match_probability
        FROM {pr} p JOIN link_person l ON l.source = p.source AND l.source_record_id = p.source_record_id
        {"WHERE p.agency_type IN (SELECT unnest(" + _list(list(agencies)) + "))" if agencies else ""}""")
    # a person's date of birth: the one most of their records give (ties: the earliest)
    con.execute("""CREATE OR REPLACE TEMP TABLE __rk_person AS
        SELECT person_id, arg_max(dob, n * 100000 - epoch(dob) / 86400) AS dob FROM (
            SELECT person_id, dob, count(*) AS n FROM __rk_pr WHERE dob IS NOT NULL GROUP BY ALL) GROUP BY person_id""")
    org_filter = ""
    if org:
        org_filter = (" AND person_id IN (SELECT person_id FROM __rk_pr WHERE org_code = "
                      + "'" + org.replace("'", "''") + "')")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_child AS
        SELECT person_id, dob, date_diff('day', dob, {D}) / 365.25 AS age FROM __rk_person
        WHERE date_diff('day', dob, {D}) / 365.25 >= 10 AND date_diff('day', dob, {D}) / 365.25 < 18{org_filter}""")
    # the children's events known on D; an end date after D was not yet known then
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_ev AS
        SELECT c.person_id, e.source, e.source_record_id, e.event_type, e.start_date,
               CASE WHEN e.end_date <= {D} THEN e.end_date END AS end_date,
               coalesce(e.codes, []) AS codes, e.location, nullif(trim(e.with_whom), '') AS with_whom,
               p.agency_type, date_diff('day', c.dob, e.start_date) / 365.25 AS age_then
        FROM {ev} e JOIN __rk_pr p ON p.source = e.source AND p.source_record_id = e.person_record_id
        JOIN __rk_child c ON c.person_id = p.person_id""")
    # everyone on each crime known on D, with the person's age then
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_cp AS
        SELECT cp.source, cp.crime_record_id, cp.source_record_id AS link_record_id, cp.role, p.person_id,
               per.dob, k.offence_code, coalesce(k.cse_flag, false) AS cse_flag,
               coalesce(k.date_reported, k.date_committed) AS recorded,
               k.offence_code IN (SELECT unnest({sexual})) AS sexual
        FROM {cp} cp JOIN {cr} k ON k.source = cp.source AND k.source_record_id = cp.crime_record_id
        JOIN __rk_pr p ON p.source = cp.source AND p.source_record_id = cp.person_record_id
        LEFT JOIN __rk_person per ON per.person_id = p.person_id""")
    # adults known to police as suspects by D, and the names they are known by
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_suspect AS
        SELECT person_id, any_value(dob) AS dob, bool_or(sexual OR cse_flag) AS sexual,
               bool_or(sexual AND n_susp >= 2) AS group_offence
        FROM (SELECT *, count(*) FILTER (WHERE role = 'SUSPECT') OVER (PARTITION BY source, crime_record_id) AS n_susp
              FROM __rk_cp) WHERE role = 'SUSPECT' AND dob IS NOT NULL AND date_diff('day', dob, {D}) / 365.25 >= 18
        GROUP BY person_id""")
    con.execute("""CREATE OR REPLACE TEMP TABLE __rk_suspect_name AS
        SELECT DISTINCT s.person_id, s.dob, s.sexual, s.group_offence, n.name FROM __rk_suspect s
        JOIN __rk_pr p ON p.person_id = s.person_id,
        LATERAL (SELECT unnest(list_distinct(list_filter(
            [upper(trim(p.forename || ' ' || p.surname))]
            || CASE WHEN s.sexual THEN [upper(trim(p.forename))] ELSE [] END
            || list_transform(coalesce(p.aliases, []), lambda a: upper(trim(a))), lambda x: x IS NOT NULL AND x <> ''))) AS name) n""")
    win = "WITH e AS (SELECT * FROM __rk_ev)"
    parts = {
        "missing": "event_type = 'MISSING'",
        "missing_with_named": "event_type = 'MISSING' AND with_whom IS NOT NULL",
        "looked_after": "event_type = 'LAC'",
        "residential_care": "event_type = 'LAC' AND location ILIKE '%residential%'",
        "cp_plan": "event_type = 'CP_PLAN'",
        "harm_cp_plan_sexual": "event_type = 'CP_PLAN' AND list_contains(codes, 'SX')",
        "referral": "event_type = 'REFERRAL'",
        "factor_cse": "event_type = 'ASSESSMENT' AND list_contains(codes, '11A')",
        "factor_missing": "event_type = 'ASSESSMENT' AND list_contains(codes, '10A')",
        "factor_exploitation": "event_type = 'ASSESSMENT' AND list_has_any(codes, ['24A', '12A', '13A'])",
        "factor_drugs": "event_type = 'ASSESSMENT' AND list_contains(codes, '2A')",
        "factor_self_harm": "event_type = 'ASSESSMENT' AND list_contains(codes, '15A')",
        "factor_learning_disability": "event_type = 'ASSESSMENT' AND list_contains(codes, '5A')",
        "factor_domestic_abuse": "event_type = 'ASSESSMENT' AND list_contains(codes, '3A')",
        "harm_sexual_abuse_factor": "event_type = 'ASSESSMENT' AND list_has_any(codes, ['19B', '19C'])",
        "sexual_health_u16": "event_type = 'HEALTH' AND list_has_any(codes, ['SH', 'EC']) AND age_then < 16",
        "sexual_health_16_17": "event_type = 'HEALTH' AND list_has_any(codes, ['SH', 'EC']) AND age_then >= 16",
        "harm_sti_pregnancy_u16": "event_type = 'HEALTH' AND list_has_any(codes, ['STI', 'PREG']) AND age_then < 16",
        "health_with_named": "event_type = 'HEALTH' AND with_whom IS NOT NULL",
        "substance_misuse": "event_type = 'HEALTH' AND list_contains(codes, 'INTOX')",
        "self_harm": "event_type = 'HEALTH' AND list_contains(codes, 'SHARM')",
        "school_absence": "event_type = 'EDUCATION' AND list_has_any(codes, ['PA', 'CME'])",
        "exclusion": "event_type = 'EDUCATION' AND list_has_any(codes, ['EXF', 'EXP'])",
        "cse_intelligence": "event_type = 'INTEL' AND list_contains(codes, 'CSE')",
    }
    sel = []
    for name, cond in parts.items():
        sel.append(f"""SELECT person_id, '{name}' AS evidence, start_date AS evidence_date, source, source_record_id,
            event_type || coalesce(' ' || array_to_string(codes, ';'), '') || coalesce(' with ' || with_whom, '')
            || coalesce(' at ' || location, '') AS detail FROM e WHERE {cond}""")
    # missing from care: reported by children's social care, or while a care episode was open
    sel.append("""SELECT m.person_id, 'missing_from_care', m.start_date, m.source, m.source_record_id,
            'MISSING ' || CASE WHEN m.agency_type = 'csc' THEN 'reported by children''s social care' ELSE 'during a care episode' END
        FROM e m WHERE m.event_type = 'MISSING' AND (m.agency_type = 'csc' OR EXISTS (
            SELECT 1 FROM e l WHERE l.person_id = m.person_id AND l.event_type = 'LAC'
              AND m.start_date >= l.start_date AND (l.end_date IS NULL OR m.start_date <= l.end_date)))""")
    # found with (or attended with) someone whose name is that of an adult suspect at least 5 years older
    sel.append("""SELECT DISTINCT e.person_id, 'missing_with_suspect', e.start_date, e.source, e.source_record_id,
            e.event_type || ' with ' || e.with_whom || ' (name of an adult suspect)'
        FROM e JOIN __rk_child c ON c.person_id = e.person_id
        JOIN __rk_suspect_name s ON s.name = upper(e.with_whom) AND s.person_id <> e.person_id
        WHERE e.with_whom IS NOT NULL AND date_diff('day', s.dob, c.dob) >= 5 * 365""")
    # on the same crime record as an adult suspect at least 5 years older who is (by D) a sexual offence suspect
    sel.append("""SELECT DISTINCT k.person_id, 'age_gap_association', k.recorded, k.source, k.link_record_id,
            'on crime ' || k.crime_record_id || ' (' || k.offence_code || ') with an adult suspect ' ||
            (date_diff('day', s.dob, c.dob) // 365) || ' years older'
        FROM __rk_cp k JOIN __rk_child c ON c.person_id = k.person_id
        JOIN __rk_cp o ON o.source = k.source AND o.crime_record_id = k.crime_record_id AND o.role = 'SUSPECT'
            AND o.person_id <> k.person_id
        JOIN __rk_suspect s ON s.person_id = o.person_id
        WHERE k.role <> 'SUSPECT' AND s.sexual AND date_diff('day', s.dob, c.dob) >= 5 * 365""")
    # a detected group, found directly: the child is named (crime record, or found-with name) with an adult suspect
    # of a child sexual offence that had two or more suspects
    sel.append("""SELECT DISTINCT k.person_id, 'group_association', k.recorded, k.source, k.link_record_id,
            'on crime ' || k.crime_record_id || ' with a suspect in a multi-suspect sexual offence'
        FROM __rk_cp k JOIN __rk_child c ON c.person_id = k.person_id
        JOIN __rk_cp o ON o.source = k.source AND o.crime_record_id = k.crime_record_id AND o.role = 'SUSPECT'
            AND o.person_id <> k.person_id
        JOIN __rk_suspect s ON s.person_id = o.person_id WHERE k.role <> 'SUSPECT' AND s.group_offence
        UNION ALL
        SELECT DISTINCT e.person_id, 'group_association', e.start_date, e.source, e.source_record_id,
            e.event_type || ' with ' || e.with_whom || ' (name of a suspect in a multi-suspect sexual offence)'
        FROM e JOIN __rk_suspect_name s ON s.name = upper(e.with_whom) AND s.group_offence
        WHERE e.with_whom IS NOT NULL""")
    sel.append("""SELECT k.person_id, 'harm_sexual_offence_victim', k.recorded, k.source, k.link_record_id,
            'victim on crime ' || k.crime_record_id || ' (' || k.offence_code || ')'
        FROM __rk_cp k JOIN __rk_child c ON c.person_id = k.person_id WHERE k.role = 'VICTIM' AND k.sexual""")
    sel.append("""SELECT k.person_id, 'harm_cse_flag', k.recorded, k.source, k.link_record_id,
            'victim on crime ' || k.crime_record_id || ' flagged CSE'
        FROM __rk_cp k JOIN __rk_child c ON c.person_id = k.person_id WHERE k.role = 'VICTIM' AND k.cse_flag""")
    sel.extend(_network_evidence(con, as_of))
    con.execute(f"CREATE OR REPLACE TEMP TABLE __rk_evidence AS {win} " + " UNION ALL ".join(sel))


def _network_evidence(con: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Group membership from the network stage, when its tables exist and were built for a date not after as_of."""
    if not has_rows(con, "network_member"):
        return []
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'network_member'").fetchall()}
    if not {"group_id", "person_id"} <= cols:
        return []
    D = _lit(as_of)
    # the network is built for one date: its run's as-of date, or (a current-state run) the day it ran
    if "as_of" in cols:
        built, join = "m.as_of", ""
    elif has_rows(con, "network_run"):
        built = run_data_date("r")
        join = "JOIN network_run r ON r.run_id = m.run_id"
    else:
        return []
    role = "m.role" if "role" in cols else "'member'"
    seen = "coalesce(m.first_seen, " + built + ")" if "first_seen" in cols else built
    return [f"""SELECT DISTINCT m.person_id, 'group_association', least({seen}, {D}), 'network', m.group_id,
            'member of detected group ' || m.group_id || ' as ' || {role}
        FROM network_member m {join} JOIN __rk_child c ON c.person_id = m.person_id
        WHERE {built} IS NOT NULL AND {built} <= {D}"""]
