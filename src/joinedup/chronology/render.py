"""A chronology as printable HTML with an inline SVG timeline (one lane per organisation), or as JSON."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from html import escape
from importlib import resources

import jinja2

# one colour per agency (GOV.UK palette), so a reader sees at a glance who held what
AGENCY_COLOUR = {"police": "#1d70b8", "csc": "#d4351c", "health": "#00703c", "education": "#f47738", "other": "#4c2c92"}


def timeline_svg(c: dict, width: int = 960) -> str:
    """An SVG picture: a lane per organisation, a mark per record, red dashed lines at missed chances."""
    entries = [e for e in c["entries"] if e["happened"]]
    if not entries:
        return "<p>No dated records.</p>"
    orgs = sorted({(e["agency_type"], e["org_code"]) for e in entries})
    lo = min(e["happened"] for e in entries).toordinal() - 30
    hi = max(e["happened"] for e in entries).toordinal() + 30
    left, lane, top = 150, 26, 34
    height = top + lane * len(orgs) + 30
    span = max(1, hi - lo)

    def x(d: date) -> float:
        return left + (d.toordinal() - lo) / span * (width - left - 10)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="Timeline of {len(entries)} records across {len(orgs)} organisations">']
    first, last = date.fromordinal(lo).year + 1, date.fromordinal(hi).year
    step = max(1, (last - first + 1) // 12)
    for yr in range(first, last + 1, step):
        xx = x(date(yr, 1, 1))
        out.append(f'<line x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" y2="{height - 24}" stroke="#dddddd"/>'
                   f'<text x="{xx:.1f}" y="{height - 10}" font-size="11" text-anchor="middle">{yr}</text>')
    for i, (agency, org) in enumerate(orgs):
        y = top + lane * i + lane / 2
        out.append(f'<text x="4" y="{y + 4:.1f}" font-size="12">{escape(org)} ({escape(agency)})</text>'
                   f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#b1b4b6"/>')
    for m in c["missed_chances"]:
        xx = x(m["date"])
        out.append(f'<line x1="{xx:.1f}" y1="{top - 10}" x2="{xx:.1f}" y2="{height - 24}" stroke="#d4351c" '
                   f'stroke-dasharray="4 3"><title>missed chance {m["date"]}: {escape(m["org_a"])} and '
                   f'{escape(m["org_b"])}</title></line>')
    for e in entries:
        i = orgs.index((e["agency_type"], e["org_code"]))
        y = top + lane * i + lane / 2
        col = AGENCY_COLOUR.get(e["agency_type"], "#505a5f")
        tip = escape(f"{e['happened']} {e['summary']} ({e['source']}:{e['record_id']})")
        if e["concern"]:
            out.append(f'<circle cx="{x(e["happened"]):.1f}" cy="{y:.1f}" r="5" fill="{col}"><title>{tip}</title></circle>')
        else:
            out.append(f'<circle cx="{x(e["happened"]):.1f}" cy="{y:.1f}" r="4" fill="white" stroke="{col}">'
                       f'<title>{tip}</title></circle>')
    lx = left
    for agency, col in AGENCY_COLOUR.items():
        if any(a == agency for a, _ in orgs):
            out.append(f'<circle cx="{lx}" cy="8" r="5" fill="{col}"/><text x="{lx + 8}" y="12" font-size="11">'
                       f'{escape(agency)}</text>')
            lx += 20 + 7 * len(agency)
    out.append(f'<circle cx="{lx}" cy="8" r="4" fill="white" stroke="#505a5f"/><text x="{lx + 8}" y="12" '
               f'font-size="11">routine contact</text><line x1="{lx + 110}" y1="2" x2="{lx + 110}" y2="14" '
               f'stroke="#d4351c" stroke-dasharray="4 3"/><text x="{lx + 116}" y="12" font-size="11">missed chance</text>')
    out.append("</svg>")
    return "".join(out)


def to_html(c: dict) -> str:
    """The chronology as one self-contained, printable HTML page."""
    from joinedup import __version__

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.from_string(resources.files("joinedup.chronology").joinpath("templates/chronology.html")
                          .read_text(encoding="utf-8"))
    return tpl.render(c=c, svg=timeline_svg(c), version=__version__,
                      made=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def to_json(c: dict) -> str:
    """The chronology as JSON (dates as ISO strings)."""
    return json.dumps(c, indent=2, default=lambda v: v.isoformat() if isinstance(v, (date, datetime)) else str(v))
