"""Attrition charts: crimes at each stage by year, and the median time between stages, one PNG per force and one national."""

from __future__ import annotations

from pathlib import Path

STAGE_LABELS = {"reported": "Reported", "suspect_identified": "Suspect identified", "charged": "Charged",
                "prosecuted": "Prosecuted", "convicted": "Convicted"}
# the time from the stage before, shown on each stage's bar
STAGE_TIMES = {"suspect_identified": "report_to_suspect", "charged": "suspect_to_charge",
               "prosecuted": "charge_to_prosecution", "convicted": "prosecution_to_conviction"}


def _time_text(total: dict, stage: str) -> str:
    """', median 42 d (of 17)' for a stage whose median time from the stage before is known, else ''."""
    name = STAGE_TIMES.get(stage)
    med = total.get(f"median_days_{name}") if name else None
    return "" if med is None else f", median {med:.0f} d (of {total.get(f'crimes_{name}', 0)})"


def attrition_charts(rows: list[dict], out_dir: Path) -> list[Path]:
    """Write attrition_<force>.png (and attrition_ALL.png, national) from attrition rows; return the paths."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    paths = []
    for force in sorted({r["force"] for r in rows}):
        by_year = sorted((r for r in rows if r["force"] == force and r["year"] is not None), key=lambda r: r["year"])
        total = next((r for r in rows if r["force"] == force and r["year"] is None), None)
        if not by_year or total is None:
            continue
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
        # a year with no crime in scope is a zero, not a gap to draw a line across
        per_year = {r["year"]: r for r in by_year}
        years = list(range(by_year[0]["year"], by_year[-1]["year"] + 1))
        for stage, label in STAGE_LABELS.items():
            ax1.plot(years, [per_year[y][stage] if y in per_year else 0 for y in years], marker="o", markersize=3, label=label)
        ax1.set_title(f"{'All forces (national)' if force == 'ALL' else 'Force ' + force}: crimes by year of report")
        ax1.set_xlabel("year reported")
        ax1.set_ylabel("crimes (CSE flag or child sexual offence)")
        ax1.legend(fontsize=8)
        ax1.grid(alpha=0.3)
        vals = [total[s] for s in STAGE_LABELS]
        bars = ax2.barh(list(STAGE_LABELS.values())[::-1], vals[::-1], color="#1d70b8")
        for b, v, stage in zip(bars, vals[::-1], list(STAGE_LABELS)[::-1]):
            pct = f" ({100 * v / vals[0]:.0f}%)" if vals[0] else ""
            ax2.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v}{pct}{_time_text(total, stage)}", va="center",
                     fontsize=7)
        ax2.set_title("all years: attrition\nmedian days from the stage before (crimes timed)", fontsize=9)
        ax2.set_xlim(0, max(vals) * 2.2 if max(vals) else 1)
        fig.tight_layout()
        p = out_dir / f"attrition_{force}.png"
        fig.savefig(p, dpi=80)
        plt.close(fig)
        paths.append(p)
    return paths
