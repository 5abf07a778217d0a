"""Publication files: one CSV per table and an ODS workbook laid out as the government guidance for
releasing statistics in spreadsheets asks (cover sheet, contents, notes, one table per sheet, no merged
cells, no blank rows inside a table, shorthand symbols explained in the notes)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import ParagraphProperties, Style, TableCellProperties, TableColumnProperties, TextProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

from joinedup.stats.build import Publication
from joinedup.stats.tables import StatTable

TITLE = "Group-based child sexual exploitation: data completeness and the ethnicity and nationality of suspects and victims"


def write_csvs(pub: Publication, out: Path) -> list[Path]:
    """One CSV per table (header row then data rows, symbols as text)."""
    d = out / "csv"
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in pub.tables:
        p = d / f"{t.key.lower()}.csv"
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(t.columns)
            w.writerows(t.rows)
        paths.append(p)
    return paths


class _Styles:
    def __init__(self, doc: OpenDocumentSpreadsheet) -> None:
        self.title = Style(name="title", family="table-cell")
        self.title.addElement(TextProperties(fontsize="16pt", fontweight="bold"))
        self.head = Style(name="head", family="table-cell")
        self.head.addElement(TextProperties(fontweight="bold"))
        self.head.addElement(TableCellProperties(wrapoption="wrap"))
        self.num = Style(name="num", family="table-cell")
        self.num.addElement(ParagraphProperties(textalign="end"))
        self.wide = Style(name="wide", family="table-column")
        self.wide.addElement(TableColumnProperties(columnwidth="5cm"))
        self.col = Style(name="col", family="table-column")
        self.col.addElement(TableColumnProperties(columnwidth="3.2cm"))
        for s in (self.title, self.head, self.num):
            doc.automaticstyles.addElement(s)
        for s in (self.wide, self.col):
            doc.automaticstyles.addElement(s)


def _cell(value: object, style: Style | None = None) -> TableCell:
    if isinstance(value, bool) or value is None:
        value = "" if value is None else str(value)
    if isinstance(value, (int, float)):
        c = TableCell(valuetype="float", value=value, stylename=style) if style else TableCell(valuetype="float", value=value)
    else:
        c = TableCell(valuetype="string", stylename=style) if style else TableCell(valuetype="string")
    c.addElement(P(text=str(value)))
    return c


def _row(values: list, style: Style | None = None) -> TableRow:
    r = TableRow()
    for v in values:
        r.addElement(_cell(v, style))
    return r


def _sheet(name: str, st: _Styles, ncols: int, lines: list[tuple[list, Style | None]]) -> Table:
    tab = Table(name=name)
    tab.addElement(TableColumn(stylename=st.wide))
    if ncols > 1:
        tab.addElement(TableColumn(numbercolumnsrepeated=ncols - 1, stylename=st.col))
    for values, style in lines:
        tab.addElement(_row(values, style))
    return tab


def write_ods(pub: Publication, out: Path) -> Path:
    """The workbook: Cover, Contents, Notes, then one sheet per table."""
    doc = OpenDocumentSpreadsheet()
    st = _Styles(doc)
    s = pub.settings
    made = datetime.now(timezone.utc).strftime("%d %B %Y")
    cover = [
        ([TITLE], st.title),
        (["This workbook is the statistical release made by `joinedup stats` from a linked warehouse."], None),
        (["About these statistics"], st.head),
        (["How completely agencies record the ethnicity, nationality, date of birth and sex of people in their "
          "records, in particular of suspects in group-based child sexual exploitation, and what the recorded data "
          "can and cannot say about the ethnicity and nationality of suspects and victims."], None),
        (["Headline"], st.head),
        ([pub.headline.get("text", "")], None),
        (["Data"], st.head),
        (["Synthetic data made by joinedup's generator: no real person appears. "
          + (f"As known on {pub.as_of.isoformat()}." if pub.as_of else "Current state of the warehouse.")
          + (f" Person ids from linkage run {pub.link_run} (linkage is the latest run, not as of a date)."
             if pub.link_run else "")], None),
        (["Disclosure control"], st.head),
        ([f"Counts from 1 to {s.threshold - 1} are suppressed, with secondary suppression so that none can be "
          "recovered from totals" + (f"; counts are rounded to base {s.round_base}" if s.round_base > 1 else "")
          + ". See the notes sheet."], None),
        (["Shorthand"], st.head),
        (["[c] confidential (suppressed); [x] not available; [z] not applicable. Notes are referred to as [note 1] "
          "and so on and are listed on the Notes sheet."], None),
        (["Published"], st.head),
        ([made], None),
        (["Contact"], st.head),
        (["The joinedup project (open source); methods in docs/statistics.md."], None),
    ]
    doc.spreadsheet.addElement(_sheet("Cover", st, 1, cover))
    contents = [(["Contents"], st.title),
                (["This worksheet contains one table. Each table is on its own worksheet."], None),
                (["Sheet name", "Table title", "Notes"], st.head)]
    contents += [([t.key, t.title, " ".join(f"[note {n}]" for n in t.notes)], None) for t in pub.tables]
    doc.spreadsheet.addElement(_sheet("Contents", st, 3, contents))
    notes = [(["Notes"], st.title), (["This worksheet contains one table."], None),
             (["Note number", "Note text"], st.head)]
    notes += [([f"note {n}", text], None) for n, text in pub.notes]
    doc.spreadsheet.addElement(_sheet("Notes", st, 2, notes))
    for t in pub.tables:
        doc.spreadsheet.addElement(_table_sheet(t, st))
    path = out / "statistics.ods"
    doc.save(str(path))
    return path


def _table_sheet(t: StatTable, st: _Styles) -> Table:
    lines: list[tuple[list, Style | None]] = [
        ([f"{t.key.replace('_', ' ')}: {t.title}"], st.title),
        (["This worksheet contains one table. " + t.description], None),
    ]
    if t.notes:
        lines.append(([f"Notes that apply: {' '.join(f'[note {n}]' for n in t.notes)} (see the Notes sheet)."], None))
    if t.caveat:
        lines.append(([f"Caveat: {t.caveat}"], None))
    lines.append((["Source: joinedup linked warehouse (synthetic data)."], None))
    lines.append((t.columns, st.head))
    lines += [(list(r), None) for r in t.rows]
    return _sheet(t.key, st, len(t.columns), lines)
