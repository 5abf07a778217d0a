"""The statistics page's publication: `joinedup.stats` run once per warehouse into a cache folder, then served.

The publication is aggregate and disclosure-controlled (docs/statistics.md), so every case role may download it.
The server makes it itself, with the default settings (threshold 5, no rounding, 60% completeness, no PDF), on the
first request after a start, into `<folder of the --state file>/publication/<link run>-<network run>/` (for a
PostgreSQL --state: `<warehouse file>.publication/<link run>-<network run>/` beside the warehouse). A new link or
network run gets a new folder; a folder already made is reused after a restart. Served with --as-of D, the
publication is made as of D (folder name ending `-asof-D`), and only when the stored network run was computed on data
as of D or before (or the network stage never ran): it counts that run's groups (stage_runs.statistics_blocked).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from joinedup.web.data import Warehouse

# the files a download may name: nothing else in the folder is served
FILE_NAME = re.compile(r"^(statistics\.ods|report\.html|report\.pdf|table_\d{1,3}\.csv|[a-z_]{1,40}\.png)$")
KINDS = {".ods": ("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet"),
         ".csv": ("CSV", "text/csv; charset=utf-8"), ".html": ("HTML report", "text/html; charset=utf-8"),
         ".pdf": ("PDF report", "application/pdf"), ".png": ("chart (PNG)", "image/png")}


class Publication:
    """The publication files for one warehouse, made on first use and cached on disk."""

    def __init__(self, wh: Warehouse, db: str, state: str) -> None:
        self.wh, self.db = wh, db
        if "://" in state:
            self.root = Path(db).resolve().parent / f"{Path(db).name}.publication"
        else:
            self.root = Path(state).expanduser().resolve().parent / "publication"
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def _key(self) -> str:
        cur = self.wh.cur()
        link = cur.execute("SELECT run_id FROM link_run ORDER BY finished_at DESC LIMIT 1").fetchone()
        net = None
        if self.wh.has_table("network_run"):
            net = cur.execute("SELECT run_id FROM network_run ORDER BY finished_at DESC LIMIT 1").fetchone()
        raw = f"{link[0] if link else 'unlinked'}-{net[0] if net else 'nonetwork'}"
        if self.wh.as_of is not None:  # served as of a date: the publication as known on it (its own folder)
            raw += f"-asof-{self.wh.as_of.isoformat()}"
        return re.sub(r"[^A-Za-z0-9_.-]", "_", raw)

    def folder(self) -> Path:
        """Where this warehouse's publication is (or will be) kept (the warehouse is read-only while served)."""
        if self._folder is None:
            self._folder = self.root / self._key()
        return self._folder

    def ensure(self) -> dict[str, Any]:
        """The publication's summary, making the files first if this warehouse has none yet (one maker at a time)."""
        folder = self.folder()
        summary = folder / "summary.json"
        if summary.exists():
            return json.loads(summary.read_text())
        with self._lock:
            if summary.exists():
                return json.loads(summary.read_text())
            from joinedup.stats import run_stats

            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".making-", dir=self.root))
            try:
                s = run_stats(self.db, tmp, as_of=self.wh.as_of.isoformat() if self.wh.as_of else None, pdf=False)
                s["files"] = [str(Path(f).relative_to(tmp)) for f in s.get("files", [])]
                s.pop("out", None)
                (tmp / "summary.json").write_text(json.dumps(s, default=str, indent=1))
                try:
                    tmp.rename(folder)  # whole or not at all: a reader never sees half a publication
                except OSError:
                    if not summary.exists():  # another worker process made it first: use theirs
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            return json.loads(summary.read_text())

    def files(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        """The downloadable files, with what each is and its size."""
        folder = self.folder()
        titles = {f"table_{t['sheet'].split('_')[-1]}.csv": t["title"] for t in summary.get("tables", [])}
        out = []
        for rel in summary.get("files", []):
            name = Path(rel).name
            path = folder / rel
            if not FILE_NAME.match(name) or not path.is_file():
                continue
            kind = KINDS.get(path.suffix, ("file", "application/octet-stream"))[0]
            out.append({"name": name, "kind": kind, "bytes": path.stat().st_size,
                        "title": titles.get(name) or {"statistics.ods": "The workbook: cover, contents, notes and every table",
                                                       "report.html": "The readable report (charts are separate files)"}.get(name, name),
                        "url": f"/statistics/download/{name}"})
        return out

    def path_of(self, name: str, summary: dict[str, Any]) -> tuple[Path, str] | None:
        """The file behind a download name and its media type (None when the name is not a publication file)."""
        if not FILE_NAME.match(name or ""):
            return None
        for rel in summary.get("files", []):
            if Path(rel).name == name:
                path = self.folder() / rel
                if path.is_file():
                    return path, KINDS.get(path.suffix, ("file", "application/octet-stream"))[1]
        return None
