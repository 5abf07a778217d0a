"""Ctrl-C during an ingest: one line, exit 130, and the warehouse exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from joinedup.ingest import ingest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads CPU time from /proc")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _counts(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM crime), (SELECT count(*) FROM load_batch), "
                           "(SELECT count(*) FROM load_file), (SELECT count(*) FROM quarantine)").fetchall()[0]
    finally:
        con.close()


def test_ctrl_c_leaves_the_warehouse_as_it_was(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    before = _counts(db)
    # A big new file, so the second ingest is still running when it is interrupted.
    with (ext / "F01-testforce" / "crimes_big.csv").open("w") as f:
        f.write("CrimeRef,HOCode,CSE,Committed,Reported\n")
        f.writelines(f"B{i},22/1,N,01/01/2020,02/02/2020\n" for i in range(1_500_000))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    p = subprocess.Popen([sys.executable, "-c", "from joinedup.cli import main; main()", "ingest", str(ext), "--db", str(db),
                          "--mappings", str(maps)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # Start-up (imports) costs well under 1.5 s of CPU; interrupt once the ingest itself is running.
    deadline = time.time() + 60
    while p.poll() is None and _cpu_seconds(p.pid) < 1.5 and time.time() < deadline:
        time.sleep(0.05)
    assert p.poll() is None, "the ingest finished before it could be interrupted"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    lines = [x for x in err.decode().splitlines() if x.strip()]
    assert p.returncode == 130, err.decode()
    assert lines == ["ingest interrupted: nothing was loaded; the warehouse is as it was"]
    assert _counts(db) == before


def test_an_interrupted_first_ingest_leaves_no_warehouse(tiny, tmp_path, monkeypatch) -> None:
    ext, maps = tiny
    db = tmp_path / "new.duckdb"

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(ext, db, mappings_dir=maps, progress=stop)
    assert not db.exists()
