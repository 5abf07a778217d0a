"""Cases to reopen: closed (no further action, or not prosecuted) crimes where new linked intelligence now exists."""

from __future__ import annotations

import duckdb

COLUMNS = ("rank", "score", "source", "source_record_id", "crime_record_id", "suspect_record_id", "suspect_person_id",
           "force", "offence", "closed_on", "closed_as", "reasons", "evidence_records")

# Weights of each kind of new intelligence in the ranking (why: a conviction or a detected group is
# the strongest reason to look again; each further victim adds; shared pivots are leads, not proof).
WEIGHTS = {"group": 3.0, "conviction": 3.0, "charge": 2.0, "victim": 1.0, "victim_cap": 3, "pivot": 1.0, "pivot_cap": 2}
# A phone or vehicle on more people than this is a switchboard, a pool car or a placeholder, not a lead.
PIVOT_MAX_PEOPLE = 25


def find_reopen(con: duckdb.DuckDBPyConnection, crime: str, crime_person: str, network: str | None) -> list[tuple]:
    """Rows of COLUMNS, ranked: each closing outcome row with its reasons and the records behind them."""
    w = WEIGHTS
    con.execute("""CREATE OR REPLACE TEMP TABLE j_closed AS
        SELECT o.source, o.source_record_id, o.crime_record_id, o.person_record_id AS suspect_record_id,
               r.person_id AS suspect_person_id, c.force, c.offence_code,
               coalesce(o.outcome_date, c.date_reported) AS closed_on,
               CASE WHEN o.is_charge THEN 'charged, ' || lower(o.court_result) ELSE o.outcome_type || ' ' || o.outcome_label END AS closed_as
        FROM j_out o
        JOIN j_crime c ON c.source = o.source AND c.source_record_id = o.crime_record_id
        JOIN j_rec r ON r.source = o.source AND r.source_record_id = o.person_record_id
        WHERE (o.outcome_type IN (SELECT code FROM j_outcome_group WHERE "group" = 'closed_nfa')
               OR (o.is_charge AND o.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'not_prosecuted')))
          -- not closed after all: the same suspect was later charged for this crime and it went to court
          AND NOT EXISTS (SELECT 1 FROM j_out o2 JOIN j_rec r2 ON r2.source = o2.source AND r2.source_record_id = o2.person_record_id
                          WHERE o2.source = o.source AND o2.crime_record_id = o.crime_record_id AND r2.person_id = r.person_id
                            AND o2.is_charge AND o2.court_result IN (SELECT code FROM j_court_stage WHERE stage = 'prosecuted'))""")
    # every crime-person link with its person_id and crime dates (all crimes, not only those in scope)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_cp AS
        SELECT cp.source, cp.crime_record_id, cp.role, cp.person_record_id, r.person_id, c.date_reported
        FROM {crime_person} cp
        JOIN {crime} c ON c.source = cp.source AND c.source_record_id = cp.crime_record_id
        JOIN j_rec r ON r.source = cp.source AND r.source_record_id = cp.person_record_id""")
    group_sql = (f"""SELECT k.source, k.source_record_id, 'group' AS kind, 1 AS n,
                        'suspect is in detected group ' || m.group_id || coalesce(' (' || m.role || ')', '') AS reason,
                        'group:' || m.group_id AS evidence
                 FROM j_closed k JOIN {network} m ON m.person_id = k.suspect_person_id"""
                 if network else "SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE false")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE j_res_reopen AS
        WITH own_victims AS (
            SELECT DISTINCT k.source, k.source_record_id, v.person_id
            FROM j_closed k JOIN j_cp v ON v.source = k.source AND v.crime_record_id = k.crime_record_id AND v.role = 'VICTIM'),
        -- other crimes of the same suspect (as linked), recorded after the closure or by another agency,
        -- whose victims are not this crime's victims
        other_vic AS (
            SELECT k.source, k.source_record_id, 'victim' AS kind, count(DISTINCT v.person_id) AS n,
                   count(DISTINCT v.person_id) || ' other victim(s) now linked to the suspect' AS reason,
                   array_to_string(list_sort(list(DISTINCT s.source || ':' || s.crime_record_id)), ';') AS evidence
            FROM j_closed k
            JOIN j_cp s ON s.person_id = k.suspect_person_id AND s.role = 'SUSPECT'
                        AND NOT (s.source = k.source AND s.crime_record_id = k.crime_record_id)
                        AND (s.date_reported > k.closed_on OR s.source <> k.source)
            JOIN j_cp v ON v.source = s.source AND v.crime_record_id = s.crime_record_id AND v.role = 'VICTIM'
                        AND v.person_id <> k.suspect_person_id
            WHERE v.person_id NOT IN (SELECT person_id FROM own_victims ov WHERE ov.source = k.source AND ov.source_record_id = k.source_record_id)
            GROUP BY k.source, k.source_record_id),
        later AS (
            SELECT k.source, k.source_record_id,
                   CASE WHEN bool_or(o.court_result = 'CONVICTED') THEN 'conviction' ELSE 'charge' END AS kind, 1 AS n,
                   CASE WHEN bool_or(o.court_result = 'CONVICTED') THEN 'later conviction of the suspect'
                        ELSE 'later charge of the suspect' END || ' (' || array_to_string(list_sort(list(DISTINCT o.charged_offence)), ', ') || ')' AS reason,
                   array_to_string(list_sort(list(DISTINCT o.source || ':' || o.source_record_id)), ';') AS evidence
            FROM j_closed k
            JOIN j_rec r ON r.person_id = k.suspect_person_id
            JOIN j_out o ON o.source = r.source AND o.person_record_id = r.source_record_id AND o.is_charge
                        AND o.outcome_date > k.closed_on
                        AND NOT (o.source = k.source AND o.crime_record_id = k.crime_record_id)
            GROUP BY k.source, k.source_record_id),
        piv AS (
            SELECT person_id, source, source_record_id, 'phone' AS kind, unnest(phones) AS value FROM j_rec
            UNION ALL SELECT person_id, source, source_record_id, 'vehicle', unnest(vehicles) FROM j_rec),
        piv_ok AS (
            SELECT * FROM piv WHERE nullif(trim(value), '') IS NOT NULL
              AND (kind, value) IN (SELECT kind, value FROM piv GROUP BY ALL HAVING count(DISTINCT person_id) <= {PIVOT_MAX_PEOPLE})),
        shared AS (
            SELECT k.source, k.source_record_id, 'pivot' AS kind, count(DISTINCT b.kind || b.value) AS n,
                   'same ' || array_to_string(list_sort(list(DISTINCT b.kind)), ' and ') || ' in '
                   || count(DISTINCT l.source || ':' || l.crime_record_id) || ' later case(s) ('
                   || array_to_string(list_sort(list(DISTINCT b.kind || ' ' || b.value)), ', ') || ')' AS reason,
                   -- the other people's records that carry the phone or vehicle (their later cases are one click away)
                   array_to_string(list_sort(list(DISTINCT b.source || ':' || b.source_record_id)), ';') AS evidence
            FROM j_closed k
            JOIN piv_ok a ON a.person_id = k.suspect_person_id
            JOIN piv_ok b ON b.kind = a.kind AND b.value = a.value AND b.person_id <> a.person_id
            JOIN j_cp l ON l.source = b.source AND l.person_record_id = b.source_record_id AND l.date_reported > k.closed_on
                        AND NOT (l.source = k.source AND l.crime_record_id = k.crime_record_id)
            GROUP BY k.source, k.source_record_id),
        grp AS ({group_sql}),
        allr AS (SELECT * FROM other_vic UNION ALL SELECT * FROM later UNION ALL SELECT * FROM shared UNION ALL SELECT * FROM grp),
        scored AS (
            SELECT source, source_record_id,
                   sum(CASE kind WHEN 'group' THEN {w['group']} WHEN 'conviction' THEN {w['conviction']}
                                 WHEN 'charge' THEN {w['charge']} WHEN 'victim' THEN {w['victim']} * least(n, {w['victim_cap']})
                                 WHEN 'pivot' THEN {w['pivot']} * least(n, {w['pivot_cap']}) END) AS score,
                   string_agg(reason, '; ' ORDER BY kind) AS reasons,
                   string_agg(evidence, ';' ORDER BY kind) AS evidence
            FROM allr GROUP BY source, source_record_id)
        SELECT CAST(row_number() OVER (ORDER BY s.score DESC, k.closed_on, k.source, k.source_record_id) AS INTEGER) AS rank,
               s.score, k.source, k.source_record_id, k.crime_record_id, k.suspect_record_id, k.suspect_person_id,
               k.force, k.offence_code, k.closed_on, k.closed_as, s.reasons, s.evidence
        FROM scored s JOIN j_closed k USING (source, source_record_id)
        ORDER BY rank""")
    return con.execute("SELECT * FROM j_res_reopen").fetchall()
