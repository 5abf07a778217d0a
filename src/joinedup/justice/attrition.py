"""Attrition: crimes with a CSE flag or a child sexual offence, by force and year, from report to conviction."""

from __future__ import annotations

import duckdb

from joinedup.justice.codes import codes_in
from joinedup.justice.people import age_sql

STAGES = ("reported", "suspect_identified", "charged", "prosecuted", "convicted")
# Times between stages: (name, from date, to date, crimes it is measured on). A crime counts when it reached the
# later stage and both dates are recorded; crimes_<name> says how many that is (older extracts lack the dates).
TIMES = (
    ("report_to_suspect", "date_reported", "suspect_date", "suspect_identified"),
    ("suspect_to_charge", "suspect_date", "first_charge_date", "charged"),
    ("charge_to_prosecution", "first_charge_date", "prosecution_date", "prosecuted"),
    ("prosecution_to_conviction", "prosecution_date", "conviction_date", "convicted"),
    ("report_to_conviction", "date_reported", "conviction_date", "convicted"),
)
TIME_LABELS = {"report_to_suspect": "Report to suspect identified", "suspect_to_charge": "Suspect identified to charge",
               "charge_to_prosecution": "Charge to prosecution", "prosecution_to_conviction": "Prosecution to conviction",
               "report_to_conviction": "Report to conviction"}
TIME_COLUMNS = tuple(c for name, *_ in TIMES for c in (f"median_days_{name}", f"crimes_{name}"))


def build_scope(con: duckdb.DuckDBPyConnection, crime: str, crime_person: str, outcome: str) -> None:
    """Temp tables j_crime (crimes in scope, one row each, with the furthest stage reached) and j_out (needs j_rec, j_dob)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_out AS
        SELECT o.*, coalesce(g.\"group\" = 'charge', false) AS is_charge,
               ot.category AS outcome_category, ot.label AS outcome_label
        FROM {outcome} o
        LEFT JOIN (SELECT code, \"group\" FROM j_outcome_group WHERE \"group\" = 'charge') g ON g.code = o.outcome_type
        LEFT JOIN j_outcome_type ot ON ot.code = o.outcome_type""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_crime AS
        WITH c AS (
            SELECT source, source_record_id, org_code AS force, offence_code, cse_flag, date_committed, date_reported,
                   year(date_reported) AS year
            FROM {crime} c
            WHERE cse_flag OR offence_code IN {codes_in('child_sexual')}
               -- rape of any age counts when a victim was a child (under 18 on the best dob estimate)
               OR (offence_code IN {codes_in('sexual_any_age')} AND EXISTS (
                   SELECT 1 FROM {crime_person} v
                   JOIN j_rec r ON r.source = v.source AND r.source_record_id = v.person_record_id
                   JOIN j_dob d ON d.person_id = r.person_id
                   WHERE v.source = c.source AND v.crime_record_id = c.source_record_id AND v.role = 'VICTIM'
                     AND {age_sql('d.dob_est', 'coalesce(c.date_committed, c.date_reported)')} < 18))),
        -- the first suspect identified, and when (crime_person.date_identified, standard 1.1.0; NULL when not recorded)
        sus AS (SELECT source, crime_record_id, min(date_identified) AS suspect_date
                FROM {crime_person} WHERE role = 'SUSPECT' GROUP BY ALL),
        o AS (
            SELECT o.source, o.crime_record_id,
                   bool_or(o.is_charge) AS charged,
                   bool_and(o.outcome_type IN (SELECT code FROM j_outcome_group WHERE "group" = 'no_suspect')) AS no_suspect,
                   bool_or(o.is_charge AND o.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'prosecuted')) AS prosecuted,
                   bool_or(o.is_charge AND o.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'convicted')) AS convicted,
                   min(o.outcome_date) FILTER (WHERE o.outcome_category <> 'pending') AS first_outcome_date,
                   min(o.outcome_date) FILTER (WHERE o.is_charge) AS first_charge_date,
                   -- prosecution: the first hearing of a charge that went to court; conviction: the verdict date
                   min(o.first_hearing_date) FILTER (WHERE o.is_charge AND o.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'prosecuted')) AS prosecution_date,
                   min(o.court_result_date) FILTER (WHERE o.is_charge AND o.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'convicted')) AS conviction_date,
                   -- the most advanced outcome decides where the crime stopped
                   arg_max(o.outcome_type, o.progress) AS final_type,
                   arg_max(o.court_result, o.progress) AS final_court
            FROM (SELECT o.*, (CASE WHEN o.court_result = 'CONVICTED' THEN 6 WHEN o.court_result IN ('ACQUITTED', 'PENDING') THEN 5
                        WHEN o.is_charge THEN 4 WHEN o.outcome_category = 'out_of_court' THEN 3
                        WHEN o.outcome_category IN ('no_further_action', 'other') THEN 2 ELSE 1 END) || '|' || outcome_type || '|' || coalesce(court_result, '') AS progress
                  FROM j_out o) o
            GROUP BY ALL)
        -- a suspect is identified when one is linked to the crime, unless every outcome says none was
        SELECT c.*, ((s.crime_record_id IS NOT NULL AND NOT coalesce(o.no_suspect, false)) OR coalesce(o.charged, false)) AS suspect_identified,
               coalesce(o.charged, false) AS charged, coalesce(o.prosecuted, false) AS prosecuted,
               coalesce(o.convicted, false) AS convicted, o.first_outcome_date, o.first_charge_date,
               s.suspect_date, o.prosecution_date, o.conviction_date,
               coalesce(o.final_type, 'NONE') AS final_type, o.final_court
        FROM c LEFT JOIN sus s ON s.source = c.source AND s.crime_record_id = c.source_record_id
               LEFT JOIN o ON o.source = c.source AND o.crime_record_id = c.source_record_id""")


def attrition_rows(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    """(attrition by force and year, outcome types by stage); force 'ALL' is national, year NULL all years."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_res_attrition AS
        SELECT coalesce(force, 'ALL') AS force, year, count(*) AS reported,
               count(*) FILTER (WHERE suspect_identified), count(*) FILTER (WHERE charged),
               count(*) FILTER (WHERE prosecuted), count(*) FILTER (WHERE convicted),
               median(first_outcome_date - date_reported), median(first_charge_date - date_reported),
               median(date_reported - date_committed),
               {", ".join(f"median({b} - {a}) FILTER (WHERE {w}), count({b} - {a}) FILTER (WHERE {w})" for _, a, b, w in TIMES)}
        FROM j_crime GROUP BY GROUPING SETS ((force, year), (year), (force), ())
        ORDER BY force = 'ALL', force, year NULLS LAST""")
    con.execute("""CREATE OR REPLACE TEMP TABLE j_res_stages AS
        WITH s AS (
            SELECT force, year, final_type, final_court,
                   CASE WHEN convicted THEN 'convicted' WHEN prosecuted THEN 'prosecuted' WHEN charged THEN 'charged'
                        WHEN suspect_identified THEN 'suspect_identified' ELSE 'reported' END AS stage
            FROM j_crime)
        SELECT coalesce(force, 'ALL') AS f, year, stage, final_type, coalesce(ot.label, 'no outcome recorded'), final_court, count(*)
        FROM s LEFT JOIN j_outcome_type ot ON ot.code = s.final_type
        GROUP BY GROUPING SETS ((force, year, stage, final_type, ot.label, final_court), (year, stage, final_type, ot.label, final_court),
                                (force, stage, final_type, ot.label, final_court), (stage, final_type, ot.label, final_court))
        ORDER BY f = 'ALL', f, year NULLS LAST, stage, final_type, final_court""")
    return (con.execute("SELECT * FROM j_res_attrition").fetchall(), con.execute("SELECT * FROM j_res_stages").fetchall())
