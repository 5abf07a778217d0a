"""Statistics page: the disclosure-controlled publication (joinedup.stats) and its files to download."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse

from joinedup.web.data_stats import Publication
from joinedup.web.stage_runs import statistics_blocked


def add_stats_routes(app: FastAPI, guard, page, record, wh, *, state: str) -> None:
    """/statistics, /api/statistics and /statistics/download/{name} (every download audited)."""
    pub = Publication(wh, wh.db, state)

    def data(request: Request) -> dict[str, Any]:
        p, _ = guard(request, "statistics")
        blocked = statistics_blocked(wh)
        if blocked is not None:  # served as of a date the stored network run is later than: nothing to make
            record(p, "statistics.view", target="statistics", landed=False)
            return {"landed": False, "as_of": blocked["as_of"], "unavailable": blocked, "files": [], "tables": [],
                    "key_points": [], "settings": {"threshold": 5, "round": 0, "min_completeness": 0.6}}
        s = pub.ensure()
        record(p, "statistics.view", target="statistics")
        return {"landed": True, "link_run": s.get("link_run"), "as_of": s.get("as_of"), "network_stage": s.get("network_stage"),
                "settings": {"threshold": s.get("threshold"), "round": s.get("round"),
                             "min_completeness": s.get("min_completeness")},
                "suppressed_cells": s.get("suppressed_cells"), "headline": (s.get("headline") or {}).get("text"),
                "key_points": s.get("key_points", []), "tables": s.get("tables", []), "files": pub.files(s)}

    @app.get("/statistics", include_in_schema=False)
    def statistics_page(request: Request):
        return page(request, "statistics.html", {"d": data(request)})

    @app.get("/api/statistics", tags=["statistics"])
    def statistics_api(request: Request) -> dict[str, Any]:
        """The national statistics publication (aggregate, disclosure-controlled): headline, key points, tables and
        the files to download."""
        return data(request)

    @app.get("/statistics/download/{name}", tags=["statistics"])
    def statistics_download(request: Request, name: str):
        """One publication file (statistics.ods, report.html, table_N.csv, a chart); the download is audited."""
        p, _ = guard(request, "statistics")
        found = None if statistics_blocked(wh) is not None else pub.path_of(name, pub.ensure())
        if found is None:
            if request.headers.get("accept", "").startswith("application/json"):
                return JSONResponse({"detail": "no such publication file"}, status_code=404)
            return page(request, "error.html", {"title": "Page not found",
                                                "message": "There is no such publication file."}, 404)
        path, media = found
        record(p, "statistics.download", target=f"statistics:{name}", bytes=path.stat().st_size)
        return FileResponse(path, media_type=media, filename=name)
