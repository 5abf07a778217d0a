"""`joinedup demo`: every stage that exists so far, on a small synthetic world, with a short summary."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from joinedup.cli_common import fail, print_json, progress_bar


def suspects_ethnicity_completeness(db: Path) -> list[tuple[str, int, int]]:
    """Per police force: suspects and how many have a self-defined ethnicity recorded (aggregate only)."""
    from joinedup.warehouse import connect

    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT org_code, count(*) AS suspects, "
            "count(*) FILTER (WHERE ethnicity_self NOT IN ('NR', 'NS', 'REFU')) AS recorded "
            "FROM person_record WHERE agency_type = 'police' AND role = 'SUSPECT' GROUP BY org_code ORDER BY org_code"
        ).fetchall()
    finally:
        con.close()


def run_demo(out: Path, people: int, seed: int, progress: Any = None) -> dict:
    """Generate a world, ingest it and link it; return a summary of each stage."""
    from joinedup.ingest import ingest
    from joinedup.synth import generate

    summary: dict[str, Any] = {"out": str(out)}
    t0 = time.perf_counter()
    world = out / "world"
    summary["synth"] = generate(world, people=people, seed=seed, forces=3)
    summary["synth_seconds"] = round(time.perf_counter() - t0, 2)
    db = out / "joinedup.duckdb"
    ing = ingest(world / "extracts", db, progress=progress)
    summary["ingest"] = {k: v for k, v in ing.to_dict().items() if k != "files"}
    rows = suspects_ethnicity_completeness(db)
    total = sum(r[1] for r in rows)
    rec = sum(r[2] for r in rows)
    summary["suspect_ethnicity_recorded"] = {
        "suspects": total, "recorded": rec, "percent": round(100 * rec / total, 1) if total else None,
        "by_force": [{"force": r[0], "suspects": r[1], "recorded": r[2]} for r in rows],
    }
    from joinedup.link import export_clusters, link_warehouse

    summary["link"] = link_warehouse(str(db))
    summary["link"]["exported"] = export_clusters(str(db), str(out / "clusters.csv"))
    # the analysis stages, each reading what linkage wrote (imported here: each loads its own libraries)
    from joinedup.justice import run_justice
    from joinedup.network.core import run_network
    from joinedup.risk.queue import run_queue
    from joinedup.stats import run_stats
    from joinedup.web import demo_accounts

    summary["network"] = run_network(db)
    summary["justice"] = run_justice(db, out / "justice")
    queue = run_queue(db, export=out / "queue.csv")
    summary["risk"] = {"children": queue.children, "flagged": queue.flagged, "export": str(out / "queue.csv")}
    summary["stats"] = run_stats(db, out / "stats")
    summary["web"] = demo_accounts(str(db), f"{db}.state.sqlite")
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    summary["warehouse"] = str(db)
    return summary


def _render(s: dict, console: Console) -> None:
    ing = s["ingest"]
    console.print(f"[bold]joinedup demo[/] in {s['seconds']} s: warehouse {s['warehouse']}")
    t = Table(show_header=True)
    t.add_column("stage")
    t.add_column("result")
    synth = s["synth"]
    t.add_row("synth", f"{synth['people']:,} people, {synth['person_records']:,} person records, {synth['total_rows']:,} rows "
                       f"in {len(synth['sources'])} agency extracts ({synth['invalid_rows']} invalid on purpose)")
    t.add_row("ingest", f"{ing['rows_read']:,} rows read = {ing['rows_loaded']:,} loaded + {ing['rows_quarantined']:,} "
                        f"quarantined ({'balanced' if ing['balanced'] else 'NOT balanced'}); {ing['field_issues']:,} field issues")
    e = s["suspect_ethnicity_recorded"]
    by = "; ".join(f"{f['force']} {100 * f['recorded'] / f['suspects']:.0f}%" for f in e["by_force"] if f["suspects"])
    t.add_row("completeness", f"suspects' self-defined ethnicity recorded: {e['percent']}% of {e['suspects']:,} ({by})")
    lk = s["link"]
    t.add_row("link", f"{lk['records']:,} person records -> {lk['persons']:,} persons ({lk['links']:,} links) in "
                      f"{lk['run_time_seconds']:.1f} s; clusters in {s['out']}/clusters.csv")
    n, j, r, st = s["network"], s["justice"], s["risk"], s["stats"]
    t.add_row("network", f"{n['groups']:,} offender groups ({n['cross_force_groups']} across forces, "
                         f"{n['never_charged_groups']} never charged) from {n['edges']:,} dated edges")
    t.add_row("justice", f"{j['downgrades']} downgraded charges, {j['disregards']} convictions to disregard, "
                         f"{j['reopen']} cases to reopen; lists in {s['out']}/justice/")
    t.add_row("risk", f"{r['flagged']:,} of {r['children']:,} children flagged for review (a person decides); {r['export']}")
    t.add_row("stats", f"{len(st['tables'])} tables with disclosure control in {st['out']}/ (ODS, CSV, HTML, PDF)")
    console.print(t)
    console.print("Next: `joinedup quarantine --db " + s["warehouse"] + "` shows what was not loaded and why; "
                  "`joinedup group GROUP_ID --db " + s["warehouse"] + "` shows one group.", soft_wrap=True)
    console.print("\n".join(s["web"]), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the demo command to the CLI."""

    @app.command("demo")
    def demo_cmd(
        out: Annotated[Path, typer.Option("--out", help="Folder for the world, warehouse and outputs.")] = Path("demo"),
        people: Annotated[int, typer.Option(help="People in the synthetic world.")] = 5000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        overwrite: Annotated[bool, typer.Option(help="Replace an existing demo folder.")] = True,
        json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
    ) -> None:
        """Run every stage on a small synthetic world (synth, ingest, link, network, justice, risk, stats) and summarise."""
        if people < 1:
            fail("--people must be at least 1")
        if out.exists():
            if not overwrite:
                fail(f"{out} exists; pass --overwrite or another --out")
            if not (out / "world").exists() and any(out.iterdir()):
                fail(f"{out} exists and is not a joinedup demo folder; choose another --out")
            shutil.rmtree(out)
        out.mkdir(parents=True)
        with progress_bar("demo", enabled=not json_out) as update:
            s = run_demo(out, people, seed, progress=update)
        if json_out:
            print_json(s)
        else:
            _render(s, Console())
