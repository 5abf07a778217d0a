"""Append-only extract writers (CSV, XLSX in numbered parts, Parquet) kept open across chunks."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from joinedup.synth.layouts import FileSpec, Layout

FIXED_TIME = datetime.datetime(2025, 7, 1)  # workbook metadata time, fixed so output is byte-identical


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


class _Xlsx:
    def __init__(self, folder: Path, stem: str, header: list[str], max_rows: int) -> None:
        self.folder, self.stem, self.header, self.max_rows = folder, stem, header, max_rows
        self.part, self.row, self.wb, self.ws = 0, 0, None, None
        self._open()

    def _open(self) -> None:
        if self.wb is not None:
            self.wb.close()
        self.part += 1
        self.wb = xlsxwriter.Workbook(str(self.folder / self._name(self.part)), {"constant_memory": True, "strings_to_numbers": False})
        self.wb.set_properties({"created": FIXED_TIME, "author": "joinedup synth"})
        self.ws = self.wb.add_worksheet("Extract")
        self.ws.write_row(0, 0, self.header)
        self.row = 1

    def _name(self, part: int) -> str:
        return f"{self.stem}_{part:03d}.xlsx"

    def file_for(self, j: int) -> str:
        """Name of the part that the j-th row of the next write lands in."""
        room = self.max_rows - (self.row - 1)
        if j < room:
            return self._name(self.part)
        return self._name(self.part + 1 + (j - room) // self.max_rows)

    def write(self, rows: list[list[str]]) -> None:
        ws = self.ws
        for row in rows:
            if self.row > self.max_rows:  # a sheet holds at most 1,048,576 rows including the header
                self._open()
                ws = self.ws
            r = self.row
            for ci, v in enumerate(row):
                if v != "":
                    ws.write_string(r, ci, v)
            self.row += 1

    def close(self) -> None:
        self.wb.close()


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
        arrays = [pa.array([v if v != "" else None for v in col], type=pa.string()) for col in cols]
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
