"""Load a folder of agency extracts into the warehouse: all or nothing, nothing lost, idempotent."""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from joinedup.ingest.mapping import ExtractFile, discover, load_mappings
from joinedup.ingest.readers import read_extract, scan_extract
from joinedup.ingest.standardise import FileSQL, lit, q
from joinedup.warehouse import connect

from joinedup.standard import standard_version

STANDARD_VERSION = standard_version()


class IngestError(Exception):
    """An ingest that could not run; the warehouse is left as it was."""


@dataclass
class FileResult:
    """What happened to one extract file."""

    file: str
    system: str
    table: str
    status: str  # loaded | skipped (already loaded)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    field_issues: int = 0


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
    rows_loaded: int = 0
    rows_quarantined: int = 0
    field_issues: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """True when every row read was either loaded or quarantined."""
        return self.rows_read == self.rows_loaded + self.rows_quarantined

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        d = asdict(self)
        d["balanced"] = self.balanced
        return d


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# Files are hashed, read and standardised by worker threads, each on its own DuckDB connection
# (a cursor), while the main connection loads the finished files in order inside the one
# transaction. One file's query is effectively single-threaded (a 100k-row file or table is one
# row group; the window numbering CSV rows streams and costs next to nothing), so files side by
# side are what put the second core to work. Each worker writes its file into a private in-memory database attached for that
# file alone: the transaction sees a database attached after it began (it takes its snapshot of a
# database the first time it reads it), but not a table created in one it has already read.
_WORKERS = 2
_AHEAD = 3  # files standardised ahead of the loader at most: bounds memory on big batches


@dataclass
class _Staged:
    """One file hashed, read, standardised and checked for repeated keys by a worker."""

    sha256: str | None = None
    db: str | None = None  # the private database holding table `staged` (None when not read)
    out_columns: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    counts: tuple[int, int, int] = (0, 0, 0)  # rows, rows with errors, warnings on loadable rows
    error: BaseException | None = None


def _stage(
    cur: duckdb.DuckDBPyConnection, ef: ExtractFile, db: str, n: int, today: date, seen: set[tuple[str, str]], tmpdir: Path
) -> _Staged:
    """Worker: hash one file and, unless an earlier run loaded it, standardise it into `db`.staged.

    The file is read once, by the standardising query itself (no raw copy); that query keeps the
    raw values, as JSON, only for rows with errors. Keys repeated inside the file are marked here;
    only when there are some is the file read again, for their raw values. An error is kept in the
    result, for the loader to raise when it reaches this file: errors surface in file order.
    """
    st = _Staged()
    try:
        st.sha256 = sha256_file(ef.path)
        if (st.sha256, ef.spec.table) in seen:
            return st  # loaded by an earlier run: skipped without reading it
        cur.execute(f"ATTACH ':memory:' AS {db}")
        st.db = db
        cur.execute(f"USE {db}")  # unqualified tables below live in the private database
        scan = scan_extract(cur, ef, f"raw_{n}", tmpdir)
        fsql = FileSQL(ef.mapping, ef.spec, ef.source, scan.relation, scan.columns, today, file_name=ef.path.name)
        st.out_columns = fsql.out_columns
        try:
            cur.execute(f"CREATE TABLE staged AS {fsql.sql(scan.columns)}")
        except duckdb.Error as e:
            mapped = scan.read_error(e)
            if mapped is not None:
                raise mapped from None
            raise IngestError(f"{ef.label}: standardisation failed ({str(e).splitlines()[0]})") from None
        st.rejects = scan.finish(cur, "staged")
        if scan.kind == "table":
            cur.execute(f"DROP TABLE {scan.name}")
        # A key repeated inside the file: the first occurrence stays, the repeats are quarantined.
        # One scan counts the rows and tells whether any key repeats (usually none does).
        *counts, repeats = cur.execute(
            f"{_COUNTS}, count(source_record_id) - count(DISTINCT source_record_id) FROM staged"
        ).fetchall()[0]
        st.counts = (int(counts[0]), int(counts[1]), int(counts[2]))
        if repeats:
            cur.execute(
                "CREATE TABLE dup AS SELECT source_record_id AS k, min(_row) AS first FROM staged "
                "WHERE source_record_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
            )
            cur.execute(
                "UPDATE staged SET _errors = list_append(_errors, {'field': 'source_record_id', 'value': source_record_id, "
                "'reason': 'source record id ''' || source_record_id || ''' appears more than once in this file (first at row ' "
                "|| CAST(d.first AS VARCHAR) || ')'}) FROM dup d WHERE source_record_id = d.k AND _row <> d.first"
            )
            cur.execute("DROP TABLE dup")
            _fill_raw(cur, ef, "staged", f"raw_{n}_again")
            st.counts = _counts(cur, "staged")
    except BaseException as e:  # noqa: BLE001 - handed to the loader, which raises it in file order
        st.error = e
    return st


_COUNTS = (
    "SELECT count(*), count(*) FILTER (WHERE len(_errors) > 0), "
    "coalesce(sum(len(_warnings)) FILTER (WHERE len(_errors) = 0), 0)"
)


def _counts(con: duckdb.DuckDBPyConnection, staged: str) -> tuple[int, int, int]:
    """(rows, rows with errors, warnings on loadable rows) of a standardised file."""
    rows, bad, issues = con.execute(f"{_COUNTS} FROM {staged}").fetchall()[0]
    return int(rows), int(bad), int(issues)


def _fill_raw(con: duckdb.DuckDBPyConnection, ef: ExtractFile, staged: str, raw_name: str) -> None:
    """Raw values for rows that gained an error after the standardising query: read the file again (same row numbers)."""
    if not con.execute(f"SELECT count(*) FROM {staged} WHERE _raw IS NULL AND len(_errors) > 0").fetchall()[0][0]:
        return
    raw = read_extract(con, ef, raw_name)
    raw_cols = ", ".join(f"{lit(c)}: r.{q(c)}" for c in raw.columns)
    con.execute(
        f"UPDATE {staged} SET _raw = CAST(to_json({{{raw_cols}}}) AS VARCHAR) FROM {raw_name} r "
        f"WHERE r._row = {staged}._row AND {staged}._raw IS NULL AND len({staged}._errors) > 0"
    )
    con.execute(f"DROP TABLE {raw_name}")


def _load_staged(con: duckdb.DuckDBPyConnection, ef: ExtractFile, st: _Staged, load_id: str, n: int, now: datetime) -> FileResult:
    """Loader: route one standardised file into its table, quarantine and field_issue, in the caller's transaction."""
    target = ef.spec.table
    staged = f"{st.db}.staged"
    # A key already in the warehouse (an earlier load, or another file of this batch) is
    # quarantined, never silently overwritten or dropped. The transaction may not write to the
    # worker's database, so such a file is marked on a temporary copy (rare: a re-delivery).
    # Several files of one source often fill one table (events), so look for a shared key first.
    counts = st.counts
    source_seen = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE source = ? LIMIT 1)", [ef.source])
    if source_seen.fetchall()[0][0] and con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {staged} s JOIN {target} t ON t.source = ? "
        f"AND t.source_record_id = s.source_record_id LIMIT 1)",
        [ef.source],
    ).fetchall()[0][0]:
        staged = f"staged_{n}"
        con.execute(f"CREATE TEMP TABLE {staged} AS SELECT * FROM {st.db}.staged")
        con.execute(
            f"UPDATE {staged} SET _errors = list_append(_errors, {{'field': 'source_record_id', "
            f"'value': {staged}.source_record_id, 'reason': 'source record id ''' || {staged}.source_record_id "
            f"|| ''' is already loaded (from ' || t.file || ' row ' || CAST(t.row_number AS VARCHAR) || ')'}}) "
            f"FROM {target} t WHERE t.source = {lit(ef.source)} AND t.source_record_id = {staged}.source_record_id"
        )
        _fill_raw(con, ef, staged, f"raw_{n}_again")
        counts = _counts(con, staged)
    rows, quarantined, issues = counts
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
            f"WHERE len(_errors) = 0 AND len(_warnings) > 0)"
        )
    cols = ", ".join(q(c) for c in st.out_columns)
    con.execute(
        f"INSERT INTO {target} ({cols}, load_id, file, row_number, loaded_at) "
        f"SELECT {cols}, {lit(load_id)}, {label}, _row, ? FROM {staged} WHERE len(_errors) = 0",
        [now],
    )
    if staged == f"staged_{n}":
        con.execute(f"DROP TABLE {staged}")
    rejects = st.rejects
    return FileResult(
        file=ef.label, system=ef.mapping.system, table=target, status="loaded",
        rows_read=int(rows) + len(rejects), rows_loaded=int(rows) - int(quarantined),
        rows_quarantined=int(quarantined) + len(rejects), field_issues=int(issues),
    )


def ingest(
    extracts: Path,
    db: Path,
    *,
    mappings_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    today: date | None = None,
) -> IngestSummary:
    """Load every extract under extracts/<source>/ into the warehouse at db, atomically."""
    started = time.perf_counter()
    extracts, db = Path(extracts), Path(db)
    mappings = load_mappings(mappings_dir)
    files = discover(extracts, mappings)
    today = today or date.today()
    con = connect(db)
    load_id = f"L{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    summary = IngestSummary(load_id, str(db), str(extracts), STANDARD_VERSION, files_total=len(files))
    seen = {
        (h, t)
        for h, t in con.execute("SELECT sha256, table_name FROM load_file").fetchall()
    }
    tag = uuid.uuid4().hex[:12]  # private database names, unique within this process
    cursors: dict[int, duckdb.DuckDBPyConnection] = {}
    futures: dict[int, Future[_Staged]] = {}
    attached: set[str] = set()
    pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="joinedup-ingest")
    tmp = tempfile.TemporaryDirectory(prefix="joinedup-")

    def submit(k: int) -> None:
        if k < len(files) and k not in futures:
            # Cursors are made here, on the main thread, which alone uses `con`.
            cursors[k] = con.cursor()
            # Transcoded copies of files with the same name never meet; the folder is made only
            # for a file that needs one (removing 33 empty folders took 0.1 s here).
            sub = Path(tmp.name) / str(k)
            futures[k] = pool.submit(_stage, cursors[k], files[k], f"joinedup_stage_{tag}_{k}", k, today, seen, sub)

    def release(k: int) -> None:
        """Forget file k's worker state; its private database goes when the transaction ends."""
        cur = cursors.pop(k, None)
        if cur is not None:
            cur.close()

    now = _now()
    try:
        # The workers and the loader are the parallelism: each query on one thread. DuckDB's own
        # threads on top only added scheduling work (about 15% more CPU for the same run).
        con.execute("SET threads = 1")
        for k in range(_AHEAD):
            submit(k)
        # Write each full row group of a target table to disk as soon as it fills, while the
        # workers are still standardising, instead of buffering five and leaving most of the
        # compression to a COMMIT that runs after the last file, with the other core idle.
        con.execute("SET write_buffer_row_group_count = 1")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO load_batch (load_id, started_at, extracts_dir, standard_version) VALUES (?, ?, ?, ?)",
                [load_id, now, str(extracts.resolve()), STANDARD_VERSION],
            )
            batch_hashes: set[tuple[str, str]] = set()
            for n, ef in enumerate(files):
                if progress:
                    progress(ef.label, n, len(files))
                submit(n)
                st = futures[n].result()
                submit(n + _AHEAD)
                if st.db:
                    attached.add(st.db)
                release(n)
                if st.sha256 is None:  # the file could not even be hashed
                    raise st.error or IngestError(f"{ef.label}: the file cannot be read")
                key = (st.sha256, ef.spec.table)
                if key in seen or key in batch_hashes:
                    summary.files.append(FileResult(ef.label, ef.mapping.system, ef.spec.table, "skipped"))
                    summary.files_skipped += 1
                    continue
                batch_hashes.add(key)
                if st.error is not None:
                    raise st.error
                res = _load_staged(con, ef, st, load_id, n, now)
                con.execute(
                    "INSERT INTO load_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [load_id, ef.source, ef.label, key[0], ef.path.stat().st_size, ef.mapping.system, ef.spec.table,
                     res.rows_read, res.rows_loaded, res.rows_quarantined],
                )
                summary.files.append(res)
                summary.files_loaded += 1
                summary.rows_read += res.rows_read
                summary.rows_loaded += res.rows_loaded
                summary.rows_quarantined += res.rows_quarantined
                summary.field_issues += res.field_issues
                summary.tables[res.table] = summary.tables.get(res.table, 0) + res.rows_loaded
            if not summary.balanced:  # a bug, never bad input: refuse to commit a batch that lost rows
                raise IngestError(
                    f"row accounting does not balance (read {summary.rows_read}, loaded {summary.rows_loaded}, "
                    f"quarantined {summary.rows_quarantined}); nothing was loaded"
                )
            summary.seconds = round(time.perf_counter() - started, 3)
            con.execute(
                "UPDATE load_batch SET finished_at = ?, files_loaded = ?, files_skipped = ?, rows_read = ?, rows_loaded = ?, "
                "rows_quarantined = ?, field_issues = ? WHERE load_id = ?",
                [_now(), summary.files_loaded, summary.files_skipped, summary.rows_read, summary.rows_loaded,
                 summary.rows_quarantined, summary.field_issues, load_id],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        # On the way out (after a failure, or with nothing left to do) files not started are
        # cancelled and queries still running are interrupted; whatever the workers made goes
        # with their databases.
        for k, fut in futures.items():
            if not fut.done() and k in cursors:
                cursors[k].interrupt()
        pool.shutdown(wait=True, cancel_futures=True)
        for k in list(futures):
            if futures[k].done() and not futures[k].cancelled() and futures[k].result().db:
                attached.add(futures[k].result().db or "")
            release(k)
        try:
            for name in sorted(attached):
                con.execute(f"DETACH DATABASE IF EXISTS {name}")
            con.execute("RESET write_buffer_row_group_count")
            con.execute("RESET threads")
        finally:
            tmp.cleanup()
            con.close()
    if progress:
        progress("done", len(files), len(files))
    return summary
