"""The readable report: an HTML page with charts (matplotlib PNG) and the same as PDF, caveats beside numbers."""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from joinedup.stats.build import Publication  # noqa: E402
from joinedup.stats.files import TITLE  # noqa: E402
from joinedup.stats.tables import StatTable  # noqa: E402


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _by_key(pub: Publication) -> dict[str, StatTable]:
    return {t.key: t for t in pub.tables}


def chart_league(t: StatTable, path: Path) -> str:
    """Bar chart: percentage of records with self-defined ethnicity, by organisation, with 95% CIs."""
    pct, lo, hi = (t.columns.index(c) for c in ("Recorded (percentage)", "95% CI lower (percentage)",
                                               "95% CI upper (percentage)"))
    org = t.columns.index("Organisation")
    rows = [r for r in t.rows[:-1] if _num(r[pct])][::-1]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.32 * len(rows) + 1)))
    ax.barh([r[org] for r in rows], [r[pct] for r in rows], color="#1d70b8",
            xerr=[[r[pct] - r[lo] for r in rows], [r[hi] - r[pct] for r in rows]], ecolor="#0b0c0c", capsize=3)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Records with self-defined ethnicity recorded (%), with 95% confidence interval")
    ax.set_title("Self-defined ethnicity recorded, by organisation")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return "Self-defined ethnicity recorded, by organisation (bars), with 95% confidence intervals (lines)."


def chart_profile(t: StatTable, path: Path) -> str:
    """Shares of suspects and victims by ethnic group: the share among the recorded, bounds and the population."""
    cols = {c: t.columns.index(c) for c in t.columns}
    groups = ["White", "Mixed", "Asian", "Black", "Other"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, role in zip(axes, ("Suspect", "Victim")):
        rows = {r[cols["Group"]]: r for r in t.rows if r[cols["Role"]] == role}
        for i, g in enumerate(groups):
            r = rows.get(g)
            if r is None:
                continue
            lb, ub = r[cols["Lower bound: no unrecorded person in group (percentage)"]], \
                r[cols["Upper bound: every unrecorded person in group (percentage)"]]
            if _num(lb) and _num(ub):
                ax.plot([i, i], [lb, ub], color="#b1b4b6", linewidth=10, solid_capstyle="butt",
                        label="Bounds for the missing" if i == 0 else None)
            sh = r[cols["Share of recorded (percentage)"]]
            if _num(sh):
                lo, hi = r[cols["95% CI lower (percentage)"]], r[cols["95% CI upper (percentage)"]]
                ax.errorbar(i, sh, yerr=[[sh - lo], [hi - sh]], fmt="o", color="#1d70b8", capsize=4,
                            label="Share of recorded, 95% CI" if i == 0 else None)
            pop = r[cols["Population share (percentage)"]]
            if _num(pop):
                ax.plot(i, pop, marker="_", markersize=22, color="#d4351c", label="Population (Census 2021)" if i == 0 else None)
        ax.set_xticks(range(len(groups)), groups)
        stmt = next(iter(rows.values()))[cols["Can the data support a statement?"]] if rows else ""
        ax.set_title(f"{role}s\n{textwrap.shorten(str(stmt), 60)}", fontsize=9)
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("Percentage")
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Ethnic group of suspects and victims (England and Wales, linked persons)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return ("Grey bars: where the true share must lie whatever the missing ethnicities are. Blue points: share among "
            "those recorded (only where enough are recorded). Red marks: share of the population.")


def chart_trend(t: StatTable, path: Path) -> str:
    """Line chart: percentage of suspect and victim records with ethnicity recorded, by year."""
    c = {x: t.columns.index(x) for x in t.columns}
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for role, colour in (("Suspect", "#1d70b8"), ("Victim", "#f47738")):
        rows = [r for r in t.rows if r[c["Role"]] == role and _num(r[c["Year recorded"]]) and _num(r[c["Recorded (percentage)"]])]
        ax.errorbar([r[c["Year recorded"]] for r in rows], [r[c["Recorded (percentage)"]] for r in rows],
                    yerr=[[r[c["Recorded (percentage)"]] - r[c["95% CI lower (percentage)"]] for r in rows],
                          [r[c["95% CI upper (percentage)"]] - r[c["Recorded (percentage)"]] for r in rows]],
                    fmt="o-", color=colour, capsize=2, label=f"{role} records")
    ax.set_ylim(0, 100)
    ax.set_ylabel("Ethnicity recorded (%)")
    ax.set_title("Self-defined ethnicity recorded, by year the crime was recorded")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return "Years with suppressed counts are left out; lines are 95% confidence intervals."


def charts(pub: Publication, out: Path) -> dict[str, tuple[str, str]]:
    """Draw every chart as PNG under out/img; returns table key -> (file name, caption)."""
    d = out / "img"
    d.mkdir(parents=True, exist_ok=True)
    t = _by_key(pub)
    made = {}
    for key, fn, name in (("Table_3", chart_league, "league.png"), ("Table_5", chart_trend, "trend.png"),
                          ("Table_10", chart_profile, "profile.png")):
        if key in t:
            made[key] = (f"img/{name}", fn(t[key], d / name))
    return made


def _html_table(t: StatTable) -> str:
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td class='{'n' if _num(v) else 't'}'>{html.escape(str(v))}</td>" for v in r)
                   + "</tr>" for r in t.rows)
    return f"<table><caption>{html.escape(t.key.replace('_', ' '))}: {html.escape(t.title)}</caption>" \
           f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """body{font-family:Arial,sans-serif;max-width:1100px;margin:2em auto;color:#0b0c0c;line-height:1.45}
h1{font-size:1.8em}.headline{border-left:6px solid #1d70b8;padding:.6em 1em;background:#f3f2f1;font-size:1.2em}
.caveat{border-left:6px solid #f47738;padding:.4em 1em;background:#fff7f0}table{border-collapse:collapse;font-size:.8em;
margin:1em 0;display:block;overflow-x:auto}th,td{border:1px solid #b1b4b6;padding:3px 6px}td.n{text-align:right}
caption{text-align:left;font-weight:bold}img{max-width:100%}"""


def write_html(pub: Publication, out: Path, images: dict[str, tuple[str, str]]) -> Path:
    """report.html: headline, what the figures can and cannot say, and every table with its caveat and chart."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(TITLE)}</title>"
             f"<style>{CSS}</style></head><body><h1>{html.escape(TITLE)}</h1>",
             f"<p class='headline'>{html.escape(pub.headline.get('text', ''))}</p>",
             "<h2>Key points</h2><ul>", *[f"<li>{html.escape(k)}</li>" for k in pub.key_points[1:]], "</ul>",
             "<h2>How to read these figures</h2><ul>",
             "<li>Ethnicity and nationality are often not recorded. Where too few are recorded, we do not give a share: "
             "we give the range the true figure must lie in instead.</li>",
             "<li>Small numbers are hidden ([c]) so that nobody can be identified, and some larger ones too, so the "
             "hidden ones cannot be worked out by subtraction.</li>",
             "<li>All figures come from synthetic (made-up) data.</li></ul>",
             "<h2>Notes</h2><ol>"]
    parts += [f"<li>{html.escape(text)}</li>" for _, text in pub.notes]
    parts.append("</ol>")
    for t in pub.tables:
        parts.append(f"<h2 id='{t.key}'>{html.escape(t.key.replace('_', ' '))}: {html.escape(t.title)}</h2>")
        parts.append(f"<p>{html.escape(t.description)}</p>")
        if t.caveat:
            parts.append(f"<p class='caveat'><strong>Caveat:</strong> {html.escape(t.caveat)}</p>")
        if t.key in images:
            src, cap = images[t.key]
            parts.append(f"<figure><img src='{src}' alt='{html.escape(cap)}'><figcaption>{html.escape(cap)}"
                         "</figcaption></figure>")
        parts.append(_html_table(t))
    parts.append("</body></html>")
    p = out / "report.html"
    p.write_text("\n".join(parts), encoding="utf-8")
    return p


def _text_page(pdf: PdfPages, title: str, paragraphs: list[str]) -> None:
    fig = plt.figure(figsize=(11.69, 8.27))
    fig.text(0.05, 0.93, "\n".join(textwrap.wrap(title, 90)), fontsize=15, weight="bold", va="top")
    y = 0.82
    for p in paragraphs:
        lines = textwrap.wrap(p, 150) or [""]
        fig.text(0.05, y, "\n".join(lines), fontsize=9.5, va="top")
        y -= 0.03 * len(lines) + 0.015
        if y < 0.05:
            break
    pdf.savefig(fig)
    plt.close(fig)


def _fixed(t: StatTable, start: int, stop: int) -> str:
    """Rows start..stop of a table as aligned fixed-width text, headers wrapped over up to four lines."""
    width = [min(60 if c.startswith("Can the data") else 22, max([len(str(r[i])) for r in t.rows] + [8]))
             for i, c in enumerate(t.columns)]
    heads = [textwrap.wrap(c, w)[:4] for c, w in zip(t.columns, width)]
    depth = max(len(h) for h in heads)
    lines = [" ".join((h[k] if k < len(h) else "").ljust(w) for h, w in zip(heads, width)) for k in range(depth)]
    lines.append(" ".join("-" * w for w in width))
    for r in t.rows[start:stop]:
        lines.append(" ".join((str(v)[:w].rjust(w) if _num(v) else str(v)[:w].ljust(w)) for v, w in zip(r, width)))
    return "\n".join(lines)


def write_pdf(pub: Publication, out: Path, images: dict[str, tuple[str, str]]) -> Path:
    """report.pdf: the headline and notes, each chart with its caveat, then each table (long ones over pages)."""
    p = out / "report.pdf"
    with PdfPages(p) as pdf:
        _text_page(pdf, TITLE, [pub.headline.get("text", ""), "", "Key points:"] + [f"- {k}" for k in pub.key_points[1:]]
                   + ["", "Notes:"] + [f"Note {n}. {x}" for n, x in pub.notes])
        for t in pub.tables:
            if t.key in images:
                img = plt.imread(out / images[t.key][0])
                fig = plt.figure(figsize=(11.69, 8.27))
                fig.text(0.05, 0.95, f"{t.key.replace('_', ' ')}: {t.title}", fontsize=12, weight="bold", va="top")
                fig.text(0.05, 0.90, "\n".join(textwrap.wrap(images[t.key][1] + " " + t.caveat, 150)), fontsize=9, va="top")
                ax = fig.add_axes((0.05, 0.05, 0.9, 0.78))
                ax.imshow(img)
                ax.axis("off")
                pdf.savefig(fig)
                plt.close(fig)
            # tables as fixed-width text: one text object per page keeps a long release fast to draw; wide tables
            # use the smaller type, so more rows fit a page (fewer pages: drawing a page is the cost)
            small = len(t.columns) > 10
            per = 60 if small else 45
            for start in range(0, max(1, len(t.rows)), per):
                fig = plt.figure(figsize=(11.69, 8.27))
                more = f" (rows {start + 1} to {min(len(t.rows), start + per)} of {len(t.rows)})" if len(t.rows) > per else ""
                fig.text(0.03, 0.97, f"{t.key.replace('_', ' ')}: {t.title}{more}", fontsize=11, weight="bold", va="top")
                if t.caveat:
                    fig.text(0.03, 0.93, "\n".join(textwrap.wrap("Caveat: " + t.caveat, 170)), fontsize=8, va="top")
                fig.text(0.03, 0.88, _fixed(t, start, start + per), fontsize=5.5 if small else 7,
                         family="monospace", va="top")
                pdf.savefig(fig)
                plt.close(fig)
    return p
