"""Which run of a later stage the web application may show: one rule for every page and API route (issue 15).

The later stages store their output in the warehouse, computed on the data as known on some date (their --as-of, or
the day they ran). Served with `serve --as-of D`, the application reads records as known on D, and a stage's output is
shown only when it was computed on data as of a date on or before D: the run as of D itself, or the newest before it,
labelled "computed on data as of X". Otherwise the page says that the stage has not been computed for D and gives the
command that computes it; it never shows output computed on data from after D.

How each stage keeps its runs (and so what can be shown):
- network: `joinedup network` replaces network_edge / network_member / network_group on every run; network_run keeps a
  row per run. Only the latest run's output is there to show.
- justice: the same (justice_run keeps a row per run; the lists hold the latest run's rows). A justice run that used the
  network stage's groups is shown as of D only when that network run was computed on data as of D or before.
- risk: `joinedup risk` keeps one queue per (as-of date, organisation); the newest as of D or before is shown.
- statistics: the web application makes the publication itself, as of D (data_stats.py); it counts the network stage's
  groups, so it is made only when the stored network run fits D (or the network stage never ran).

A run without an as-of date (the current data) counts as computed on data as of the day it ran (the risk stage's own
convention for a network run). Served without --as-of, the latest run is shown, as before.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

from joinedup.warehouse.engine import run_data_date
from joinedup.web.data import Warehouse

# `joinedup ...` to compute a stage as of a date ({db}: FILE, not the server's path; {d}: the date)
COMMANDS = {
    "network": "joinedup network --db {db} --as-of {d}",
    "justice": "joinedup justice --db {db} --export-dir DIR --as-of {d}",
    "risk": "joinedup risk --db {db} --as-of {d}",
    "statistics": "joinedup network --db {db} --as-of {d}",  # the publication counts the network stage's groups
}
TITLES = {"network": "network", "justice": "justice", "risk": "risk", "statistics": "statistics"}
# a run's date: its as-of date, or (a run on the current data) the day it ran
_BUILT = run_data_date()


def _iso(d: dt.date | dt.datetime | None) -> str | None:
    if d is None:
        return None
    return (d.date() if isinstance(d, dt.datetime) else d).isoformat()


def _stamp(t: dt.datetime | None) -> str | None:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else None


def _rows(wh: Warehouse, table: str) -> bool:
    return wh.has_table(table) and wh.count(table) > 0


def _network_latest(wh: Warehouse) -> dict[str, Any] | None:
    """The network run whose output the tables hold (network replaces them on each run), with its data date."""
    if not (wh.has_table("network_group") and _rows(wh, "network_run")):
        return None
    row = wh.cur().execute(f"""SELECT run_id, as_of, finished_at, linkage, n_groups, {_BUILT} FROM w.main.network_run
                               ORDER BY finished_at DESC NULLS LAST LIMIT 1""").fetchone()
    return {"run_id": row[0], "as_of": _iso(row[1]), "finished_at": _stamp(row[2]), "linkage": bool(row[3]),
            "groups": row[4], "data_as_of": row[5]}


def _network_before(wh: Warehouse, started: dt.datetime | None) -> dt.date | None:
    """The data date of the network run a later stage started at `started` used (the latest finished before it)."""
    if not _rows(wh, "network_run"):
        return None
    row = wh.cur().execute(f"""SELECT {_BUILT} FROM w.main.network_run WHERE ? IS NULL OR finished_at <= ?
                               ORDER BY finished_at DESC NULLS LAST LIMIT 1""", [started, started]).fetchone()
    return row[0] if row else None


def _justice_latest(wh: Warehouse) -> dict[str, Any] | None:
    if not _rows(wh, "justice_run"):
        return None
    row = wh.cur().execute(f"""SELECT run_id, as_of, finished_at, network_used, crimes_in_scope, downgrades, disregards,
                                      reopen, {_BUILT}, started_at
                               FROM w.main.justice_run ORDER BY started_at DESC LIMIT 1""").fetchone()
    out = {"run_id": row[0], "as_of": _iso(row[1]), "finished_at": _stamp(row[2]), "network_used": bool(row[3]),
           "crimes_in_scope": row[4], "counts": {"downgrades": row[5], "disregards": row[6], "reopen": row[7]},
           "data_as_of": row[8]}
    if out["network_used"]:  # its reopen ranking counted that network run's groups: their data date counts too
        net = _network_before(wh, row[9])
        if net is not None and net > out["data_as_of"]:
            out["data_as_of"], out["network_as_of"] = net, net.isoformat()
    return out


def _risk_latest(wh: Warehouse, org: str | None) -> dict[str, Any] | None:
    """The queue run for an organisation: its own if any, else the national one; as of the served date or before."""
    if not _rows(wh, "risk_run"):
        return None
    if wh.as_of is None:  # the latest, the organisation's own first
        order, args = "(org = ?) DESC NULLS LAST, created_at DESC", [org, org]
        where = "org IS NULL OR org = ?"
    else:  # the newest data date not after the served date; the organisation's own first on that date
        order, args = "as_of DESC, (org = ?) DESC NULLS LAST, created_at DESC", [org, wh.as_of, org]
        where = "(org IS NULL OR org = ?) AND as_of <= ?"
    row = wh.cur().execute(f"""SELECT run_id, as_of, org, created_at, children, flagged FROM w.main.risk_run
                               WHERE {where} ORDER BY {order} LIMIT 1""", args).fetchone()
    if row is None:
        return None
    return dict(zip(("run_id", "as_of", "org", "created_at", "children", "flagged"), row)) | {"data_as_of": row[1]}


def _label(wh: Warehouse, run: dict[str, Any]) -> dict[str, Any]:
    """The run with the date its data was as of, and the words a page shows about it."""
    built = run.pop("data_as_of")
    out = dict(run)
    if wh.as_of is not None:  # (served today, the run's own as_of says it; a pseudonymised view holds no full day)
        same = built == wh.as_of
        out["computed_as_of"] = _iso(built)
        out["label"] = (f"computed on data as of {_iso(built)}" + ("" if same else
                        f" (the newest on or before {wh.as_of.isoformat()}, the date this server shows)"))
    return out


def _read(wh: Warehouse, stage: str, org: str | None) -> dict[str, Any] | None:
    if stage == "network":
        return _network_latest(wh)
    if stage == "justice":
        return _justice_latest(wh)
    if stage == "risk":
        return _risk_latest(wh, org)
    raise ValueError(f"unknown stage {stage}")


def stage_run(wh: Warehouse, stage: str, org: str | None = None) -> dict[str, Any] | None:
    """The stage's run this server may show (labelled with the date its data was as of), or None.

    None when the stage never ran, or (served --as-of D) when its stored output was computed on data from after D.
    `org`: the risk stage keeps a queue per organisation; the principal's own comes first. Read once per served
    warehouse (it is read-only while served).
    """
    cache = _cache(wh)
    key = (stage, org if stage == "risk" else None)
    if key not in cache:
        run = _read(wh, stage, org)
        if run is not None and wh.as_of is not None and run["data_as_of"] is not None and run["data_as_of"] > wh.as_of:
            run = None
        cache[key] = _label(wh, run) if run is not None else None
    return dict(cache[key]) if cache[key] is not None else None


def ran(wh: Warehouse, stage: str) -> bool:
    """Whether the stage stored any output in this warehouse (whatever its date)."""
    return {"network": lambda: _network_latest(wh) is not None, "justice": lambda: _rows(wh, "justice_run"),
            "risk": lambda: _rows(wh, "risk_run")}[stage]()


def unavailable(wh: Warehouse, stage: str) -> dict[str, Any]:
    """Why a stage has nothing to show on this server, and the command that computes it (for the page and the API)."""
    d = wh.as_of.isoformat() if wh.as_of else None
    if stage == "statistics":
        cmd = COMMANDS["statistics"].format(db="FILE", d=d)
        net = stage_latest_date(wh, "network")
        return {"stage": "statistics", "as_of": d, "ran": True, "computed_as_of": net, "command": cmd,
                "message": f"The statistics as of {d} would count the groups of the stored network run, which was "
                           f"computed on data as of {net}, after {d}. Run {cmd} and restart the server."}
    title = TITLES[stage]
    if wh.as_of is None or not ran(wh, stage):
        cmd = COMMANDS[stage].format(db="FILE", d=d or "DATE")
        if d is None:
            cmd = cmd.replace(" --as-of DATE", "")
        return {"stage": stage, "as_of": d, "ran": False, "computed_as_of": None, "command": cmd,
                "message": f"The {title} stage has not been run on this warehouse, so there is nothing to show yet. "
                           f"No figures are made up in its place. Run {cmd} and restart the server."}
    cmd = COMMANDS[stage].format(db="FILE", d=d)
    latest = stage_latest_date(wh, stage)
    kept = {"risk": "no queue as of that date or before is stored",
            "network": "the warehouse keeps only the latest network run",
            "justice": "the warehouse keeps only the latest justice run"}[stage]
    why = f"the stored {title} output was computed on data as of {latest}" if latest else f"no {title} run fits"
    if stage == "justice" and latest and (_justice_latest(wh) or {}).get("network_as_of") == latest:
        why = f"the stored justice run used network groups computed on data as of {latest}"
    return {"stage": stage, "as_of": d, "ran": True, "computed_as_of": latest, "command": cmd,
            "message": f"The {title} stage has not been computed on data as of {d} or before: {why} ({kept}), and "
                       f"nothing from after {d} is shown. Run {cmd} and restart the server."}


def explain(wh: Warehouse, stage: str) -> dict[str, Any]:
    """{"unavailable": ...} for a payload with nothing to show when served as of a date (served today: {}, as before)."""
    return {"unavailable": unavailable(wh, stage)} if wh.as_of is not None else {}


def stage_latest_date(wh: Warehouse, stage: str) -> str | None:
    """The data date of the stage's newest stored output (whatever the served date)."""
    if stage == "risk":
        row = wh.cur().execute("SELECT max(as_of) FROM w.main.risk_run").fetchone() if _rows(wh, "risk_run") else None
        return _iso(row[0]) if row else None
    run = _network_latest(wh) if stage == "network" else _justice_latest(wh)
    return _iso(run["data_as_of"]) if run else None


def statistics_blocked(wh: Warehouse) -> dict[str, Any] | None:
    """Served --as-of D: the reason the publication cannot be made as of D (its network run is later), else None."""
    if wh.as_of is None or _network_latest(wh) is None or stage_run(wh, "network") is not None:
        return None
    return unavailable(wh, "statistics")


_CACHES: "weakref.WeakKeyDictionary[Warehouse, dict]" = weakref.WeakKeyDictionary()


def _cache(wh: Warehouse) -> dict:
    return _CACHES.setdefault(wh, {})


def stage_landed(wh: Warehouse, key: str) -> bool:
    """Whether a page (Warehouse.STAGES key) has a run to show on this server (any organisation's, for risk)."""
    if key == "groups":
        return stage_run(wh, "network") is not None
    if key == "justice":
        return stage_run(wh, "justice") is not None
    if key == "risk":
        if not _rows(wh, "risk_run"):
            return False
        return wh.as_of is None or bool(wh.cur().execute("SELECT count(*) FROM w.main.risk_run WHERE as_of <= ?",
                                                         [wh.as_of]).fetchone()[0])
    if key == "statistics":
        return statistics_blocked(wh) is None
    raise ValueError(f"unknown page {key}")
