"""The web server's in-memory lookups by key: a person's records and the linked pairs between them.

A page asks for a few keys at a time; through DuckDB each lookup is a query (~2 ms of planning and an index probe,
more for an IN list or a UNION of probes) and a search result page asked for up to 60 persons' records in one UNION
of 60 probes. Here the rows sit in Arrow tables sorted by key, so a lookup is a binary search in a sorted array
and a slice: microseconds, no query, no lock, and nothing for 20 concurrent users to queue behind.
"""

from __future__ import annotations

from typing import Any

from joinedup.warehouse.sorted_rows import SortedRows


def person_records(con: Any, columns: tuple[str, ...]) -> SortedRows:
    """Every linked record (these columns of person_record, with its person_id), by person_id."""
    cols = ", ".join(f"pr.{c}" for c in columns)
    return SortedRows(con.sql(f"""SELECT lp.person_id, {cols} FROM person_record pr
                                  JOIN link_person lp USING (source, source_record_id)
                                  ORDER BY lp.person_id""").to_arrow_table(), "person_id")


def linked_pairs(con: Any) -> SortedRows:
    """The pairs the last run linked, with why, by the first record's source_record_id."""
    return SortedRows(con.sql("""SELECT source_l, source_record_id_l, source_r, source_record_id_r, match_probability,
                                        explanation FROM link_pair WHERE linked
                                 ORDER BY source_record_id_l""").to_arrow_table(), "source_record_id_l")
