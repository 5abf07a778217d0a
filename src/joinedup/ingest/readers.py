"""Read one extract file (CSV, XLSX or Parquet) into a warehouse table of text columns."""

from __future__ import annotations

import codecs
import re
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from joinedup.ingest.mapping import ExtractFile, MappingError
from joinedup.ingest.standardise import lit, q


@dataclass
class RawTable:
    """A file read into table `name`: column `_row` (spreadsheet row number) plus text columns."""

    name: str
    columns: list[str]
    rows: int
    rejects: list[tuple[int, str, str]]  # (row number, raw line, reason) of lines that did not parse


MIXED = "utf-8+cp1252"  # UTF-8 with some lines in Windows-1252: decoded line by line, and flagged


def detect_encoding(path: Path, declared: str) -> str:
    """The encoding to read a text file with: declared; UTF-16 by its BOM; UTF-8 (BOM or not) if it decodes;
    MIXED when some lines are UTF-8 with accents and others are not UTF-8; else cp1252."""
    if declared != "auto":
        try:
            codecs.lookup(declared)
        except LookupError:
            raise MappingError(f"{path.name}: unknown encoding {declared!r}") from None
        return declared
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as f:
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return MIXED if _has_utf8_accents(path) else "cp1252"
    return "utf-8"


_UTF8_PAIR = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _has_utf8_accents(path: Path, tries: int = 200) -> bool:
    """True when some line holds non-ASCII text that decodes as UTF-8 (so the file is UTF-8 with stray bytes).

    A byte regex finds candidate UTF-8 sequences (in C, not a Python loop over lines); the line of
    each of the first `tries` candidates is decoded to confirm. A Windows-1252 file seldom has any.
    """
    data = path.read_bytes()
    for n, m in enumerate(_UTF8_PAIR.finditer(data)):
        if n >= tries:
            break
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.end())
        try:
            data[start:end if end >= 0 else len(data)].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _transcode(path: Path, encoding: str, tmpdir: Path, label: str = "") -> Path:
    """A UTF-8 copy of a file in another encoding (DuckDB reads UTF-8 natively)."""
    tmpdir.mkdir(parents=True, exist_ok=True)  # made only when needed: folders are slow to remove
    out = tmpdir / (path.stem + ".utf8.csv")
    try:
        with path.open("r", encoding=encoding, newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    except UnicodeDecodeError as e:
        raise MappingError(
            f"{label or path.name}: not valid {encoding} text ({e.reason} at byte {e.start} of a block); "
            f"declare the file's encoding in the mapping") from None
    return out


def _transcode_mixed(path: Path, tmpdir: Path) -> tuple[Path, list[tuple[int, str]]]:
    """A UTF-8 copy of a UTF-8 file with some Windows-1252 lines; (copy, [(line number, line text)] of the lines decoded as cp1252)."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    out = tmpdir / (path.stem + ".utf8.csv")
    notes: list[tuple[int, str]] = []
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        for no, line in enumerate(src, start=1):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.decode("cp1252", errors="replace")
                notes.append((no, text.rstrip("\r\n")))
            dst.write(text)
    return out, notes


# A column declared after the header's: a row with one field too many fills it instead of
# losing a trailing blank field silently (DuckDB's strict mode lets `a,b,c,` pass as three fields),
# so the row is quarantined rather than loaded shifted by an unquoted delimiter.
EXTRA_COLUMN = "_joinedup_extra_fields"
# Read as the null string, so that an empty field is '' and only a field missing from a short row
# (padded by null_padding) is NULL: short and long rows are both told apart from complete ones.
_NULL_SENTINEL = "\\x01joinedup-null\\x01"
# The text that replaces a line with an unclosed quote in a repaired copy: a line DuckDB rejects
# alone (too many fields), carrying a marker that names the original line.
BROKEN_MARK = "__joinedup_broken_line_"


def _csv_source(ef: ExtractFile, name: str, tmpdir: Path,
                path: Path | None = None) -> tuple[str, list[str], Path, list[tuple[int, str]]]:
    """The read_csv(...) call for a file (rejects kept in tables named after `name`), its header, the path read,
    and the lines decoded as Windows-1252 in a UTF-8 file.

    path: a repaired copy to read instead of the file (already UTF-8).
    """
    notes: list[tuple[int, str]] = []
    if path is None:
        path = ef.path
        encoding = detect_encoding(path, ef.mapping.encoding)
        if encoding == MIXED:
            path, notes = _transcode_mixed(path, tmpdir)
        elif encoding.replace("-", "").replace("_", "").lower() not in ("utf8", "utf8sig", "ascii"):
            path = _transcode(path, encoding, tmpdir, ef.label)
    delim = csv_delimiter(ef)
    rejects = f"{name}_rejects"
    scan = f"{name}_rejects_scan"
    src = (
        f"read_csv({lit(str(path))}, all_varchar=true, header=true, delim={lit(delim)}, "
        f"quote='\"', escape='\"', auto_detect=false, columns=$cols, parallel=false, null_padding=true, "
        f"nullstr={lit(_NULL_SENTINEL)}, "
        f"store_rejects=true, rejects_table='{rejects}', rejects_scan='{scan}', strict_mode=true)"
    )
    # Read the header ourselves so that every column is declared as text and nothing is sniffed.
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            import csv

            try:
                header = next(csv.reader(f, delimiter=delim))
            except StopIteration:
                raise MappingError(f"{ef.label}: the file is empty (no header row)") from None
    except UnicodeDecodeError as e:
        raise MappingError(f"{ef.label}: the header is not valid {ef.mapping.encoding} text ({e.reason} at byte {e.start})") from None
    if len(set(header)) != len(header):
        raise MappingError(f"{ef.label}: the header repeats a column name")
    cols = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in [*header, EXTRA_COLUMN]) + "}"
    return src.replace("$cols", cols), header, path, notes


def csv_delimiter(ef: ExtractFile) -> str:
    """The field delimiter of a CSV-like extract file."""
    return "\t" if ef.path.suffix.lower() == ".tsv" else ef.spec.delimiter


def count_lines(path: Path) -> int:
    """Physical lines in a text file (a last line without a newline counts)."""
    n, cr, last = 0, 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            last = chunk[-1:]
    if n == 0 and cr:  # old Mac line ends: \r alone
        return cr + (last != b"\r")
    return n + (last != b"\n")


def repair_csv(path: Path, delim: str, ncols: int, out: Path) -> tuple[int, dict[str, tuple[int, str]]]:
    """Copy a UTF-8 CSV, replacing each line that opens a quote it never closes with a marked line; (records, broken lines).

    A quote that opens on one line and closes on a later one is a legitimate multi-line value
    when the joined lines make one row of the header's width; otherwise the opening line alone
    is broken, and reading resumes at the next line. records: the data rows the copy holds
    (blank lines are not rows). broken: marker -> (line number in the file, the line's text).
    """
    import csv

    # Lines end at \n alone (str.splitlines would also split at form feeds and other separators).
    parts = path.read_text(encoding="utf-8-sig").split("\n")
    lines = [x + "\n" for x in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    broken: dict[str, tuple[int, str]] = {}
    outl: list[str] = []
    records, i = 0, 1  # line 1 is the header
    outl.append(lines[0] if lines else "")
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            outl.append(line)
            i += 1
            continue
        if line.count('"') % 2 == 0:
            outl.append(line)
            records += 1
            i += 1
            continue
        j, quotes = i, line.count('"')
        while quotes % 2 and j + 1 < len(lines):
            j += 1
            quotes += lines[j].count('"')
        joined = "".join(lines[i:j + 1])
        try:
            rows = list(csv.reader([joined], delimiter=delim, strict=True)) if quotes % 2 == 0 else []
        except csv.Error:
            rows = []
        if quotes % 2 == 0 and len(rows) == 1 and len(rows[0]) == ncols:
            outl.extend(lines[i:j + 1])  # a value with line breaks in it
            records += 1
            i = j + 1
            continue
        mark = f"{BROKEN_MARK}{len(broken)}"
        broken[mark] = (i + 1, line.rstrip("\r\n"))
        outl.append(delim * (ncols + 1) + mark + "\n")
        records += 1
        i += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(outl), encoding="utf-8")
    return records, broken


def _csv_rejects(con: duckdb.DuckDBPyConnection, name: str, table: str,
                 broken: dict[str, tuple[int, str]] | None = None) -> list[tuple[int, str, str]]:
    """The lines of the last read that did not parse; shifts `_row` of `table` past them; drops the rejects tables.

    broken: the lines a repaired copy replaced (marker -> (line, text)): reported as they were.
    """
    rejects = f"{name}_rejects"
    # A short line is one reject per missing column; list the messages in column order, so the
    # reason reads the same whatever order the engine's threads met them in.
    bad = con.execute(
        f"SELECT line, any_value(csv_line), string_agg(error_message, '; ' ORDER BY pos, error_message) FROM ("
        f"SELECT line, any_value(csv_line) AS csv_line, error_message, min(column_idx) AS pos FROM {rejects} "
        f"GROUP BY line, error_message) GROUP BY line ORDER BY line"
    ).fetchall()
    if bad:
        # Row numbers count the header as row 1, as a spreadsheet shows them; parsed rows after a
        # rejected line shift by one for each reject before them.
        shifts = [int(line) - j for j, (line, _, _) in enumerate(bad, start=1)]
        con.execute(f"CREATE TEMP TABLE {name}_shift AS SELECT unnest(?::BIGINT[]) AS s", [shifts])
        con.execute(f"UPDATE {table} SET _row = _row + (SELECT count(*) FROM {name}_shift WHERE s <= _row - 1)")
        con.execute(f"DROP TABLE {name}_shift")
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {name}_rejects_scan")
    out = []
    for row, line, reason in bad:
        mark = (line or "").rsplit(BROKEN_MARK, 1)
        if broken and len(mark) == 2 and BROKEN_MARK + mark[1].strip() in broken:
            _, text = broken[BROKEN_MARK + mark[1].strip()]
            out.append((int(row), text, "a quote opens on this line and is never closed (only this line is quarantined)"))
        else:
            out.append((int(row), line or "", reason or "malformed line"))
    return out


def _read_csv(con: duckdb.DuckDBPyConnection, ef: ExtractFile, name: str, tmpdir: Path,
              path: Path | None = None) -> RawTable:
    src, header, _, _ = _csv_source(ef, name, tmpdir, path)
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT row_number() OVER () + 1 AS _row, * FROM {src}")
    except duckdb.Error as e:
        raise MappingError(f"{ef.label}: cannot read CSV ({str(e).splitlines()[0]})") from None
    bad = _csv_rejects(con, name, name)
    n = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return RawTable(name, header, n, bad)


def _cell_text(v: object) -> str | None:
    """Spreadsheet cell as text: dates as ISO, whole floats without '.0'."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _read_xlsx(con: duckdb.DuckDBPyConnection, ef: ExtractFile, name: str, batch: int = 100_000) -> RawTable:
    # Imported here, not at the top: pyarrow alone costs about 0.12 s of start-up that CSV and
    # Parquet ingests (and every other CLI command) never need.
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(ef.path))
        sheet = (
            wb.get_sheet_by_index(ef.spec.sheet) if isinstance(ef.spec.sheet, int) else wb.get_sheet_by_name(ef.spec.sheet)
        )
        rows = sheet.iter_rows()
        first = next(rows, None)
    except Exception as e:  # calamine raises several types for a corrupt workbook
        raise MappingError(f"{ef.label}: cannot read XLSX ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not first:
        raise MappingError(f"{ef.label}: the sheet is empty (no header row)")
    header = [_cell_text(c) or f"column{i + 1}" for i, c in enumerate(first)]
    if len(set(header)) != len(header):
        raise MappingError(f"{ef.label}: the header repeats a column name")
    data_cols = ", ".join(q(h) for h in header)
    con.execute(f"CREATE TEMP TABLE {name} (_row BIGINT, {', '.join(q(h) + ' VARCHAR' for h in header)})")
    # Convert in batches so a sheet of a million rows never sits in memory as Python objects at once.
    row_no, buf = 1, []

    def flush() -> None:
        cols = {"_row": pa.array([b[0] for b in buf], type=pa.int64())}
        for i, h in enumerate(header):
            cols[h] = pa.array([_cell_text(b[1][i]) if i < len(b[1]) else None for b in buf], type=pa.string())
        con.register(f"{name}_arrow", pa.table(cols))
        # Spreadsheets carry fully blank rows; they are not data.
        con.execute(
            f"INSERT INTO {name} SELECT _row, {data_cols} FROM {name}_arrow "
            f"WHERE NOT ({' AND '.join(f'{q(h)} IS NULL' for h in header)})"
        )
        con.unregister(f"{name}_arrow")
        buf.clear()

    for r in rows:
        row_no += 1
        buf.append((row_no, r))
        if len(buf) >= batch:
            flush()
    if buf:
        flush()
    n = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return RawTable(name, header, n, [])


def _parquet_source(con: duckdb.DuckDBPyConnection, ef: ExtractFile) -> tuple[str, list[str]]:
    """SELECT _row, every column as text FROM the Parquet file; and its columns."""
    try:
        desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(ef.path))})").fetchall()
    except duckdb.Error as e:
        raise MappingError(f"{ef.label}: cannot read Parquet ({str(e).splitlines()[0]})") from None
    header = [d[0] for d in desc]
    casts = ", ".join(
        (q(h) if t == "VARCHAR" else f"CAST({q(h)} AS VARCHAR) AS {q(h)}")
        if not t.startswith("TIMESTAMP") else f"strftime({q(h)}, '%Y-%m-%d') AS {q(h)}"
        for h, t in ((d[0], d[1]) for d in desc)
    )
    return f"SELECT file_row_number + 2 AS _row, {casts} FROM read_parquet({lit(str(ef.path))}, file_row_number=true)", header


def _read_parquet(con: duckdb.DuckDBPyConnection, ef: ExtractFile, name: str) -> RawTable:
    select, header = _parquet_source(con, ef)
    con.execute(f"CREATE TEMP TABLE {name} AS {select}")
    n = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return RawTable(name, header, n, [])


@dataclass
class Scan:
    """A file as a relation to select from once: `relation` yields `_row` plus the text columns.

    For CSV the file is parsed by the query that selects from `relation`; `finish(table)` then
    collects the lines that did not parse and shifts `table._row` past them.
    """

    relation: str
    columns: list[str]
    kind: str  # csv | parquet | table
    name: str
    label: str
    path: Path | None = None  # the UTF-8 file DuckDB reads (CSV)
    notes: list[tuple[int, str]] = field(default_factory=list)  # lines decoded as cp1252 in a UTF-8 file
    broken: dict[str, tuple[int, str]] = field(default_factory=dict)  # lines a repaired copy replaced

    def finish(self, con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[int, str, str]]:
        """Rejected lines (row, line, reason) of a CSV scan, after the query that read it ran."""
        return _csv_rejects(con, self.name, table, self.broken) if self.kind == "csv" else []

    def read_error(self, e: duckdb.Error) -> MappingError | None:
        """The MappingError a failed query over this scan stands for, when the reader failed."""
        msg = str(e)
        if self.kind == "csv" and ("CSV" in msg or "csv" in msg.split("\n")[0].lower() or "unicode" in msg.lower()):
            return MappingError(f"{self.label}: cannot read CSV ({msg.splitlines()[0]})")
        return None


def scan_extract(con: duckdb.DuckDBPyConnection, ef: ExtractFile, name: str, tmpdir: Path,
                 repaired: tuple[Path, dict[str, tuple[int, str]]] | None = None) -> Scan:
    """The extract file as a relation of text columns, read by the query that uses it (XLSX is loaded first).

    repaired: (a repaired UTF-8 copy of a CSV to read instead, the lines it replaced).
    """
    suffix = ef.path.suffix.lower()
    try:
        if suffix == ".xlsx":
            raw = _read_xlsx(con, ef, name)
            return Scan(name, raw.columns, "table", name, ef.label)
        if suffix == ".parquet":
            select, header = _parquet_source(con, ef)
            return Scan(f"({select})", header, "parquet", name, ef.label)
        src, header, path, notes = _csv_source(ef, name, tmpdir, repaired[0] if repaired else None)
        return Scan(f"(SELECT row_number() OVER () + 1 AS _row, * FROM {src})", header, "csv", name, ef.label,
                    path=path, notes=notes, broken=repaired[1] if repaired else {})
    except PermissionError:
        raise MappingError(f"{ef.label}: the file cannot be read (permission denied)") from None


def read_extract(con: duckdb.DuckDBPyConnection, ef: ExtractFile, name: str, path: Path | None = None) -> RawTable:
    """Read an extract file into temp table `name` with all values as text (path: a repaired UTF-8 copy of a CSV)."""
    suffix = ef.path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _read_xlsx(con, ef, name)
        if suffix == ".parquet":
            return _read_parquet(con, ef, name)
        with tempfile.TemporaryDirectory(prefix="joinedup-") as tmp:
            return _read_csv(con, ef, name, Path(tmp), path)
    except PermissionError:
        raise MappingError(f"{ef.label}: the file cannot be read (permission denied)") from None
