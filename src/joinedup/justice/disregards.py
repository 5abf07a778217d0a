"""Disregards: children charged, cautioned or convicted of prostitution-related offences who are victims of sexual exploitation."""

from __future__ import annotations

import duckdb

from joinedup.justice.codes import codes_in
from joinedup.justice.people import age_sql

COLUMNS = ("person_id", "convictions", "conviction_records", "corroboration", "victim_records", "victim_evidence",
           "match_probability", "min_age_at_offence", "reason")


def find_disregards(con: duckdb.DuckDBPyConnection, crime: str, crime_person: str, event: str,
                    person_record: str, link_pair: str | None) -> list[tuple]:
    """Rows of COLUMNS: one per person, with the convictions, the victim records and the link's probability."""
    min_age = age_sql("d.dob_hi", "c.date_committed")
    max_age = age_sql("d.dob_lo", "coalesce(c.date_committed, c.date_reported)")
    est_age = age_sql("d.dob_est", "coalesce(c.date_committed, c.date_reported)")
    # the probability of the link between a conviction record and a victim record: 1 for the same
    # record, the pair's own score when the model compared them, else the weaker of the two records'
    # cluster probabilities (they are linked through other records)
    pair = (f"""LEFT JOIN (SELECT source_l, source_record_id_l, source_r, source_record_id_r, match_probability FROM {link_pair}
                  UNION ALL SELECT source_r, source_record_id_r, source_l, source_record_id_l, match_probability FROM {link_pair}) lp
                 ON lp.source_l = cv.rec_source AND lp.source_record_id_l = cv.rec_id
                AND lp.source_r = vr.rec_source AND lp.source_record_id_r = vr.rec_id"""
            if link_pair else "LEFT JOIN (SELECT NULL::DOUBLE AS match_probability) lp ON false")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_res_disregard AS
        WITH conv AS (
            SELECT r.person_id, o.source AS rec_source, o.person_record_id AS rec_id, r.link_probability,
                   o.source || ':' || o.source_record_id AS outcome_ref, c.offence_code, c.date_committed,
                   o.outcome_type, o.court_result, o.outcome_label,
                   {est_age} AS age, {min_age} AS min_age, {max_age} AS max_age
            FROM j_out o
            JOIN {crime} c ON c.source = o.source AND c.source_record_id = o.crime_record_id
            JOIN j_rec r ON r.source = o.source AND r.source_record_id = o.person_record_id
            JOIN j_dob d ON d.person_id = r.person_id
            WHERE c.offence_code IN {codes_in('prostitution_related')}
              AND o.outcome_type IN {codes_in('criminal_record', 'j_outcome_group')}),
        -- under 18 at the offence: certain, possible (a range spans the 18th birthday), or unknown dob (check)
        child_conv AS (SELECT * FROM conv WHERE max_age IS NULL OR coalesce(min_age, 0) < 18),
        -- evidence that the person is a victim of sexual exploitation, strongest first: a victim of a crime
        -- in scope (CSE flag, child sexual offence, rape of a child) or a CSE/trafficking factor or intelligence
        -- code; else a person record whose role is victim (the offence is not linked)
        victim AS (
            SELECT r.person_id, cp.source AS rec_source, cp.person_record_id AS rec_id, r.link_probability, 1 AS tier,
                   'victim of ' || c.offence_code || CASE WHEN c.cse_flag THEN ' (CSE flag)' ELSE '' END
                   || ' in crime ' || c.source || ':' || c.source_record_id AS evidence
            FROM {crime_person} cp
            JOIN j_crime c ON c.source = cp.source AND c.source_record_id = cp.crime_record_id
            JOIN j_rec r ON r.source = cp.source AND r.source_record_id = cp.person_record_id
            WHERE cp.role = 'VICTIM' AND r.person_id IN (SELECT person_id FROM child_conv)
            UNION ALL
            SELECT r.person_id, e.source, e.person_record_id, r.link_probability, 1,
                   x.label || ' (' || e.source || ':' || e.source_record_id || ', ' || strftime(e.start_date, '%Y-%m-%d') || ')'
            FROM {event} e
            JOIN j_exploitation_code x ON x.event_type = e.event_type AND list_contains(e.codes, x.code)
            JOIN j_rec r ON r.source = e.source AND r.source_record_id = e.person_record_id
            WHERE r.person_id IN (SELECT person_id FROM child_conv)
            UNION ALL
            SELECT r.person_id, p.source, p.source_record_id, r.link_probability, 2,
                   'recorded as a victim by ' || p.source || ' (person record ' || p.source_record_id || '; no offence linked)'
            FROM {person_record} p
            JOIN j_rec r ON r.source = p.source AND r.source_record_id = p.source_record_id
            WHERE p.role = 'VICTIM' AND r.person_id IN (SELECT person_id FROM child_conv)),
        best_tier AS (SELECT person_id, min(tier) AS tier FROM victim GROUP BY person_id),
        victim_used AS (SELECT v.* FROM victim v JOIN best_tier b USING (person_id, tier)),
        linkp AS (
            SELECT cv.person_id, vr.rec_source, vr.rec_id,
                   max(CASE WHEN cv.rec_source = vr.rec_source AND cv.rec_id = vr.rec_id THEN 1.0
                            ELSE coalesce(lp.match_probability, least(cv.link_probability, vr.link_probability)) END) AS p
            FROM child_conv cv JOIN victim_used vr USING (person_id) {pair}
            GROUP BY ALL),
        conv_agg AS (
            SELECT person_id,
                   array_to_string(list_sort(list(DISTINCT offence_code || ' ' || outcome_label || coalesce(' (' || lower(court_result) || ')', '')
                              || coalesce(' committed ' || strftime(date_committed, '%Y-%m-%d'), '')
                              || coalesce(' aged ' || age, ' age unknown'))), '; ') AS convictions,
                   array_to_string(list_sort(list(DISTINCT outcome_ref)), ';') AS conviction_records,
                   min(age) AS min_age_at_offence, bool_or(max_age IS NULL) AS age_unknown,
                   bool_or(max_age < 18) AS surely_child
            FROM child_conv GROUP BY person_id),
        vic_agg AS (
            SELECT v.person_id, array_to_string(list_sort(list(DISTINCT v.rec_source || ':' || v.rec_id || ' (p=' || printf('%.4f', l.p) || ')')), ';') AS victim_records,
                   array_to_string(list_sort(list(DISTINCT v.evidence)), '; ') AS victim_evidence, max(l.p) AS match_probability,
                   min(v.tier) AS tier
            FROM victim_used v JOIN linkp l USING (person_id, rec_source, rec_id) GROUP BY v.person_id)
        SELECT ca.person_id, ca.convictions, ca.conviction_records,
               CASE va.tier WHEN 1 THEN 'exploitation_record' WHEN 2 THEN 'victim_role' ELSE 'none' END AS corroboration,
               coalesce(va.victim_records, '') AS victim_records, coalesce(va.victim_evidence, '') AS victim_evidence,
               va.match_probability, ca.min_age_at_offence,
               CASE WHEN ca.min_age_at_offence IS NULL
                    THEN 'prostitution-related offence; age at the offence unknown (no date of birth): check; '
                    WHEN ca.surely_child THEN 'prostitution-related offence as a child (under 18 at the offence); '
                    ELSE 'prostitution-related offence possibly under 18 (the date of birth range or conflicting dates '
                         || 'of birth span the 18th birthday): check; ' END
               || CASE va.tier WHEN 1 THEN 'recorded as a victim of sexual exploitation on the linked records'
                    WHEN 2 THEN 'recorded as a victim on the linked records, the offence against them not linked: check'
                    ELSE 'no record of this person as a victim was found; a child selling sex is a victim of sexual '
                         || 'exploitation in law (Street Offences Act 1959 s1 applies only to people aged 18 or over since the '
                         || 'Serious Crime Act 2015 s68): check' END AS reason
        FROM conv_agg ca LEFT JOIN vic_agg va USING (person_id)
        ORDER BY ca.person_id""")
    return con.execute("SELECT * FROM j_res_disregard").fetchall()
