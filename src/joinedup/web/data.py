"""The data behind every page and API route, already scoped to the principal by joinedup.web.access."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import threading
from typing import Any

from joinedup.errors import UserError
from joinedup.web.access import Principal, person_visible, record_view
from joinedup.warehouse.sql import literal

# the later stages write tables named with their prefix (network_group, network_member, risk_..., justice_...,
# stats_...); a page shows its stage as landed once any such table is in the warehouse
STAGES: dict[str, dict[str, Any]] = {
    "groups": {"title": "Groups", "stage": "network", "prefix": "network_",
               "what": "groups of associated people: graph, timeline, members and victims"},
    "risk": {"title": "Risk review queue", "stage": "risk and chronology", "prefix": "risk_",
             "what": "children ranked for review with the reasons behind each flag, and review decisions"},
    "justice": {"title": "Justice", "stage": "justice", "prefix": "justice_",
                "what": "downgraded crimes, disregarded victims and cases to reopen"},
    # the stats stage writes files, not tables: the web app makes them from any linked warehouse (data_stats.py)
    "statistics": {"title": "Statistics", "stage": "statistics", "prefix": "link_",
                   "what": "national statistics with disclosure control and the publication files to download"},
}

# what a page may show of a record; never ethnicity, nationality or religion (not copied, not shown)
RECORD_COLUMNS = ("source", "source_record_id", "agency_type", "org_code", "role", "sex", "forename", "middle_names",
                  "surname", "dob", "address", "postcode")
_AGE_BANDS = ((0, 10, "0-9"), (10, 14, "10-13"), (14, 16, "14-15"), (16, 18, "16-17"), (18, 25, "18-24"), (25, 200, "25+"))
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POSTCODE = re.compile(r"^[A-Za-z0-9 ]{2,8}$")
_NAME = re.compile(r"^[^\x00-\x1f<>{}\[\]\\;=@|]{1,60}$")


_lit = literal  # values come from the warehouse or a validated person id


def age_band(dob: dt.date | None, today: dt.date | None = None) -> str | None:
    """A coarse age band instead of a date of birth (pseudonymised views)."""
    if dob is None:
        return None
    today = today or dt.date.today()
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    return next((label for lo, hi, label in _AGE_BANDS if lo <= age < hi), None)


class Warehouse:
    """A read-only view of the linked warehouse for the web application."""

    def __init__(self, db: str, secret: bytes, as_of: dt.date | None = None) -> None:
        import duckdb

        self.db = db
        self.as_of = as_of
        self._schema = "w"  # where unqualified table names resolve: the file, or its as-of copy in memory
        self._secret = secret
        # the warehouse is attached read-only (so nothing read from it below can change while the server runs)
        self._con = duckdb.connect(":memory:")
        try:
            self._con.execute(f"ATTACH {_lit(db)} AS w (READ_ONLY)")
        except duckdb.Error as e:
            self._con.close()
            raise UserError(f"--db {db}: cannot open the warehouse ({str(e).splitlines()[0][:160]})") from None
        self._con.execute("USE w")
        self._lock = threading.Lock()
        self._dash: dict[str, dict[str, Any]] = {}
        if not self.has_table("link_person") or self.count("link_person") == 0:
            self._con.close()
            raise UserError(f"--db {db}: this warehouse was never linked: run joinedup link --db {db} first")
        if as_of is not None:  # every page reads the warehouse as known on that date (joinedup.warehouse.asof)
            from joinedup.warehouse.snapshot import attach_as_of

            try:
                attach_as_of(self._con, as_of)
            except BaseException:
                self._con.close()
                raise
            self._schema = "memory"
        # the lookups a page makes by key are held in memory, sorted by key (web/search_index.py), and the linkage
        # model's blocking and scoring too (link/search_index.py): a search or a person page then runs no query
        from joinedup.link.search_index import SearchIndex
        from joinedup.web.search_index import linked_pairs, person_records

        # other pages' SQL joins against these in-memory copies (risk queue scoping); the lookups below do not use them
        for sql in (
            "CREATE TABLE memory.main.web_person AS SELECT person_id, source, source_record_id FROM link_person",
            "CREATE INDEX ix_web_person ON memory.main.web_person(person_id)",
            f"CREATE TABLE memory.main.web_record AS SELECT {', '.join(RECORD_COLUMNS)} FROM person_record",
            "CREATE INDEX ix_web_record ON memory.main.web_record(source_record_id)",
        ):
            self._con.execute(sql)
        self._records = person_records(self._con, RECORD_COLUMNS)
        self._pairs = linked_pairs(self._con)
        self._stages: dict[str, dict[str, Any]] = {}
        # None when the saved model holds SQL the index cannot run in Python: search then uses the SQL path
        # a copy of its arrays is kept beside the warehouse file (read back in ~1 s, not built in ~20 s, at 1M records);
        # not for a warehouse as known on a date, and not with JOINEDUP_WEB_SAVE_INDEX=0
        from joinedup.link.search_index import SAVED_SUFFIX

        save = as_of is None and os.environ.get("JOINEDUP_WEB_SAVE_INDEX", "1") != "0"
        self.index = SearchIndex.for_warehouse(self._con, saved=db + SAVED_SUFFIX if save else None)

    def close(self) -> None:
        """Let go of the warehouse file."""
        self._con.close()

    def cur(self):
        """A cursor for this thread (DuckDB cursors are cheap and independent), reading the warehouse by default."""
        with self._lock:
            c = self._con.cursor()
        c.execute(f"USE {self._schema}")
        return c

    def has_table(self, name: str) -> bool:
        """True when the warehouse holds this table."""
        return bool(self.cur().execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'w' "
                                       "AND table_name = ?", [name]).fetchone()[0])

    def count(self, table: str) -> int:
        """Rows in a table that exists."""
        return self.cur().execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def pseudonym(self, source: str, rid: str) -> str:
        """A stable, keyed pseudonym for a record: no one without the server's key can turn it back."""
        return hmac.new(self._secret, f"{source}\x1f{rid}".encode(), hashlib.sha256).hexdigest()[:16]

    # --- records as a principal sees them -----------------------------------------------------------------
    def _records_of(self, person_ids: list[str]) -> list[dict[str, Any]]:
        """The linked records of these persons (with their person_id), from memory."""
        if not person_ids:
            return []
        return sorted(self._records.rows_for(person_ids), key=lambda d: (d["org_code"], d["source_record_id"]))

    def shape(self, p: Principal, rec: dict[str, Any], orgs: set[str]) -> dict[str, Any] | None:
        """One record as this principal may see it (never more)."""
        view = record_view(p, rec["org_code"], orgs)
        if view is None:
            return None
        base = {"view": view, "agency_type": rec["agency_type"], "org_code": rec["org_code"]}
        if view == "pointer":
            return base | {"pointer": f"Known to {rec['org_code']} ({rec['agency_type']})"}
        if view == "pseudonymised":
            return base | {"ref": self.pseudonym(rec["source"], rec["source_record_id"]), "role": rec["role"],
                           "sex": rec["sex"], "age_band": age_band(rec["dob"])}
        return base | {"ref": self.pseudonym(rec["source"], rec["source_record_id"]), "source": rec["source"],
                       "source_record_id": rec["source_record_id"], "role": rec["role"], "sex": rec["sex"],
                       "forename": rec["forename"], "middle_names": rec["middle_names"], "surname": rec["surname"],
                       "dob": rec["dob"].isoformat() if rec["dob"] else None, "address": rec["address"],
                       "postcode": rec["postcode"]}

    # --- pages ------------------------------------------------------------------------------------------------
    def dashboard(self, p: Principal) -> dict[str, Any]:
        """National and own-organisation figures and data completeness (aggregates only; computed once per org)."""
        if p.org not in self._dash:  # the warehouse is read-only while served: the figures cannot change
            self._dash[p.org] = self._dashboard(p)
        return self._dash[p.org]

    def _dashboard(self, p: Principal) -> dict[str, Any]:
        cur = self.cur()
        run = cur.execute("SELECT run_id, finished_at, records, persons, links FROM link_run ORDER BY finished_at DESC LIMIT 1").fetchone()
        by_type = cur.execute("""SELECT agency_type, count(*) AS records, count(DISTINCT org_code) AS organisations,
                                        round(100.0 * count(dob) / count(*), 1) AS dob_pct,
                                        round(100.0 * count(postcode) / count(*), 1) AS postcode_pct,
                                        round(100.0 * count(nhs_number) / count(*), 1) AS nhs_number_pct
                                 FROM person_record GROUP BY 1 ORDER BY 1""").fetchall()
        own = cur.execute("""SELECT count(*), count(DISTINCT lp.person_id) FROM person_record pr
                             JOIN link_person lp USING (source, source_record_id) WHERE pr.org_code = ?""", [p.org]).fetchone()
        shared = cur.execute("""SELECT count(*) FROM (SELECT lp.person_id FROM link_person lp JOIN person_record pr USING (source, source_record_id)
                                GROUP BY 1 HAVING count(DISTINCT pr.org_code) > 1 AND bool_or(pr.org_code = ?))""", [p.org]).fetchone()[0]
        return {
            "national": {"persons": cur.execute("SELECT count(DISTINCT person_id) FROM link_person").fetchone()[0],
                         "records": cur.execute("SELECT count(*) FROM person_record").fetchone()[0],
                         # as of a date, the run's own counts would count records delivered after it: left out
                         "link_run": {"run_id": run[0], "finished_at": run[1].strftime("%Y-%m-%d %H:%M UTC") if run[1] else None,
                                      **({"records": run[2], "persons": run[3], "links": run[4]} if self.as_of is None else {})}
                         if run else None},
            "own_organisation": {"org": p.org, "records": own[0], "persons": own[1], "persons_known_elsewhere_too": shared},
            "completeness": [{"agency_type": r[0], "records": r[1], "organisations": r[2], "dob_pct": r[3],
                              "postcode_pct": r[4], "nhs_number_pct": r[5]} for r in by_type],
            "stages": {k: self.stage(k)["landed"] for k in STAGES},
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    def search(self, p: Principal, *, forename: str | None, surname: str | None, dob: str | None,
               postcode: str | None, limit: int = 20) -> dict[str, Any]:
        """Persons who may be the one described, best first, scoped (uses the linkage model's own scoring)."""
        from joinedup.link import match_record

        fields = {k: (v or "").strip() or None for k, v in
                  (("forename", forename), ("surname", surname), ("dob", dob), ("postcode", postcode))}
        errors = validate_search(fields)
        if errors:
            raise SearchInputError(errors)
        try:
            hits = match_record(self.db, con=None if self.index else self.cur(), index=self.index,
                                limit=limit * 3, min_probability=0.05,
                                **{k: (v.upper() if k != "dob" else v) for k, v in fields.items() if v})
        except ValueError as e:
            raise SearchInputError({"search": str(e)}) from None
        recs = self._records_of([h["person_id"] for h in hits])
        by_person: dict[str, list[dict[str, Any]]] = {}
        for r in recs:
            by_person.setdefault(r["person_id"], []).append(r)
        out = []
        for h in hits:
            rs = by_person.get(h["person_id"], [])
            orgs = {r["org_code"] for r in rs}
            if not person_visible(p, orgs).allowed:
                continue
            shaped = [x for x in (self.shape(p, r, orgs) for r in rs) if x]
            out.append({"person_id": h["person_id"], "match_probability": round(float(h["match_probability"]), 4),
                        "why": {k: v.get("level") for k, v in h["explanation"].items()},
                        "records": shaped})
            if len(out) >= limit:
                break
        return {"query_fields": sorted(k for k, v in fields.items() if v), "results": out}

    def person_orgs(self, person_id: str) -> set[str]:
        """The organisations holding records of this person (empty when unknown)."""
        return {r["org_code"] for r in self._records_of([person_id])}

    def person(self, p: Principal, person_id: str) -> dict[str, Any]:
        """A person's linked records and why they were linked, scoped; the other stages' sections as seams."""
        recs = self._records_of([person_id])
        orgs = {r["org_code"] for r in recs}
        shaped = [x for x in (self.shape(p, r, orgs) for r in recs) if x]
        ref = {(r["source"], r["source_record_id"]): self.pseudonym(r["source"], r["source_record_id"]) for r in recs}
        pairs = []
        if recs:
            pairs = [(x["source_l"], x["source_record_id_l"], x["source_r"], x["source_record_id_r"], x["match_probability"],
                      x["explanation"]) for x in self._pairs.rows_for(r["source_record_id"] for r in recs)]
            pairs = sorted(pairs, key=lambda x: -x[4])[:200]
        visible_refs = {x.get("ref") for x in shaped}
        why = []
        for sl, rl, sr, rr, prob, expl in pairs:
            a, b = ref.get((sl, rl)), ref.get((sr, rr))
            if a is None or b is None:
                continue
            e = json.loads(expl or "{}")
            why.append({"record_a": a if a in visible_refs else None, "record_b": b if b in visible_refs else None,
                        "org_a": sl.split("-")[0], "org_b": sr.split("-")[0],
                        "match_probability": round(float(prob), 4),
                        "comparisons": [{"field": k, "level": v.get("level"), "weight": v.get("weight")} for k, v in e.items()]})
        return {"person_id": person_id, "organisations": sorted(orgs), "records": shaped, "why_linked": why,
                "sections": {k: self.stage(k) for k in ("risk", "groups", "justice")}}

    def review_queue(self, p: Principal, threshold: float, limit: int = 50,
                     judged: set[tuple[tuple[str, str], tuple[str, str]]] | None = None) -> list[dict[str, Any]]:
        """Pairs the model was least sure of (nearest the link threshold), not yet judged, scoped."""
        rows = self.cur().execute(
            """SELECT source_l, source_record_id_l, source_r, source_record_id_r, match_probability, linked, explanation
               FROM link_pair WHERE match_probability BETWEEN 0.2 AND 0.995
               ORDER BY abs(match_probability - ?), source_l, source_record_id_l, source_r, source_record_id_r
               LIMIT 2000""", [threshold]).fetchall()
        recs = {}
        keys = list({(r[0], r[1]) for r in rows} | {(r[2], r[3]) for r in rows})
        if keys:
            for r in self.cur().execute(
                    """SELECT source, source_record_id, agency_type, org_code, role, sex, forename, middle_names, surname, dob,
                              address, postcode FROM person_record WHERE (source, source_record_id) IN
                              (SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))""",
                    [[k[0] for k in keys], [k[1] for k in keys]]).fetchall():
                cols = ("source", "source_record_id", "agency_type", "org_code", "role", "sex", "forename", "middle_names",
                        "surname", "dob", "address", "postcode")
                recs[(r[0], r[1])] = dict(zip(cols, r))
        out = []
        for sl, rl, sr, rr, prob, linked, expl in rows:
            a, b = (sl, rl), (sr, rr)
            if judged and (min(a, b), max(a, b)) in judged:
                continue
            ra, rb = recs.get(a), recs.get(b)
            if not ra or not rb:
                continue
            if p.role == "investigator" and not (ra["org_code"] == p.org and rb["org_code"] == p.org):
                continue  # an investigator judges only pairs they can see in full
            orgs = {ra["org_code"], rb["org_code"]}
            out.append({"token": self.pair_token(a, b), "match_probability": round(float(prob), 4), "linked": bool(linked),
                        "record_a": self.shape(p, ra, orgs), "record_b": self.shape(p, rb, orgs),
                        "comparisons": [{"field": k, "level": v.get("level"), "weight": v.get("weight")}
                                        for k, v in json.loads(expl or "{}").items()]})
            if len(out) >= limit:
                break
        return out

    def pair_token(self, a: tuple[str, str], b: tuple[str, str]) -> str:
        """An opaque, keyed token for a record pair (the review form names pairs without record ids)."""
        return hmac.new(self._secret, f"{a[0]}\x1f{a[1]}\x1e{b[0]}\x1f{b[1]}".encode(), hashlib.sha256).hexdigest()[:32]

    def resolve_pair(self, p: Principal, token: str, threshold: float) -> tuple[tuple[str, str], tuple[str, str]] | None:
        """The record pair behind a review token, if this principal's queue holds it."""
        rows = self.cur().execute(
            """SELECT source_l, source_record_id_l, source_r, source_record_id_r FROM link_pair
               WHERE match_probability BETWEEN 0.2 AND 0.995""").fetchall()
        for sl, rl, sr, rr in rows:
            if hmac.compare_digest(self.pair_token((sl, rl), (sr, rr)), token):
                if p.role == "investigator":
                    orgs = {r[0] for r in self.cur().execute(
                        "SELECT org_code FROM person_record WHERE (source, source_record_id) IN ((?, ?), (?, ?))",
                        [sl, rl, sr, rr]).fetchall()}
                    if orgs != {p.org}:
                        return None
                return (sl, rl), (sr, rr)
        return None

    def export_rows(self, p: Principal, person_id: str) -> list[dict[str, Any]]:
        """The person's records as this principal may see them, flat for a CSV file."""
        return self.person(p, person_id)["records"]

    def stage(self, key: str) -> dict[str, Any]:
        """Whether a later stage has run in this warehouse (rows in tables with its prefix) and their row counts."""
        if key not in self._stages:  # the warehouse is attached read-only while served: this cannot change
            self._stages[key] = self._stage(key)
        return dict(self._stages[key])

    def _stage(self, key: str) -> dict[str, Any]:
        spec = STAGES[key]
        names = [r[0] for r in self.cur().execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'w' AND starts_with(table_name, ?) "
            "ORDER BY 1", [spec["prefix"]]).fetchall()]
        present = {t: self.count(t) for t in names}
        from joinedup.web.stage_runs import stage_landed

        return {"key": key, "title": spec["title"], "stage": spec["stage"], "what": spec["what"],
                # the migrations create every stage's tables: a stage has run once they hold rows (and, served as of a
                # date, once a run on data as of that date or before is stored: stage_runs.py)
                "landed": any(present.values()) and stage_landed(self, key), "tables": present}


class SearchInputError(UserError):
    """Search input that cannot be used; carries a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def validate_search(fields: dict[str, str | None]) -> dict[str, str]:
    """Messages for unusable search fields (empty when all is well)."""
    errors: dict[str, str] = {}
    if not fields.get("surname") and not fields.get("forename"):
        errors["surname"] = "Enter a surname or a first name"
    for k in ("forename", "surname"):
        v = fields.get(k)
        if v and not _NAME.match(v):
            errors[k] = "Names can only hold letters, spaces, hyphens and apostrophes (up to 60 characters)"
    d = fields.get("dob")
    if d:
        try:
            if not _DOB.match(d):
                raise ValueError
            if dt.date.fromisoformat(d) > dt.date.today():
                errors["dob"] = "Date of birth must be in the past"
        except ValueError:
            errors["dob"] = "Enter date of birth as YYYY-MM-DD, for example 2009-04-17"
    pc = fields.get("postcode")
    if pc and not _POSTCODE.match(pc):
        errors["postcode"] = "Enter a postcode such as BD1 8HW"
    return errors


def valid_person_id(person_id: str) -> bool:
    """True when the text has the shape of a person id (checked before it reaches SQL)."""
    return bool(_ID.match(person_id or ""))
