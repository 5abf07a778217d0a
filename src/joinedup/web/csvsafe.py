"""CSV for record-level exports, with spreadsheet formulae neutralised."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> str:
    """A cell a spreadsheet will show as text: values starting with = + - @ or a control character get a ' first."""
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def to_csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text, every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([neutralise(r.get(c)) for c in columns])
    return buf.getvalue()
