"""Load a folder of agency extracts into the warehouse: all or nothing, nothing lost, idempotent."""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from joinedup.ingest.mapping import ExtractFile, MappingError, discover, load_mappings
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


def _load_file(con: duckdb.DuckDBPyConnection, ef: ExtractFile, load_id: str, n: int, today: date, now: datetime) -> FileResult:
    """Read, standardise, validate and load one file inside the caller's transaction.

    The file is read once, by the standardising query itself (no raw copy); that query keeps the
    raw values, as JSON, only for rows with errors. Rows found bad afterwards (a key repeated in
    the file, a key already loaded) are rare: only when there are some is the file read again,
    into a raw table, to fetch their raw values.
    """
    with tempfile.TemporaryDirectory(prefix="joinedup-") as tmp:
        return _load_scan(con, ef, load_id, n, today, now, Path(tmp))


def _load_scan(
    con: duckdb.DuckDBPyConnection, ef: ExtractFile, load_id: str, n: int, today: date, now: datetime, tmpdir: Path
) -> FileResult:
    scan = scan_extract(con, ef, f"raw_{n}", tmpdir)
    fsql = FileSQL(ef.mapping, ef.spec, ef.source, scan.relation, scan.columns, today, file_name=ef.path.name)
    target = ef.spec.table
    staged = f"staged_{n}"
    try:
        con.execute(f"CREATE TEMP TABLE {staged} AS {fsql.sql(scan.columns)}")
    except duckdb.Error as e:
        mapped = scan.read_error(e)
        if mapped is not None:
            raise mapped from None
        raise IngestError(f"{ef.label}: standardisation failed ({str(e).splitlines()[0]})") from None
    rejects = scan.finish(con, staged)
    late = False  # did rows gain errors after the standardising query?
    # A key repeated inside the file: the first occurrence stays, the repeats are quarantined.
    con.execute(
        f"CREATE TEMP TABLE {staged}_dup AS SELECT source_record_id AS k, min(_row) AS first FROM {staged} "
        f"WHERE source_record_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1"
    )
    if con.execute(f"SELECT count(*) FROM {staged}_dup").fetchall()[0][0]:
        late = True
        con.execute(
            f"UPDATE {staged} SET _errors = list_append(_errors, {{'field': 'source_record_id', 'value': source_record_id, "
            f"'reason': 'source record id ''' || source_record_id || ''' appears more than once in this file (first at row ' "
            f"|| CAST(d.first AS VARCHAR) || ')'}}) FROM {staged}_dup d WHERE source_record_id = d.k AND _row <> d.first"
        )
    # A key already in the warehouse (an earlier load, or another file of this batch) is
    # quarantined, never silently overwritten or dropped.
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE source = ? LIMIT 1)", [ef.source]).fetchall()[0][0]:
        late = True
        con.execute(
            f"UPDATE {staged} SET _errors = list_append(_errors, {{'field': 'source_record_id', "
            f"'value': {staged}.source_record_id, 'reason': 'source record id ''' || {staged}.source_record_id "
            f"|| ''' is already loaded (from ' || t.file || ' row ' || CAST(t.row_number AS VARCHAR) || ')'}}) "
            f"FROM {target} t WHERE t.source = {lit(ef.source)} AND t.source_record_id = {staged}.source_record_id"
        )
    if late and con.execute(f"SELECT count(*) FROM {staged} WHERE _raw IS NULL AND len(_errors) > 0").fetchall()[0][0]:
        # Raw values for rows that gained an error above: read the file again (same row numbers).
        raw_name = scan.name if scan.kind == "table" else f"raw_{n}_again"
        if scan.kind != "table":
            read_extract(con, ef, raw_name)
        raw_cols = ", ".join(f"{lit(c)}: r.{q(c)}" for c in scan.columns)
        con.execute(
            f"UPDATE {staged} SET _raw = CAST(to_json({{{raw_cols}}}) AS VARCHAR) FROM {raw_name} r "
            f"WHERE r._row = {staged}._row AND {staged}._raw IS NULL AND len({staged}._errors) > 0"
        )
        if scan.kind != "table":
            con.execute(f"DROP TABLE {raw_name}")
    label = lit(ef.label)
    con.execute(
        f"INSERT INTO quarantine SELECT {lit(load_id)}, {lit(ef.source)}, {label}, _row, {lit(target)}, source_record_id, "
        f"_errors[1].field, array_to_string(list_transform(_errors, lambda e: e.reason), '; '), _raw, ? "
        f"FROM {staged} WHERE len(_errors) > 0",
        [now],
    )
    for row, line, reason in rejects:
        con.execute(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
            [load_id, ef.source, ef.label, row, target, f"the line does not parse as CSV: {reason}", line, now],
        )
    con.execute(
        f"INSERT INTO field_issue SELECT {lit(load_id)}, {lit(ef.source)}, {label}, _row, {lit(target)}, source_record_id, "
        f"w.field, w.value, w.reason FROM (SELECT _row, source_record_id, unnest(_warnings) AS w FROM {staged} "
        f"WHERE len(_errors) = 0 AND len(_warnings) > 0)"
    )
    cols = ", ".join(q(c) for c in fsql.out_columns)
    con.execute(
        f"INSERT INTO {target} ({cols}, load_id, file, row_number, loaded_at) "
        f"SELECT {cols}, {lit(load_id)}, {label}, _row, ? FROM {staged} WHERE len(_errors) = 0",
        [now],
    )
    rows, quarantined, issues = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE len(_errors) > 0), "
        f"coalesce(sum(len(_warnings)) FILTER (WHERE len(_errors) = 0), 0) FROM {staged}"
    ).fetchall()[0]
    con.execute(f"DROP TABLE {staged}; DROP TABLE {staged}_dup")
    if scan.kind == "table":
        con.execute(f"DROP TABLE {scan.name}")
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
    hashes = {ef.path: sha256_file(ef.path) for ef in files}
    seen = {
        (h, t)
        for h, t in con.execute("SELECT sha256, table_name FROM load_file").fetchall()
    }
    now = _now()
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
            key = (hashes[ef.path], ef.spec.table)
            if key in seen or key in batch_hashes:
                summary.files.append(FileResult(ef.label, ef.mapping.system, ef.spec.table, "skipped"))
                summary.files_skipped += 1
                continue
            batch_hashes.add(key)
            res = _load_file(con, ef, load_id, n, today, now)
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
        con.close()
    if progress:
        progress("done", len(files), len(files))
    return summary
