"""One person's chronology from in-memory sorted lookups: the same entries as build.load_entries, no query.

For a server that shows many persons' chronologies from a warehouse that does not change while it runs (the web
application). build.chronology plans about a dozen small DuckDB queries a person (~100 ms at a million records);
here the tables the chronology reads are copied once into Arrow tables sorted by the key each is found by, and a
person's rows are a binary search and a slice away (well under a millisecond). The joins, the outcome and crime
columns, the delivered date and the order are build.load_entries' own, written in Python; tests/chronology
compares the two on every person of a world.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from joinedup.chronology.build import _is_concern, _summary, code_labels, delivered_sql, who_knew
from joinedup.warehouse.sorted_rows import SortedRows

# the columns each lookup holds (a narrow copy of each table) and the key its rows are found by
_TABLES = {
    "link_person": ("person_id", "source, source_record_id, person_id, match_probability"),
    "person_record": ("source_record_id", "source, source_record_id, agency_type, org_code"),
    "event": ("person_record_id", "source, source_record_id, person_record_id, event_type, start_date, end_date, "
                                  "codes, location, with_whom, referral_source, detail, load_id"),
    "crime_person": ("person_record_id", "source, crime_record_id, person_record_id, role"),
    "crime": ("source_record_id", "source, source_record_id, offence_code, cse_flag, date_committed, date_reported, "
                                  "location_postcode, load_id"),
    "outcome": ("crime_record_id", "source, source_record_id, crime_record_id, person_record_id, outcome_type, "
                                   "outcome_date, charged_offence, court_result, load_id"),
}
# the entry's keys in build.load_entries' order (its SELECT list, then delivered; load_id is dropped)
_ENTRY_KEYS = ("person_id", "source", "person_record_id", "agency_type", "org_code", "match_probability", "kind",
               "record_id", "type", "happened", "recorded", "end_date", "codes", "location", "with_whom",
               "referral_source", "detail", "role", "offence_code", "cse_flag", "outcome_type", "charged_offence",
               "court_result", "delivered")


def _sort_key(e: dict[str, Any]) -> tuple:
    # ORDER BY happened NULLS LAST, recorded, source, record_id (DuckDB's default: ascending, nulls last)
    return (e["happened"] is None, e["happened"] or date.min, e["recorded"] is None, e["recorded"] or date.min,
            e["source"] is None, e["source"] or "", e["record_id"] is None, e["record_id"] or "")


class ChronologyLookup:
    """The chronology's tables, sorted by key in memory, read once from a connection (`catalog.main`, or the
    connection's default schema when catalog is None: e.g. a warehouse as known on a date, warehouse/snapshot.py).

    as_of: the date the tables were cut to, if any (an event's end after it is not shown, as in build.load_entries).
    """

    def __init__(self, con: Any, catalog: str | None = None, as_of: date | None = None) -> None:
        self.as_of = as_of
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                           + (f" WHERE table_catalog = '{catalog}'" if catalog else "")).fetchall()}
        prefix = f"{catalog}.main." if catalog else ""
        self.present = {t for t in _TABLES if t in names}
        self._rows: dict[str, SortedRows] = {}
        for t in self.present:
            key, cols = _TABLES[t]
            self._rows[t] = SortedRows(con.sql(f"SELECT {cols} FROM {prefix}{t} ORDER BY {key}").to_arrow_table(), key)
        self._delivered: dict[str, date | None] = {}
        if "load_batch" in names:
            if catalog:
                con.execute(f"USE {catalog}")
            dl = delivered_sql(con)
            self._delivered = dict(con.execute(f"SELECT lb.load_id, {dl} FROM {prefix}load_batch lb").fetchall())

    def _find(self, table: str, keys) -> list[dict[str, Any]]:
        return self._rows[table].rows_for(keys) if table in self._rows else []

    def known(self, person_id: str) -> bool:
        """True when linkage knows this person."""
        return bool(self._find("link_person", [person_id]))

    def entries(self, person_id: str) -> list[dict[str, Any]]:
        """The person's chronology entries, oldest first: build.load_entries(con, as_of, [person_id])."""
        lps = self._find("link_person", [person_id])
        if not lps or "person_record" not in self._rows:
            return []
        prs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self._find("person_record", {x["source_record_id"] for x in lps}):
            prs.setdefault((r["source"], r["source_record_id"]), []).append(r)
        persons = [{"person_id": lp["person_id"], "match_probability": lp["match_probability"], "source": r["source"],
                    "source_record_id": r["source_record_id"], "agency_type": r["agency_type"], "org_code": r["org_code"]}
                   for lp in lps for r in prs.get((lp["source"], lp["source_record_id"]), [])]
        by_record: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for p in persons:
            by_record.setdefault((p["source"], p["source_record_id"]), []).append(p)
        rids = {p["source_record_id"] for p in persons}
        out: list[dict[str, Any]] = []

        def add(p: dict[str, Any], kind: str, **x: Any) -> None:
            e = {"person_id": p["person_id"], "source": p["source"], "person_record_id": p["source_record_id"],
                 "agency_type": p["agency_type"], "org_code": p["org_code"], "match_probability": p["match_probability"],
                 "kind": kind} | x
            load_id = e.pop("load_id")
            e["delivered"] = self._delivered.get(load_id) if load_id is not None else None
            out.append({k: e[k] for k in _ENTRY_KEYS})

        cap = self.as_of
        for ev in self._find("event", rids):
            for p in by_record.get((ev["source"], ev["person_record_id"]), []):
                end = ev["end_date"]
                if cap is not None and not (end is not None and end <= cap):
                    end = None
                add(p, "event", record_id=ev["source_record_id"], type=ev["event_type"], happened=ev["start_date"],
                    recorded=ev["start_date"], end_date=end, codes=ev["codes"] if ev["codes"] is not None else [],
                    location=ev["location"], with_whom=ev["with_whom"], referral_source=ev["referral_source"],
                    detail=ev["detail"], role=None, offence_code=None, cse_flag=None, outcome_type=None,
                    charged_offence=None, court_result=None, load_id=ev["load_id"])
        links = [(c, p) for c in self._find("crime_person", rids)
                 for p in by_record.get((c["source"], c["person_record_id"]), [])]
        crimes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for k in self._find("crime", {c["crime_record_id"] for c, _ in links}):
            crimes.setdefault((k["source"], k["source_record_id"]), []).append(k)
        outcomes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for o in self._find("outcome", {c["crime_record_id"] for c, _ in links}):
            if o["outcome_date"] is not None:
                outcomes.setdefault((o["source"], o["crime_record_id"]), []).append(o)
        for c, p in links:
            for k in crimes.get((c["source"], c["crime_record_id"]), []):
                add(p, "crime", record_id=k["source_record_id"], type="CRIME",
                    happened=k["date_committed"] if k["date_committed"] is not None else k["date_reported"],
                    recorded=k["date_reported"], end_date=None, codes=[], location=k["location_postcode"],
                    with_whom=None, referral_source=None, detail=None, role=c["role"], offence_code=k["offence_code"],
                    cse_flag=k["cse_flag"], outcome_type=None, charged_offence=None, court_result=None,
                    load_id=k["load_id"])
                for o in outcomes.get((c["source"], c["crime_record_id"]), []):
                    other = o["person_record_id"] is not None and o["person_record_id"] != p["source_record_id"]
                    add(p, "outcome", record_id=o["source_record_id"], type="OUTCOME", happened=o["outcome_date"],
                        recorded=o["outcome_date"], end_date=None, codes=[], location=None, with_whom=None,
                        referral_source=None,
                        detail=f"crime {o['crime_record_id']}" + (" (outcome for another person on it)" if other else ""),
                        role=c["role"], offence_code=k["offence_code"], cse_flag=k["cse_flag"],
                        outcome_type=o["outcome_type"], charged_offence=o["charged_offence"],
                        court_result=o["court_result"], load_id=o["load_id"])
        out.sort(key=_sort_key)
        labels = code_labels()
        for e in out:
            e["summary"] = _summary(e, labels)
            e["concern"] = _is_concern(e)
        return out

    def chronology(self, person_id: str) -> dict[str, Any]:
        """The person's entries, who knew what when, and the missed chances (build.chronology's, without records)."""
        entries = self.entries(person_id)
        knowledge, missed = who_knew(entries)
        return {"person_id": person_id, "as_of": self.as_of, "entries": entries, "knowledge": knowledge,
                "missed_chances": missed}
