"""Downgrades: rape of a child under 16 recorded at report, charged or convicted as a lesser, non-rape offence."""

from __future__ import annotations

import duckdb

from joinedup.justice.codes import codes_in
from joinedup.justice.people import age_sql

COLUMNS = ("source", "source_record_id", "crime_record_id", "suspect_record_id", "victim_records", "victim_person_id",
           "force", "year", "offence_recorded", "offence_charged", "court_result", "date_committed",
           "victim_dob_estimate", "dob_basis", "age_at_offence", "age_certainty", "reason")


def find_downgrades(con: duckdb.DuckDBPyConnection, crime_person: str) -> list[tuple]:
    """Rows of COLUMNS: each charge (outcome row) that downgraded a rape of a child under 16."""
    # The offence window: the day committed, or (not known) any day up to the report. A partial dob
    # widens the dob into a range. Under 16 is 'certain' when the oldest the child can have been is
    # 15, 'possible' when the window or dob range spans the 16th birthday.
    min_age = age_sql("v.dob_hi", "ch.date_committed")
    max_age = age_sql("v.dob_lo", "coalesce(ch.date_committed, ch.date_reported)")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_res_downgrade AS
        WITH rape AS (
            SELECT c.*, try_cast(off.victim_age_max AS INTEGER) AS code_age_max, og.basis AS recorded_basis
            FROM j_crime c
            JOIN j_offence_group og ON og.code = c.offence_code AND og."group" = 'rape_at_report'
            LEFT JOIN j_offence off ON off.code = c.offence_code),
        charge AS (
            SELECT o.source, o.source_record_id, o.crime_record_id, o.person_record_id, o.charged_offence,
                   o.court_result, r.force, r.year, r.offence_code, r.date_committed, r.date_reported,
                   r.code_age_max, r.recorded_basis
            FROM j_out o JOIN rape r ON r.source = o.source AND r.source_record_id = o.crime_record_id
            WHERE o.is_charge AND nullif(trim(o.charged_offence), '') IS NOT NULL
              AND o.charged_offence NOT IN {codes_in('rape')}
              AND o.charged_offence NOT IN {codes_in('penetrative_child')}),
        victim AS (
            SELECT cp.source, cp.crime_record_id, r.person_id, cp.person_record_id,
                   d.dob_est, d.dob_lo, d.dob_hi, d.dob_basis
            FROM {crime_person} cp
            JOIN j_rec r ON r.source = cp.source AND r.source_record_id = cp.person_record_id
            JOIN j_dob d ON d.person_id = r.person_id
            WHERE cp.role = 'VICTIM'),
        aged AS (
            SELECT ch.*, v.person_id AS victim_person_id, v.person_record_id AS victim_record,
                   v.dob_est, v.dob_basis,
                   {age_sql('v.dob_est', 'coalesce(ch.date_committed, ch.date_reported)')} AS age,
                   {min_age} AS min_age, {max_age} AS max_age
            FROM charge ch LEFT JOIN victim v ON v.source = ch.source AND v.crime_record_id = ch.crime_record_id),
        -- several victims on one crime: the youngest decides
        one AS (
            SELECT source, source_record_id, any_value(crime_record_id) AS crime_record_id,
                   any_value(person_record_id) AS suspect_record_id,
                   array_to_string(list_sort(list(DISTINCT source || ':' || victim_record)), ';') AS victim_records,
                   arg_min(victim_person_id, lpad(coalesce(age, 999)::VARCHAR, 4, '0') || coalesce(victim_person_id, '')) AS victim_person_id,
                   any_value(force) AS force, any_value(year) AS year, any_value(offence_code) AS offence_recorded,
                   any_value(charged_offence) AS offence_charged, any_value(court_result) AS court_result,
                   any_value(date_committed) AS date_committed, any_value(code_age_max) AS code_age_max,
                   any_value(recorded_basis) AS recorded_basis,
                   arg_min(dob_est, lpad(coalesce(age, 999)::VARCHAR, 4, '0') || coalesce(victim_person_id, '')) AS dob_est, arg_min(dob_basis, lpad(coalesce(age, 999)::VARCHAR, 4, '0') || coalesce(victim_person_id, '')) AS dob_basis,
                   min(age) AS age, min(min_age) AS min_age, min(max_age) AS max_age
            FROM aged GROUP BY source, source_record_id),
        judged AS (
            SELECT *,
                   CASE WHEN max_age IS NOT NULL AND max_age < 16 THEN 'certain'
                        WHEN max_age IS NOT NULL AND coalesce(min_age, 0) < 16 THEN 'possible'
                        WHEN max_age IS NOT NULL THEN 'no' ELSE 'unknown' END AS dob_under16,
                   code_age_max IS NOT NULL AND code_age_max < 16 AS code_under16
            FROM one)
        SELECT source, source_record_id, crime_record_id, suspect_record_id, victim_records, victim_person_id,
               force, year, offence_recorded, offence_charged, court_result, date_committed, dob_est AS victim_dob_estimate, dob_basis,
               age AS age_at_offence,
               CASE WHEN dob_under16 = 'certain' THEN 'under 16 on the victim''s date of birth'
                    WHEN dob_under16 = 'possible' THEN 'possibly under 16: the offence date or date of birth range spans the 16th birthday'
                    WHEN dob_under16 = 'no' THEN 'under 16 by the offence recorded; the date of birth says 16 or over: check'
                    ELSE 'under 16 by the offence recorded (date of birth unknown)' END AS age_certainty,
               'recorded at report as ' || recorded_basis || '; charged as ' || offence_charged
               || coalesce(' (' || lower(court_result) || ')', '')
               || coalesce('; victim aged ' || age || ' at the offence', '') || '; ' || coalesce(dob_basis, 'no victim recorded on the crime') AS reason
        FROM judged
        WHERE code_under16 OR dob_under16 IN ('certain', 'possible')
        ORDER BY force, year, source, source_record_id""")
    return con.execute("SELECT * FROM j_res_downgrade").fetchall()
