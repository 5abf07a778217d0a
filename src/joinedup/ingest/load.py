"""Load a folder of agency extracts into the warehouse: all or nothing, nothing lost, idempotent."""

from __future__ import annotations

import hashlib
import re
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from joinedup.errors import UserError
from joinedup.ingest.mapping import ExtractFile, discover, load_mappings
from joinedup.ingest.readers import EXTRA_COLUMN, count_lines, csv_delimiter, read_extract, repair_csv, scan_extract
from joinedup.ingest.standardise import FileSQL, lit, q
from joinedup.warehouse import connect

from joinedup.standard import standard_version

STANDARD_VERSION = standard_version()


class IngestError(UserError):
    """An ingest that could not run; the warehouse is left as it was."""


@dataclass
class FileResult:
    """What happened to one extract file."""

    file: str
    system: str
    table: str
    status: str  # loaded | skipped (already loaded)
    rows_read: int = 0
    rows_loaded: int = 0  # new + changed + unchanged + deleted
    rows_quarantined: int = 0
    field_issues: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0  # delta rows marking a record deleted
    rows_skipped: int = 0  # outside the standard's scope, by a skip rule
    records_withdrawn: int = 0  # records that left the current state (deleted, or absent from a full snapshot)
    extract_date: date | None = None
    skipped_by: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestSummary:
    """The outcome of one ingest run (printed by --json)."""

    load_id: str
    warehouse: str
    extracts: str
    standard_version: str
    files_total: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    rows_read: int = 0
    rows_loaded: int = 0  # new + changed + unchanged + deleted
    rows_quarantined: int = 0
    rows_skipped: int = 0
    field_issues: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_deleted: int = 0
    records_withdrawn: int = 0
    extract_date: date | None = None
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """True when every row read was loaded (new, changed, unchanged or a deletion), quarantined or skipped by a rule."""
        return (self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_skipped
                and self.rows_loaded == self.rows_new + self.rows_changed + self.rows_unchanged + self.rows_deleted)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        d = asdict(self)
        d["balanced"] = self.balanced
        return d


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hash_and_count(path)[0]


def hash_and_count(path: Path) -> tuple[str, int]:
    """Hex SHA-256 of a file's bytes, and its physical lines (counted in the same pass)."""
    h = hashlib.sha256()
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            n += chunk.count(b"\n")
            last = chunk[-1:]
    if n == 0:  # one line, or old Mac line ends (\r alone): counted again, rarely needed
        return h.hexdigest(), count_lines(path)
    return h.hexdigest(), n + (last != b"\n")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# Files are hashed, read and standardised by worker threads, each on its own DuckDB connection
# (a cursor), while the main connection loads the finished files inside the one transaction (see
# _Dispatcher for the order). One file's query is effectively single-threaded (a 100k-row file or
# table is one row group; the window numbering CSV rows streams), so files side by side are what
# put the second core to work. Each worker writes its file into a private in-memory database
# attached for that file alone: the transaction sees a database attached after it began (it takes
# its snapshot of a database the first time it reads it), but not a table created later in one it
# has already read.
_WORKERS = 2
# How far workers run ahead of the loader: files from the first not yet loaded, up to this many
# bytes of input (Parquet and XLSX count four times their size: they are compressed), and at least
# _AHEAD_MIN files whatever their size. This shapes the order of work, not memory: a worker's copy
# of a file lives until the transaction ends whenever it was made.
_AHEAD_BYTES = 64 << 20
_AHEAD_MIN = 3
_WORKER_NICENESS = 10
# Rows per row group written by the ingest. DuckDB's default (122,880) left each table's last,
# partial row group (about 280k rows at 1M people) to be compressed by COMMIT, after the workers
# had finished; with a quarter of that it is written while they run (COMMIT 0.27 s -> 0.06 s).
# The warehouse file is about 14% larger.
_ROW_GROUP_SIZE = 30_720


def _yield_to_loader() -> None:
    """Lower the calling worker thread's scheduling priority, where the system allows it (Linux).

    Only the loader can write into the transaction, so it is the critical path: with workers at
    a lower priority it gets a core whenever it has work, and workers use what is left. (With
    DuckDB on one thread a query runs on the thread that calls it.) Measured at 1M people:
    2.35 s -> 2.12 s, median of five (docs/ingest.md).
    """
    if not sys.platform.startswith("linux"):
        return  # elsewhere PRIO_PROCESS with a thread id would change the whole process
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + _WORKER_NICENESS))
    except (AttributeError, OSError):
        pass  # not permitted or not supported: workers simply share the cores evenly


def _weight(ef: ExtractFile) -> int:
    """Input bytes of a file, scaled to what it holds (Parquet and XLSX are compressed)."""
    try:
        size = ef.path.stat().st_size
    except OSError:
        return 0  # the worker's hash names the problem
    return size * (4 if ef.path.suffix.lower() in (".parquet", ".xlsx") else 1)


class _Dispatcher:
    """Hands files to worker threads, and finished files to the loader in an order that keeps results as if loaded one by one.

    Files filling the same table are loaded in file order (the first file wins a shared key; of two
    identical files the first is loaded), but a file of another table need not wait for them: the
    loader takes the first finished file whose table has no earlier file still to load, so it is
    rarely idle while a big file is being standardised. Workers take files within a window ahead of
    the first file not yet loaded: one worker the first not yet started (what the loader needs
    soon), the other the largest (big files take longest, so they start early).
    """

    def __init__(self, files: list[ExtractFile], task: Callable[[duckdb.DuckDBPyConnection, int], _Staged],
                 cursors: list[duckdb.DuckDBPyConnection]):
        self.weights = [_weight(ef) for ef in files]
        self.tables = [ef.spec.table for ef in files]
        self.n_tables = len(set(self.tables))
        self.results: list[Future[_Staged]] = [Future() for _ in files]
        self.cond = threading.Condition()
        self.unloaded = list(range(len(files)))  # in file order
        self.started: set[int] = set()
        self.running: dict[int, duckdb.DuckDBPyConnection] = {}
        self.stopped = False
        self.task = task
        self.threads = [
            threading.Thread(target=self._work, args=(cur, i == 0), name=f"joinedup-ingest-{i}", daemon=True)
            for i, cur in enumerate(cursors)
        ]
        for t in self.threads:
            t.start()

    def _choose(self, largest: bool) -> int | None:
        if not self.unloaded:
            return None
        lo, n = self.unloaded[0], len(self.weights)
        best, used = None, 0
        for k in range(lo, n):
            if k - lo >= _AHEAD_MIN and used + self.weights[k] > _AHEAD_BYTES:
                break
            used += self.weights[k]
            if k in self.started:
                continue
            if not largest:
                return k
            if best is None or self.weights[k] > self.weights[best]:
                best = k
        return best

    def _work(self, cur: duckdb.DuckDBPyConnection, largest: bool) -> None:
        _yield_to_loader()
        while True:
            with self.cond:
                while True:
                    if self.stopped or len(self.started) == len(self.weights):
                        return
                    k = self._choose(largest)
                    if k is not None:
                        break
                    self.cond.wait()
                self.started.add(k)
                self.running[k] = cur
            fut = self.results[k]
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(self.task(cur, k))
                except BaseException as e:  # noqa: BLE001 - _stage keeps its errors; this is a bug
                    fut.set_exception(e)
            with self.cond:
                self.running.pop(k, None)
                self.cond.notify_all()

    def next_ready(self) -> int:
        """The first finished file whose table has no earlier file left to load (waits for one)."""
        with self.cond:
            while True:
                waiting: set[str] = set()
                for k in self.unloaded:
                    table = self.tables[k]
                    if table in waiting:
                        continue
                    if self.results[k].done():
                        return k
                    waiting.add(table)
                    if len(waiting) == self.n_tables:
                        break  # every table waits for an unfinished file: nothing later can go first
                self.cond.wait()

    def first_error(self, k: int, loaded_keys: set[tuple[str, str]]) -> BaseException | None:
        """The error a one-by-one load would have raised first, among files up to k (waits for them to finish)."""
        keys = set(loaded_keys)
        for j in range(k + 1):
            if j not in self.unloaded:
                continue
            st = self.results[j].result()
            if st.sha256 is None:
                return st.error or IngestError("the file cannot be read")
            key = (st.sha256, self.tables[j])
            if key in keys:
                continue  # would have been skipped, unread
            if st.error is not None:
                return st.error
            keys.add(key)
        return None

    def loaded(self, k: int) -> None:
        """File k is loaded (or skipped): workers may run further ahead."""
        with self.cond:
            self.unloaded.remove(k)
            self.cond.notify_all()

    def stop(self) -> None:
        """Start nothing new, interrupt running queries, wait for the workers."""
        with self.cond:
            self.stopped = True
            for cur in self.running.values():
                cur.interrupt()
            self.cond.notify_all()
        for t in self.threads:
            t.join()
        for f in self.results:
            f.cancel()


@dataclass
class _Staged:
    """One file hashed, read, standardised and checked for repeated keys by a worker."""

    sha256: str | None = None
    db: str | None = None  # the private database holding table `staged` (None when not read)
    out_columns: list[str] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)  # columns with one value for the file (SQL)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # rows, with errors, warnings, skipped, deletions
    error: BaseException | None = None
    repaired: Path | None = None  # the repaired copy read instead of a CSV with unclosed quotes
    notes: list[tuple[int, str]] = field(default_factory=list)  # lines decoded as Windows-1252 in a UTF-8 file


def _stage(
    cur: duckdb.DuckDBPyConnection, ef: ExtractFile, db: str, n: int, today: date,
    seen: Callable[[], set[tuple[str, str]]], tmpdir: Path,
) -> _Staged:
    """Worker: hash one file and, unless an earlier run loaded it, standardise it into `db`.staged.

    The file is read once, by the standardising query itself (no raw copy); that query keeps the
    raw values, as JSON, only for rows with errors. Keys repeated inside the file are marked here;
    only when there are some is the file read again, for their raw values. An error is kept in the
    result, for the loader to raise when it reaches this file: errors surface in file order.
    """
    st = _Staged()
    try:
        st.sha256, lines = hash_and_count(ef.path)
        if (st.sha256, ef.spec.table) in seen():  # waits until the warehouse is open
            return st  # loaded by an earlier run: skipped without reading it
        cur.execute(f"ATTACH ':memory:' AS {db}")
        st.db = db
        cur.execute(f"USE {db}")  # unqualified tables below live in the private database
        repaired: tuple[Path, dict[str, tuple[int, str]]] | None = None
        while True:
            scan = scan_extract(cur, ef, f"raw_{n}", tmpdir, repaired)
            fsql = FileSQL(ef.mapping, ef.spec, ef.source, scan.relation, scan.columns, today, file_name=ef.path.name,
                           empty_cells=True, row_width=EXTRA_COLUMN if scan.kind == "csv" else None)
            st.out_columns, st.constants = fsql.out_columns, fsql.constants
            try:
                cur.execute(f"CREATE TABLE staged AS {fsql.sql(scan.columns)}")
            except duckdb.Error as e:
                mapped = scan.read_error(e)
                if mapped is not None:
                    raise mapped from None
                # A bug, not bad input: still one line, without the engine's error class in it.
                msg = re.sub(r"^[A-Za-z ]*Error: ", "", str(e).splitlines()[0])
                raise IngestError(f"{ef.label}: standardisation failed ({msg})") from None
            st.rejects = scan.finish(cur, "staged")
            if scan.kind != "csv" or scan.path is None:
                break
            # Conservation counts the file's physical lines: a quote that is never closed makes the
            # reader swallow the lines after it into one value. When the rows read fall short of
            # the lines, the file is repaired (each broken line alone replaced) and read again.
            parsed = cur.execute("SELECT count(*) FROM staged").fetchall()[0][0] + len(st.rejects)
            if repaired is not None:
                # The repaired copy holds exactly the rows the repair counted (values with line
                # breaks in them are one row each).
                if parsed == expected:
                    break
                raise IngestError(f"{ef.label}: {expected} rows but {parsed} could be read "
                                  "(quoting broken beyond repair); nothing was loaded")
            if scan.path != ef.path:  # a transcoded copy
                lines = count_lines(scan.path)
            if parsed == lines - 1:
                break
            expected, broken = repair_csv(scan.path, csv_delimiter(ef), len(scan.columns),
                                          tmpdir / "repaired" / ef.path.name)
            if expected == parsed:
                break  # blank lines or values with line breaks: nothing was lost
            repaired = (tmpdir / "repaired" / ef.path.name, broken)
            cur.execute("DROP TABLE staged")
        st.repaired = repaired[0] if repaired else None
        st.notes = scan.notes
        if scan.kind == "table":
            cur.execute(f"DROP TABLE {scan.name}")
        # A key repeated inside the file: the first occurrence stays, the repeats are quarantined.
        # One scan counts the rows and tells whether any key repeats (usually none does).
        *counts, repeats = cur.execute(
            f"{_COUNTS}, count(source_record_id) - count(DISTINCT source_record_id) FROM staged"
        ).fetchall()[0]
        st.counts = tuple(int(c) for c in counts)  # type: ignore[assignment]
        if repeats:
            cur.execute(
                "CREATE TABLE dup AS SELECT source_record_id AS k, min(_row) AS first FROM staged "
                "WHERE source_record_id IS NOT NULL AND _skip IS NULL GROUP BY 1 HAVING count(*) > 1"
            )
            if ef.spec.repeated_keys == "skip":
                # A wide file repeats a record on every row that mentions it (a person on each case):
                # the first row stands for the record, the repeats are counted as skipped.
                cur.execute(
                    f"UPDATE staged SET _skip = {lit(REPEAT_RULE)}, _errors = [], _warnings = [] FROM dup d "
                    "WHERE source_record_id = d.k AND _row <> d.first AND _skip IS NULL"
                )
            else:
                cur.execute(
                    "UPDATE staged SET _errors = list_append(_errors, {'field': 'source_record_id', 'value': source_record_id, "
                    "'reason': 'source record id ''' || source_record_id || ''' appears more than once in this file (first at row ' "
                    "|| CAST(d.first AS VARCHAR) || ')'}) FROM dup d WHERE source_record_id = d.k AND _row <> d.first "
                    "AND _skip IS NULL"
                )
            cur.execute("DROP TABLE dup")
            _fill_raw(cur, ef, "staged", f"raw_{n}_again", st.repaired)
            st.counts = _counts(cur, "staged")
    except BaseException as e:  # noqa: BLE001 - handed to the loader, which raises it in file order
        st.error = e
    return st


_COUNTS = (
    "SELECT count(*), count(*) FILTER (WHERE len(_errors) > 0), "
    "coalesce(sum(len(_warnings)) FILTER (WHERE len(_errors) = 0), 0), "
    "count(*) FILTER (WHERE _skip IS NOT NULL), count(*) FILTER (WHERE _deleted AND len(_errors) = 0)"
)
# A standardised row that goes into its table (not quarantined, skipped by a rule, or a deletion).
_LOADABLE = "len(_errors) = 0 AND _skip IS NULL AND NOT _deleted"
_BOOKKEEPING = ("load_id", "file", "row_number", "loaded_at")
REPEAT_RULE = "repeated key (the first row for it is loaded; repeated_keys: skip)"


def _counts(con: duckdb.DuckDBPyConnection, staged: str) -> tuple[int, int, int, int, int]:
    """(rows, rows with errors, warnings on loadable rows, rows skipped, deletions) of a standardised file."""
    rows, bad, issues, skipped, deleted = con.execute(f"{_COUNTS} FROM {staged}").fetchall()[0]
    return int(rows), int(bad), int(issues), int(skipped), int(deleted)


def _fill_raw(con: duckdb.DuckDBPyConnection, ef: ExtractFile, staged: str, raw_name: str,
              repaired: Path | None = None) -> None:
    """Raw values for rows that gained an error after the standardising query: read the file again (same row numbers)."""
    if not con.execute(f"SELECT count(*) FROM {staged} WHERE _raw IS NULL AND len(_errors) > 0").fetchall()[0][0]:
        return
    raw = read_extract(con, ef, raw_name, repaired)
    raw_cols = ", ".join(f"{lit(c)}: r.{q(c)}" for c in raw.columns)
    con.execute(
        f"UPDATE {staged} SET _raw = CAST(to_json({{{raw_cols}}}) AS VARCHAR) FROM {raw_name} r "
        f"WHERE r._row = {staged}._row AND {staged}._raw IS NULL AND len({staged}._errors) > 0"
    )
    con.execute(f"DROP TABLE {raw_name}")


def _retire(con: duckdb.DuckDBPyConnection, target: str, source: str, keys_sql: str, valid_to: date,
            withdrawn: bool = False) -> int:
    """Move the current rows of `source` whose key is in keys_sql to <target>_history, valid until valid_to; how many.

    withdrawn: the records leave the current state (not replaced by a new version): they are noted
    in the temporary table retired_now, so rows that refer to them can be noted too.
    """
    # The keys are found once (the query may scan the table) and used twice: to copy, then to delete.
    con.execute(f"CREATE OR REPLACE TEMP TABLE retire_keys AS SELECT DISTINCT k FROM ({keys_sql}) x(k)")
    where = f"t.source = {lit(source)} AND t.source_record_id IN (SELECT k FROM retire_keys)"
    if withdrawn:
        con.execute(f"INSERT INTO retired_now SELECT {lit(target)}, t.source, t.source_record_id, DATE {lit(valid_to.isoformat())} "
                    f"FROM {target} t WHERE {where}")
    moved = con.execute(
        f"INSERT INTO {target}_history BY NAME SELECT t.*, coalesce(f.extract_date, CAST(b.started_at AS DATE)) AS valid_from, "
        f"DATE {lit(valid_to.isoformat())} AS valid_to FROM {target} t "
        f"LEFT JOIN load_file f ON f.load_id = t.load_id AND f.file = t.file AND f.table_name = {lit(target)} "
        f"LEFT JOIN load_batch b ON b.load_id = t.load_id WHERE {where}"
    ).fetchall()[0][0]
    if moved:
        con.execute(f"DELETE FROM {target} t WHERE {where}")
    con.execute("DROP TABLE retire_keys")
    return int(moved)


def _load_staged(con: duckdb.DuckDBPyConnection, ef: ExtractFile, st: _Staged, load_id: str, n: int, now: datetime,
                 sources: dict[str, set[str]], same_delivery: list[str]) -> FileResult:
    """Loader: apply one standardised file to its table (new, changed, unchanged, deleted), quarantine and
    field_issue, in the caller's transaction.

    sources: the sources each target table holds so far (filled in here as tables are met and loaded).
    same_delivery: labels of files of this load already applied to this table for the same source and
    delivered date: a key they hold is a repeat within one delivery, quarantined as before.
    """
    target = ef.spec.table
    staged = f"{st.db}.staged"
    delivered = ef.extract_date or now.date()
    counts = st.counts
    if target not in sources:  # which sources the table holds: asked once per table and run
        sources[target] = {s for (s,) in con.execute(f"SELECT DISTINCT source FROM {target}").fetchall()}
    prior = ef.source in sources[target]
    # A key another file of this same delivery already loaded is quarantined, never silently
    # overwritten or dropped (several files of one source often fill one table: events). The
    # transaction may not write to the worker's database, so such a file is marked on a temporary
    # copy (rare).
    if prior and same_delivery and con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {staged} s JOIN {target} t ON t.source = ? "
        f"AND t.source_record_id = s.source_record_id WHERE t.load_id = ? AND t.file IN "
        f"({', '.join(lit(x) for x in same_delivery)}) LIMIT 1)",
        [ef.source, load_id],
    ).fetchall()[0][0]:
        staged = f"staged_{n}"
        con.execute(f"CREATE TEMP TABLE {staged} AS SELECT * FROM {st.db}.staged")
        con.execute(
            f"UPDATE {staged} SET _errors = list_append(_errors, {{'field': 'source_record_id', "
            f"'value': {staged}.source_record_id, 'reason': 'source record id ''' || {staged}.source_record_id "
            f"|| ''' is already loaded (from ' || t.file || ' row ' || CAST(t.row_number AS VARCHAR) || ')'}}) "
            f"FROM {target} t WHERE t.source = {lit(ef.source)} AND t.source_record_id = {staged}.source_record_id "
            f"AND t.load_id = {lit(load_id)} AND t.file IN ({', '.join(lit(x) for x in same_delivery)}) "
            f"AND len({staged}._errors) = 0 AND {staged}._skip IS NULL"
        )
        _fill_raw(con, ef, staged, f"raw_{n}_again", st.repaired)
        counts = _counts(con, staged)
    rows, quarantined, issues, skipped, deletions = counts
    label = lit(ef.label)
    if quarantined:  # the counts say whether there is anything to route: skip empty scans
        con.execute(
            f"INSERT INTO quarantine SELECT {lit(load_id)}, {lit(ef.source)}, {label}, _row, {lit(target)}, source_record_id, "
            f"_errors[1].field, array_to_string(list_transform(_errors, lambda e: e.reason), '; '), _raw, ? "
            f"FROM {staged} WHERE len(_errors) > 0",
            [now],
        )
    for row, line, reason in st.rejects:
        con.execute(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
            [load_id, ef.source, ef.label, row, target, f"the line does not parse as CSV: {reason}", line, now],
        )
    if issues:
        con.execute(
            f"INSERT INTO field_issue SELECT {lit(load_id)}, {lit(ef.source)}, {label}, _row, {lit(target)}, source_record_id, "
            f"w.field, w.value, w.reason FROM (SELECT _row, source_record_id, unnest(_warnings) AS w FROM {staged} "
            f"WHERE {_LOADABLE} AND len(_warnings) > 0)"
        )
    if st.notes:
        # Lines of a UTF-8 file that were not UTF-8 (read as Windows-1252): loaded, and said so.
        con.execute(f"CREATE TEMP TABLE notes_{n} (line BIGINT, text VARCHAR)")
        con.executemany(f"INSERT INTO notes_{n} VALUES (?, ?)", [list(x) for x in st.notes])
        issues += con.execute(
            f"INSERT INTO field_issue SELECT {lit(load_id)}, {lit(ef.source)}, {label}, s._row, {lit(target)}, "
            f"s.source_record_id, 'row', n.text, 'the line is not valid UTF-8 (the rest of the file is): read as "
            f"Windows-1252; check its accented letters' FROM notes_{n} n JOIN {staged} s ON s._row = n.line "
            f"WHERE len(s._errors) = 0 AND s._skip IS NULL AND NOT s._deleted"
        ).fetchall()[0][0]
        con.execute(f"DROP TABLE notes_{n}")
    changed = unchanged = withdrawn = 0
    keep = f" WHERE {_LOADABLE}" if (quarantined or skipped or deletions) else ""
    if prior:
        # A later delivery: a key already current is unchanged (nothing written) or changed (its
        # current version moves to the history, valid until this delivery, and the new one is loaded).
        compare = [c for c in st.out_columns if c not in ("source", "source_record_id")]
        diff = " OR ".join([f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in compare]
                           + [f"t.{q(c)} IS DISTINCT FROM {v}" for c, v in st.constants.items() if c != "source"]) or "false"
        cls = f"cls_{n}"
        con.execute(
            f"CREATE TEMP TABLE {cls} AS SELECT s.source_record_id, ({diff}) AS changed FROM {staged} s "
            f"JOIN {target} t ON t.source = {lit(ef.source)} AND t.source_record_id = s.source_record_id"
            f"{' WHERE len(s._errors) = 0 AND s._skip IS NULL AND NOT s._deleted' if keep else ''}"
        )
        changed, unchanged = (int(x or 0) for x in con.execute(
            f"SELECT count(*) FILTER (WHERE changed), count(*) FILTER (WHERE NOT changed) FROM {cls}").fetchall()[0])
        if changed:
            _retire(con, target, ef.source, f"SELECT source_record_id FROM {cls} WHERE changed", delivered)
        if deletions:
            withdrawn += _retire(con, target, ef.source,
                                 f"SELECT source_record_id FROM {staged} WHERE _deleted AND len(_errors) = 0", delivered,
                                 withdrawn=True)
        if unchanged:
            cond = f"NOT EXISTS (SELECT 1 FROM {cls} c WHERE NOT c.changed AND c.source_record_id = {staged}.source_record_id)"
            keep = f"{keep} AND {cond}" if keep else f" WHERE {cond}"
    cols = ", ".join(q(c) for c in [*st.out_columns, *st.constants])
    values = ", ".join([*(q(c) for c in st.out_columns), *st.constants.values()])
    inserted = con.execute(
        f"INSERT INTO {target} ({cols}, load_id, file, row_number, loaded_at) "
        f"SELECT {values}, {lit(load_id)}, {label}, _row, ? FROM {staged}{keep}",
        [now],
    ).fetchall()[0][0]
    if prior:
        con.execute(f"DROP TABLE cls_{n}")
    if inserted:
        sources[target].add(ef.source)
    if staged == f"staged_{n}":
        con.execute(f"DROP TABLE {staged}")
    rejects = st.rejects
    return FileResult(
        file=ef.label, system=ef.mapping.system, table=target, status="loaded",
        rows_read=int(rows) + len(rejects), rows_loaded=int(rows) - int(quarantined) - int(skipped),
        rows_quarantined=int(quarantined) + len(rejects), field_issues=int(issues),
        rows_new=int(inserted) - changed, rows_changed=changed, rows_unchanged=unchanged, rows_deleted=int(deletions),
        rows_skipped=int(skipped), records_withdrawn=withdrawn, extract_date=ef.extract_date,
        skipped_by=_skipped_by(con, staged if staged.startswith("staged_") else f"{st.db}.staged") if skipped else {},
    )


def _skipped_by(con: duckdb.DuckDBPyConnection, staged: str) -> dict[str, int]:
    """Rows skipped, by the rule that skipped them."""
    return {r: int(c) for r, c in con.execute(
        f"SELECT _skip, count(*) FROM {staged} WHERE _skip IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()}


def _withdraw_absent(con: duckdb.DuckDBPyConnection, ef: ExtractFile, staged_dbs: list[str], delivered: date) -> int:
    """A full snapshot is the whole current set: records of its source and file kind that none of its files
    hold leave the current table (their history kept); how many."""
    target = ef.spec.table
    # The files (of earlier loads) this kind of file came in: matched here, on the few file names.
    names = re.compile(f"{re.escape(ef.source.lower())}/{ef.spec.name_regex}")
    files = [f for (f,) in con.execute("SELECT DISTINCT file FROM load_file WHERE source = ? AND table_name = ?",
                                        [ef.source, target]).fetchall() if names.fullmatch(f.lower())]
    if not files:
        return 0
    absent = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {db}.staged s WHERE s.source_record_id = t.source_record_id)"
                          for db in staged_dbs)
    keys = (f"SELECT t.source_record_id FROM {target} t WHERE t.source = {lit(ef.source)} "
            f"AND t.file IN ({', '.join(lit(f) for f in files)}) AND {absent}")
    return _retire(con, target, ef.source, keys, delivered, withdrawn=True)


# References between standard tables: (table, column, the table it points at).
REFERENCES = (
    ("event", "person_record_id", "person_record"),
    ("crime_person", "crime_record_id", "crime"),
    ("crime_person", "person_record_id", "person_record"),
    ("outcome", "crime_record_id", "crime"),
    ("outcome", "person_record_id", "person_record"),
)


def _orphans(con: duckdb.DuckDBPyConnection, load_id: str) -> int:
    """Note, in field_issue, each row this load wrote that points at a person or crime record not loaded; how many.

    The row stays (its other facts are evidence); the note says whether the record it points at was
    quarantined or is in no extract loaded, so nobody reads a dangling reference as complete.
    """
    total = 0
    any_withdrawn = con.execute("SELECT count(*) FROM retired_now").fetchall()[0][0] > 0
    for table, col, target in REFERENCES:
        what = lit(f"refers to {target.replace('_', ' ')} '")
        quarantined = (
            f"(SELECT 'was quarantined (' || any_value(qq.file) || ' row ' || CAST(min(qq.row_number) AS VARCHAR) "
            f"|| ': ' || any_value(qq.reason) || ')' FROM quarantine qq WHERE qq.table_name = {lit(target)} "
            f"AND qq.source = t.source AND qq.source_record_id = t.{col})"
        )
        withdrawn = (
            f"(SELECT 'was withdrawn by the delivery of ' || CAST(max(w.valid_to) AS VARCHAR) FROM retired_now w "
            f"WHERE w.tbl = {lit(target)} AND w.source = t.source AND w.k = t.{col})"
        )
        dangling = f"NOT EXISTS (SELECT 1 FROM {target} x WHERE x.source = t.source AND x.source_record_id = t.{col})"
        which = f"{what} || t.{col} || {lit(chr(39) + ', which ')}"
        total += con.execute(
            f"INSERT INTO field_issue SELECT t.load_id, t.source, t.file, t.row_number, {lit(table)}, t.source_record_id, "
            f"{lit(col)}, t.{col}, {which} || coalesce({withdrawn}, {quarantined}, 'is in no extract loaded') "
            f"FROM {table} t WHERE t.load_id = ? AND {dangling}",
            [load_id],
        ).fetchall()[0][0]
        if any_withdrawn:
            # Rows of earlier loads that this delivery left pointing at a withdrawn record.
            total += con.execute(
                f"INSERT INTO field_issue SELECT ?, t.source, t.file, t.row_number, {lit(table)}, t.source_record_id, "
                f"{lit(col)}, t.{col}, {which} || {withdrawn} FROM {table} t "
                f"WHERE t.load_id <> ? AND EXISTS (SELECT 1 FROM retired_now w WHERE w.tbl = {lit(target)} "
                f"AND w.source = t.source AND w.k = t.{col}) AND {dangling}",
                [load_id, load_id],
            ).fetchall()[0][0]
    return int(total)


def _check_order(con: duckdb.DuckDBPyConnection, files: list[ExtractFile], today: date) -> None:
    """Refuse a delivery older than one already applied for its source: deliveries apply in date order."""
    latest = dict(con.execute(
        "SELECT f.source, max(coalesce(f.extract_date, CAST(b.started_at AS DATE))) FROM load_file f "
        "JOIN load_batch b USING (load_id) GROUP BY 1").fetchall())
    for ef in files:
        last = latest.get(ef.source)
        when = ef.extract_date or today
        if last is not None and when < last:
            raise IngestError(
                f"{ef.label}: this delivery is dated {when}, older than one already applied for {ef.source} ({last}); "
                "deliveries apply in date order, so nothing was loaded")


def ingest(
    extracts: Path,
    db: Path,
    *,
    mappings_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    today: date | None = None,
    extract_date: date | None = None,
) -> IngestSummary:
    """Load (or apply, as a later delivery) every extract under extracts/<source>/ into the warehouse at db, atomically.

    extract_date: the date the extracts were taken (else read from each file's name; else the load's date).
    """
    started = time.perf_counter()
    extracts, db = Path(extracts), Path(db)
    mappings = load_mappings(mappings_dir)
    files = discover(extracts, mappings, extract_date)
    today = today or date.today()
    load_id = f"L{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    summary = IngestSummary(load_id, str(db), str(extracts), STANDARD_VERSION, files_total=len(files))
    dated = [ef.extract_date for ef in files if ef.extract_date is not None]
    summary.extract_date = extract_date or (max(dated) if dated else None)
    # Files of one delivery of one kind (source, table, file spec, date): a full snapshot withdraws
    # what none of them hold once the last of them is applied.
    groups: dict[tuple, list[int]] = {}
    for k, ef in enumerate(files):
        groups.setdefault((ef.source, ef.spec.table, ef.spec.pattern, ef.extract_date), []).append(k)
    tag = uuid.uuid4().hex[:12]  # private database names, unique within this process
    tmp = tempfile.TemporaryDirectory(prefix="joinedup-")
    # Workers start hashing and reading before the warehouse is open; what an earlier run loaded
    # (skipped without reading) is known once it is.
    opened = threading.Event()
    loaded_before: set[tuple[str, str]] = set()

    def seen() -> set[tuple[str, str]]:
        opened.wait()
        return loaded_before

    def task(cur: duckdb.DuckDBPyConnection, k: int) -> _Staged:
        # Transcoded copies of files with the same name never meet; the folder is made only
        # for a file that needs one (removing 33 empty folders took 0.1 s here).
        return _stage(cur, files[k], f"joinedup_stage_{tag}_{k}", k, today, seen, Path(tmp.name) / str(k))

    now = _now()
    created = not db.exists()  # a warehouse this run creates is removed again if the run fails
    workers: _Dispatcher | None = None
    cursors: list[duckdb.DuckDBPyConnection] = []
    con = duckdb.connect()  # the warehouse is attached to this instance below
    try:
        # The workers and the loader are the parallelism: each query on one thread. DuckDB's own
        # threads on top only added scheduling work (about 15% more CPU for the same run).
        con.execute("SET threads = 1")
        # Write each full row group of a target table to disk as soon as it fills, while the
        # workers are still standardising, instead of buffering five and leaving most of the
        # compression to a COMMIT that runs after the last file, with the other core idle.
        con.execute("SET write_buffer_row_group_count = 1")
        # Cursors are made here, on the main thread, which alone uses `con`; one per worker.
        cursors = [con.cursor() for _ in range(min(_WORKERS, len(files)))]
        workers = _Dispatcher(files, task, cursors)
        try:
            connect(db, row_group_size=_ROW_GROUP_SIZE, into=con)
            loaded_before.update((h, t) for h, t in con.execute("SELECT sha256, table_name FROM load_file").fetchall())
        finally:
            opened.set()
        _check_order(con, files, now.date())
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO load_batch (load_id, started_at, extracts_dir, standard_version, extract_date) VALUES (?, ?, ?, ?, ?)",
                [load_id, now, str(extracts.resolve()), STANDARD_VERSION, summary.extract_date],
            )
            con.execute("CREATE OR REPLACE TEMP TABLE retired_now (tbl VARCHAR, source VARCHAR, k VARCHAR, valid_to DATE)")
            applied: dict[tuple, list[str]] = {}  # (source, table, delivered date) -> labels of files applied
            overlap: dict[tuple, int] = {}  # delivery group -> rows whose key was already current
            batch_hashes: set[tuple[str, str]] = set()
            results: dict[int, FileResult] = {}
            sources: dict[str, set[str]] = {}
            for done in range(len(files)):
                n = workers.next_ready()
                ef = files[n]
                if progress:
                    progress(ef.label, done, len(files))
                st = workers.results[n].result()
                key = (st.sha256 or "", ef.spec.table)
                if st.sha256 is not None and (key in loaded_before or key in batch_hashes):
                    results[n] = FileResult(ef.label, ef.mapping.system, ef.spec.table, "skipped")
                    summary.files_skipped += 1
                    workers.loaded(n)
                    continue
                if st.sha256 is None or st.error is not None:
                    # Name the first bad file in file order, as a one-by-one load would.
                    raise workers.first_error(n, loaded_before | batch_hashes) or st.error or IngestError(
                        f"{ef.label}: the file cannot be read")
                batch_hashes.add(key)
                delivered = ef.extract_date or now.date()
                same = applied.setdefault((ef.source, ef.spec.table, delivered), [])
                res = _load_staged(con, ef, st, load_id, n, now, sources, same)
                same.append(ef.label)
                con.execute(
                    "INSERT INTO load_file (load_id, source, file, sha256, bytes, system, table_name, rows_read, rows_loaded, "
                    "rows_quarantined, extract_date, rows_new, rows_changed, rows_unchanged, rows_deleted, rows_skipped) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [load_id, ef.source, ef.label, key[0], ef.path.stat().st_size, ef.mapping.system, ef.spec.table,
                     res.rows_read, res.rows_loaded, res.rows_quarantined, ef.extract_date, res.rows_new,
                     res.rows_changed, res.rows_unchanged, res.rows_deleted, res.rows_skipped],
                )
                gkey = (ef.source, ef.spec.table, ef.spec.pattern, ef.extract_date)
                group = groups[gkey]
                overlap[gkey] = overlap.get(gkey, 0) + res.rows_unchanged + res.rows_changed
                if ef.spec.delivery == "full" and n == max(group) and overlap[gkey] > 0:
                    # Every file of the snapshot is applied (a table's files load in file order). A
                    # snapshot with no record in common with the current state (a first delivery)
                    # has nothing to withdraw. If any of its files was skipped as already loaded,
                    # what it holds is unknown here: nothing is withdrawn.
                    dbs = [workers.results[j].result().db for j in group]
                    if all(dbs):
                        gone = _withdraw_absent(con, ef, [d for d in dbs if d], delivered)
                        res.records_withdrawn += gone
                workers.loaded(n)
                results[n] = res
                summary.files_loaded += 1
                summary.rows_read += res.rows_read
                summary.rows_loaded += res.rows_loaded
                summary.rows_quarantined += res.rows_quarantined
                summary.field_issues += res.field_issues
                summary.rows_skipped += res.rows_skipped
                summary.rows_new += res.rows_new
                summary.rows_changed += res.rows_changed
                summary.rows_unchanged += res.rows_unchanged
                summary.rows_deleted += res.rows_deleted
                summary.records_withdrawn += res.records_withdrawn
                summary.tables[res.table] = summary.tables.get(res.table, 0) + res.rows_loaded
            summary.files = [results[k] for k in sorted(results)]
            summary.field_issues += _orphans(con, load_id)
            if not summary.balanced:  # a bug, never bad input: refuse to commit a batch that lost rows
                raise IngestError(
                    f"row accounting does not balance (read {summary.rows_read}, loaded {summary.rows_loaded}, "
                    f"quarantined {summary.rows_quarantined}, skipped {summary.rows_skipped}); nothing was loaded"
                )
            summary.seconds = round(time.perf_counter() - started, 3)
            con.execute(
                "UPDATE load_batch SET finished_at = ?, files_loaded = ?, files_skipped = ?, rows_read = ?, rows_loaded = ?, "
                "rows_quarantined = ?, field_issues = ?, rows_skipped = ?, records_withdrawn = ? WHERE load_id = ?",
                [_now(), summary.files_loaded, summary.files_skipped, summary.rows_read, summary.rows_loaded,
                 summary.rows_quarantined, summary.field_issues, summary.rows_skipped, summary.records_withdrawn, load_id],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        # On the way out (after a failure, or with nothing left to do) files not started are
        # cancelled and queries still running are interrupted; whatever the workers made goes
        # with their databases.
        if workers is not None:
            workers.stop()
        for cur in cursors:
            cur.close()
        # Closing the instance (ours alone) checkpoints the warehouse and frees the workers' databases.
        tmp.cleanup()
        con.close()
        if created and summary.seconds == 0.0:  # not committed: leave no half-made warehouse behind
            for leftover in (db, db.with_name(db.name + ".wal")):
                leftover.unlink(missing_ok=True)
    if progress:
        progress("done", len(files), len(files))
    return summary
