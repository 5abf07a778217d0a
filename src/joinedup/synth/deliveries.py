"""Later monthly deliveries of the same world (`joinedup synth --deliveries N`).

Delivery 1 is the world in OUT/extracts (extract date 2025-07-01, the day after the world ends). Deliveries
2..N are full snapshots, one a month, in OUT/deliveries/delivery-NN/<source>/<stem>_<YYYYMMDD>.<ext>, each holding
every change of the deliveries before it plus its own: people who moved (new address and postcode), dates
corrected (a crime's dates or an event's start), pending outcomes finalised, events recorded in error withdrawn
and crimes cancelled (withdrawn with their links and outcomes). truth/deliveries.csv lists each change once, in
the delivery that made it. Every change is decided by a hash of (seed, delivery, source, record id), so it does
not depend on how the world was chunked.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from joinedup.synth.layouts import FileSpec, Layout, event_date_fmt
from joinedup.synth.writers import Sinks

FIRST = date(2025, 7, 1)
RATES = {"moved": 0.01, "date_corrected": 0.005, "outcome_final": 0.35, "event_withdrawn": 0.003, "crime_cancelled": 0.002}
HEADER = ["delivery", "extract_date", "source", "file", "table", "source_record_id", "change", "field", "old", "new"]
PENDING = {"PEND"}


def extract_date(k: int) -> date:
    """The extract date of delivery k (1-based): the first of each month from July 2025."""
    m = FIRST.month - 1 + (k - 1)
    return date(FIRST.year + m // 12, m % 12 + 1, 1)


def delivery_folder(out: Path, k: int) -> Path:
    """Where delivery k (k >= 2) is written."""
    return Path(out) / "deliveries" / f"delivery-{k:02d}"


def _u(seed: int, k: int, src: str, srid: str, what: str) -> float:
    return zlib.crc32(f"{seed}|{k}|{src}|{srid}|{what}".encode()) / 2**32


def _fmt(d: date, fmt: str) -> str:
    if fmt == "%d/%m/%y":
        return f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"
    return d.strftime(fmt)


def _shift(text: str, fmt: str, days: int) -> str:
    """A date written in fmt, moved by some days (blank and unreadable values stay as they are)."""
    try:
        d = datetime.strptime(text, "%d/%m/%y" if fmt == "%d/%m/%y" else fmt).date()
    except ValueError:
        return text
    return _fmt(d + timedelta(days=days), fmt)


class DeliverySinks(Sinks):
    """The world's sinks, writing every row to delivery 1 and, changed, to deliveries 2..N."""

    def __init__(self, out: Path, xlsx_max_rows: int, seed: int, n: int) -> None:
        super().__init__(Path(out) / "extracts", xlsx_max_rows)
        self.seed, self.n = seed, n
        self.later = {k: Sinks(delivery_folder(out, k), xlsx_max_rows) for k in range(2, n + 1)}
        self.cancelled: dict[int, set[tuple[str, str]]] = {k: set() for k in range(2, n + 1)}
        self.fh = open(Path(out) / "truth" / "deliveries.csv", "w", newline="", encoding="utf-8")
        self.truth = csv.writer(self.fh, lineterminator="\n")
        self.truth.writerow(HEADER)

    def write(self, src: str, lay: Layout, fs: FileSpec, header: list[str], rows: list[Any]) -> None:
        """Write rows to delivery 1 and, with each delivery's changes, to the later ones."""
        super().write(src, lay, fs, header, rows)
        col = {key: header.index(h) for h, key in fs.columns if h in header}
        for k, sinks in self.later.items():
            out = []
            for row in rows:
                new = self._change(k, src, lay, fs, col, list(row))
                if new is not None:
                    out.append(new)
            sinks.write(src, lay, replace(fs, stem=f"{fs.stem}_{extract_date(k):%Y%m%d}"), header, out)

    def _note(self, k: int, src: str, fs: FileSpec, srid: str, change: str, field: str, old: str, new: str) -> None:
        self.truth.writerow([k, extract_date(k).isoformat(), src, fs.stem, fs.table, srid, change, field, old, new])

    def _change(self, k: int, src: str, lay: Layout, fs: FileSpec, col: dict[str, int], row: list[str]) -> list[str] | None:
        """Row as delivery k holds it (None: withdrawn), noting in truth the changes delivery k makes."""
        srid = row[col["srid"]]
        # a change made in delivery j stays in every later delivery, so apply j = 2..k in order
        for j in range(2, k + 1):
            u = lambda what: _u(self.seed, j, src, srid, what)  # noqa: E731
            new_here = j == k
            if fs.table == "crime" and u("cancel") < RATES["crime_cancelled"]:
                self.cancelled[k].add((src, srid))
                if new_here:
                    self._note(k, src, fs, srid, "crime_cancelled", "", "", "")
                return None
            if fs.table in ("crime_person", "outcome") and (src, row[col["crime_record_id"]]) in self.cancelled[k]:
                return None  # goes with its cancelled crime (noted once, on the crime)
            if fs.table == "event" and u("withdraw") < RATES["event_withdrawn"]:
                if new_here:
                    self._note(k, src, fs, srid, "event_withdrawn", "", "", "")
                return None
            if fs.table == "person_record" and "postcode" in col and row[col["postcode"]] and u("move") < RATES["moved"]:
                n = int(u("number") * 250) + 1
                fields = [("postcode", row[col["postcode"]][:-2] + "AB"[int(u("pc") * 2)] + "DEFGHJ"[int(u("pc2") * 6)])]
                if "address" in col:
                    fields.append(("address", f"{n} Moorland View, {row[col['address']].split(', ')[-1]}"))
                if "addr1" in col:
                    fields.append(("addr1", f"{n} Moorland View"))
                for key, val in fields:
                    if new_here:
                        self._note(k, src, fs, srid, "moved", key, row[col[key]], val)
                    row[col[key]] = val
            date_key = next((x for x in ("date_committed", "start_date") if x in col), None)
            if date_key and row[col[date_key]] and u("date") < RATES["date_corrected"]:
                fmt = event_date_fmt(lay) if date_key == "start_date" else lay.date_fmt
                old = row[col[date_key]]
                row[col[date_key]] = _shift(old, fmt, -int(1 + u("days") * 30))
                if new_here and row[col[date_key]] != old:
                    self._note(k, src, fs, srid, "date_corrected", date_key, old, row[col[date_key]])
            if fs.table == "outcome" and row[col["outcome_type"]] in PENDING and u("final") < RATES["outcome_final"]:
                final = "16" if u("which") < 0.8 else "15"
                d = _fmt(extract_date(j) - timedelta(days=int(1 + u("od") * 25)), lay.date_fmt)
                if new_here:
                    self._note(k, src, fs, srid, "outcome_final", "outcome_type", row[col["outcome_type"]], final)
                row[col["outcome_type"]] = final
                row[col["outcome_date"]] = d
        return row

    def close(self) -> None:
        """Close every delivery's files and the truth file."""
        super().close()
        for s in self.later.values():
            s.close()
        self.fh.close()
