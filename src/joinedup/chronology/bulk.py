"""One chronology per child, for an inquiry or a case review (`chronology --all --out DIR`)."""

from __future__ import annotations

from datetime import date
from html import escape
from itertools import groupby
from pathlib import Path

from joinedup.chronology.build import assemble, ensure_linked, load_entries
from joinedup.chronology.render import to_html
from joinedup.errors import UserError
from joinedup.warehouse import connect
from joinedup.warehouse.asof import check_as_of

BATCH = 5000


def _was_child(c: dict) -> bool:
    """True when the person was under 18 at one of their concern records (by the earliest date of birth given)."""
    if not c["dob"]:
        return False
    dob = c["dob"][0]
    return any(e["concern"] and e["happened"] and (e["happened"] - dob).days < 18 * 365.25 for e in c["entries"])


def write_all(db: str | Path, out: str | Path, as_of: date | None = None) -> dict:
    """Write DIR/<person_id>.html for every child with a concern on file, and DIR/index.html; return a summary."""
    o = Path(out)
    if o.exists() and not o.is_dir():
        raise UserError(f"--out {out} is a file, not a folder")
    o.mkdir(parents=True, exist_ok=True)
    con = connect(db, read_only=True)
    try:
        ensure_linked(con)
        check_as_of(con, as_of)
        persons = [r[0] for r in con.execute("SELECT DISTINCT person_id FROM link_person ORDER BY 1").fetchall()]
        index = []
        # a batch of persons at a time, so memory stays flat however large the warehouse
        for i in range(0, len(persons), BATCH):
            for pid, es in groupby(load_entries(con, as_of, persons[i:i + BATCH]), key=lambda e: e["person_id"]):
                c = assemble(con, pid, as_of, list(es))
                if not _was_child(c):
                    continue
                (o / f"{pid}.html").write_text(to_html(c), encoding="utf-8")
                index.append((pid, ", ".join(c["names"]), len(c["entries"]), len(c["missed_chances"]), c["agencies"]))
    finally:
        con.close()
    rows = "".join(f'<tr><td><a href="{escape(p)}.html">{escape(p)}</a></td><td>{escape(n)}</td><td>{k}</td>'
                   f'<td>{m}</td><td>{escape(", ".join(a))}</td></tr>' for p, n, k, m, a in index)
    (o / "index.html").write_text(
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Chronologies</title></head>"
        "<body style='font-family:Arial'><h1>Chronologies</h1><p>" + (f"As known on {as_of}. " if as_of else "")
        + f"{len(index)} children. Synthetic data.</p><table><tr><th>Person</th><th>Names</th><th>Records</th>"
        f"<th>Missed chances</th><th>Agencies</th></tr>{rows}</table></body></html>", encoding="utf-8")
    return {"children": len(index), "out": str(o), "as_of": as_of.isoformat() if as_of else None,
            "with_missed_chances": sum(1 for r in index if r[3])}
