"""Append-only extract writers (CSV, XLSX in numbered parts, Parquet) kept open across chunks."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import zipfile

from joinedup.synth.layouts import FileSpec, Layout



class _Csv:
    def __init__(self, path: Path, lay: Layout, header: list[str]) -> None:
        # cp1252 systems cannot hold every character; replace rather than fail, as real exports do
        self.fh = open(path, "w", newline="", encoding=lay.encoding, errors="replace")
        self.w = csv.writer(self.fh, delimiter=lay.delimiter, lineterminator="\r\n" if lay.encoding == "cp1252" else "\n")
        self.w.writerow(header)
        self.name = path.name

    def write(self, rows: list[list[str]]) -> None:
        self.w.writerows(rows)

    def file_for(self, j: int) -> str:
        return self.name

    def close(self) -> None:
        self.fh.close()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = "http://schemas.openxmlformats.org"
_STATIC = {
    "[Content_Types].xml": _XML + f'<Types xmlns="{_NS}/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    f'<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    f'</Types>',
    "_rels/.rels": _XML + f'<Relationships xmlns="{_NS}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS}/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'</Relationships>',
    "docProps/core.xml": _XML + f'<cp:coreProperties xmlns:cp="{_NS}/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>joinedup synth</dc:creator>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2025-07-01T00:00:00Z</dcterms:created></cp:coreProperties>',
    "xl/workbook.xml": _XML + f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{_NS}/officeDocument/2006/relationships">'
    '<sheets><sheet name="Extract" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_NS}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '</Relationships>',
}
_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _col_letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


class _Xlsx:
    """A minimal streaming XLSX writer (inline strings, one sheet).

    xlsxwriter (even with constant_memory) costs ~10 microseconds a cell, which made the two XLSX
    layouts most of the run time; this writes the same OOXML parts directly into the zip, in
    bounded memory, with fixed timestamps so output is byte-identical for a seed. Every cell is text,
    as the ingest reads every value as text anyway.
    """

    def __init__(self, folder: Path, stem: str, header: list[str], max_rows: int) -> None:
        self.folder, self.stem, self.header, self.max_rows = folder, stem, header, max_rows
        self.refs = [_col_letters(i) for i in range(len(header))]
        self.part, self.row, self.zf, self.fh = 0, 0, None, None
        self._open()

    def _zinfo(self, name: str) -> zipfile.ZipInfo:
        zi = zipfile.ZipInfo(name, date_time=(2025, 7, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        return zi

    def _open(self) -> None:
        self._finish()
        self.part += 1
        self.zf = zipfile.ZipFile(self.folder / self._name(self.part), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.fh = self.zf.open(self._zinfo("xl/worksheets/sheet1.xml"), "w")
        self.fh.write((_XML + f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>').encode())
        self.row = 0
        self._rows([self.header])

    def _finish(self) -> None:
        if self.zf is None:
            return
        self.fh.write(b"</sheetData></worksheet>")
        self.fh.close()
        for name, text in _STATIC.items():
            self.zf.writestr(self._zinfo(name), text)
        self.zf.close()
        self.zf = None

    def _name(self, part: int) -> str:
        return f"{self.stem}_{part:03d}.xlsx"

    def file_for(self, j: int) -> str:
        """Name of the part that the j-th row of the next write lands in."""
        room = self.max_rows - (self.row - 1)
        if j < room:
            return self._name(self.part)
        return self._name(self.part + 1 + (j - room) // self.max_rows)

    def _rows(self, rows: list[list[str]]) -> None:
        refs = self.refs
        out = []
        r = self.row
        for row in rows:
            r += 1
            cells = "".join(f'<c r="{refs[ci]}{r}" t="inlineStr"><is><t>{v.translate(_ESC)}</t></is></c>'
                            for ci, v in enumerate(row) if v != "")
            out.append(f'<row r="{r}">{cells}</row>')
        self.row = r
        self.fh.write("".join(out).encode("utf-8"))

    def write(self, rows: list[list[str]]) -> None:
        # a sheet holds at most 1,048,576 rows including the header: split into numbered parts
        i = 0
        while i < len(rows):
            room = self.max_rows - (self.row - 1)
            if room <= 0:
                self._open()
                continue
            self._rows(rows[i:i + room])
            i += room

    def close(self) -> None:
        self._finish()


class _Parquet:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.schema = pa.schema([(h, pa.string()) for h in header])
        self.w = pq.ParquetWriter(str(path), self.schema, compression="snappy")
        self.header = header
        self.name = path.name

    def write(self, rows: list[list[str]]) -> None:
        if not rows:
            return
        cols = list(zip(*rows))
        # blanks are nulls in Parquet, as a real export would write them
        arrays = []
        for col in cols:
            a = pa.array(col, type=pa.string())
            arrays.append(pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a))
        self.w.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def file_for(self, j: int) -> str:
        return self.name

    def close(self) -> None:
        self.w.close()


class Sinks:
    """All open extract files of a world, keyed by (source, file stem)."""

    def __init__(self, root: Path, xlsx_max_rows: int) -> None:
        self.root, self.xlsx_max_rows = root, xlsx_max_rows
        self.open: dict[tuple[str, str], Any] = {}

    def _get(self, src: str, lay: Layout, fs: FileSpec, header: list[str] | None = None) -> Any:
        key = (src, fs.stem)
        if key not in self.open:
            folder = self.root / src
            folder.mkdir(parents=True, exist_ok=True)
            header = header or [h for h, _ in fs.columns]
            if lay.fmt == "xlsx":
                self.open[key] = _Xlsx(folder, fs.stem, header, self.xlsx_max_rows)
            elif lay.fmt == "parquet":
                self.open[key] = _Parquet(folder / f"{fs.stem}{lay.ext}", header)
            else:
                self.open[key] = _Csv(folder / f"{fs.stem}{lay.ext}", lay, header)
        return self.open[key]

    def write(self, src: str, lay: Layout, fs: FileSpec, header: list[str], rows: list[list[str]]) -> None:
        """Append rows to a source's file (opened, with its header, on first use)."""
        self._get(src, lay, fs, header).write(rows)

    def file_for(self, src: str, lay: Layout, fs: FileSpec, j: int) -> str:
        """File name the j-th row of the next write to this file goes to."""
        return self._get(src, lay, fs).file_for(j)

    def close(self) -> None:
        """Close every file."""
        for s in self.open.values():
            s.close()
        self.open.clear()
