"""The audit log: append-only, each entry hash-chained to the one before, so edits, deletions and swaps show."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from joinedup.state.db import Base

GENESIS = "0" * 64
WAIT_SECONDS = 10.0  # how long an append waits for another process's write lock on SQLite
_LOCK = threading.Lock()  # one writer at a time inside a process; PostgreSQL also takes a table lock


class AuditLog(Base):
    """One audited action: who (name, role, organisation), what, on which target, why, when; chained by hash."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), nullable=False)  # ISO 8601 UTC text: hashes the same on every database
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    org: Mapped[str] = mapped_column(String(12), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target: Mapped[str | None] = mapped_column(String(400), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


FIELDS = ("id", "at", "actor", "role", "org", "action", "target", "reason", "detail", "prev_hash")


def entry_hash(row: dict[str, Any]) -> str:
    """SHA-256 over an entry's content and the previous entry's hash (canonical JSON)."""
    body = json.dumps([row.get(f) for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(engine: Engine, *, actor: str, role: str, org: str, action: str, target: str | None = None,
           reason: str | None = None, detail: dict[str, Any] | None = None) -> int:
    """Write one entry at the end of the chain; returns its id."""
    import sqlite3

    from sqlalchemy.exc import IntegrityError, OperationalError

    sqlite = engine.dialect.name == "sqlite"
    deadline = time.monotonic() + WAIT_SECONDS
    for attempt in range(1_000_000):
        try:
            return _append_once(engine, actor=actor, role=role, org=org, action=action, target=target, reason=reason,
                                detail=detail)
        except (IntegrityError, OperationalError, sqlite3.OperationalError) as e:
            if sqlite and isinstance(e, sqlite3.OperationalError) and "locked" in str(e) and time.monotonic() < deadline:
                # another process holds SQLite's write lock (for well under a millisecond a entry): ask again soon
                time.sleep(random.uniform(0.0002, 0.002))
                continue
            # another process took the same next id (or held the write lock): read the new end and try again
            if attempt >= 19:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def _new_row(last: Any, e: dict[str, Any]) -> dict[str, Any]:
    return {"id": (last[0] + 1) if last else 1, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
            "actor": e["actor"], "role": e["role"], "org": e["org"], "action": e["action"], "target": e["target"],
            "reason": e["reason"],
            "detail": json.dumps(e["detail"], sort_keys=True, ensure_ascii=False) if e["detail"] is not None else None,
            "prev_hash": last[1] if last else GENESIS}


def _append_once(engine: Engine, **e: Any) -> int:
    if engine.dialect.name == "sqlite":
        with _LOCK:
            return _append_sqlite(engine, e)
    with _LOCK, Session(engine) as s, s.begin():
        if engine.dialect.name == "postgresql":
            # other server processes append too: serialise on the table
            s.execute(text("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"))
        last = s.execute(select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
        row = _new_row(last, e)
        s.add(AuditLog(**row, hash=entry_hash(row)))
        return row["id"]


def _append_sqlite(engine: Engine, e: dict[str, Any]) -> int:
    """Append on SQLite, several processes at once (uvicorn workers, the CLI) taking turns.

    The write lock is taken (BEGIN IMMEDIATE) before the chain's end is read; a deferred transaction read first and
    then failed on upgrading to write when another process had appended meanwhile (in WAL: SQLITE_BUSY_SNAPSHOT) and
    was retried with growing pauses. SQLite's own busy handler is not used for the wait: built without usleep (as
    here) it sleeps whole seconds. BEGIN fails at once instead and append() asks again within a millisecond or two;
    a busy COMMIT (rollback journal, a reader present) is asked again the same way, never left half done.
    """
    import sqlite3

    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        cur = con.cursor()
        wait = cur.execute("PRAGMA busy_timeout").fetchone()[0]
        cur.execute("PRAGMA busy_timeout=0")
        try:
            cur.execute("BEGIN IMMEDIATE")  # "database is locked" at once when another process is writing
            try:
                row = _new_row(cur.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone(), e)
                cols = [*FIELDS, "hash"]
                cur.execute(f"INSERT INTO audit_log ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [*(row[f] for f in FIELDS), entry_hash(row)])
                deadline = time.monotonic() + WAIT_SECONDS
                while True:
                    try:
                        con.commit()
                        break
                    except sqlite3.OperationalError as err:
                        if "locked" not in str(err) or time.monotonic() > deadline:
                            raise
                        time.sleep(random.uniform(0.0002, 0.002))
            except BaseException:
                con.rollback()
                raise
        finally:
            cur.execute(f"PRAGMA busy_timeout={int(wait)}")
            cur.close()
        return row["id"]
    finally:
        raw.close()


@dataclass(frozen=True)
class Verdict:
    """The result of checking the chain: ok, how many entries, and the first bad entry with what is wrong."""

    ok: bool
    entries: int
    head: str
    first_bad_id: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "first_bad_id": self.first_bad_id,
                "problem": self.problem}


def verify(engine: Engine, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in id order; name the first entry that was edited, or follows a deleted or moved one.

    anchor: (entries, head) recorded earlier outside the database; the chain must still hold that entry with that
    hash, which also catches entries deleted from the end.
    """
    prev, expected_id, n = GENESIS, 1, 0
    with Session(engine) as s:
        rows = s.execute(select(*[getattr(AuditLog, f) for f in FIELDS], AuditLog.hash).order_by(AuditLog.id))
        for r in rows:
            d = dict(r._mapping)
            n += 1
            if d["id"] != expected_id:
                return Verdict(False, n, prev, d["id"], f"entry {d['id']} follows entry {expected_id - 1}: "
                               f"{d['id'] - expected_id} entr{'y' if d['id'] - expected_id == 1 else 'ies'} missing before it")
            if d["prev_hash"] != prev:
                return Verdict(False, n, prev, d["id"], f"entry {d['id']} does not follow the entry before it "
                               "(deleted, inserted or reordered entries)")
            if entry_hash(d) != d["hash"]:
                return Verdict(False, n, prev, d["id"], f"entry {d['id']} was changed after it was written")
            if anchor and d["id"] == anchor[0] and d["hash"] != anchor[1]:
                return Verdict(False, n, prev, d["id"], f"entry {d['id']} is not the one recorded in the anchor")
            prev, expected_id = d["hash"], expected_id + 1
    if anchor and n < anchor[0]:
        return Verdict(False, n, prev, n + 1, f"the log ends at entry {n} but the anchor recorded {anchor[0]}: "
                       "entries deleted from the end")
    return Verdict(True, n, prev)


def recent(engine: Engine, *, limit: int = 100, offset: int = 0, actor: str | None = None) -> list[dict[str, Any]]:
    """The newest entries first (optionally one actor's)."""
    q = select(*[getattr(AuditLog, f) for f in FIELDS], AuditLog.hash).order_by(AuditLog.id.desc())
    if actor:
        q = q.where(AuditLog.actor == actor)
    with Session(engine) as s:
        return [dict(r._mapping) for r in s.execute(q.limit(limit).offset(offset))]


def count_since(engine: Engine, *, actor: str, action: str, since: dt.datetime) -> int:
    """How many entries of this action by this actor since a time (login throttling)."""
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditLog).where(
            AuditLog.actor == actor, AuditLog.action == action,
            AuditLog.at >= since.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"))).scalar_one()


def last_of(engine: Engine, *, actor: str, actions: tuple[str, ...]) -> dict[str, Any] | None:
    """The newest entry by this actor with one of these actions."""
    with Session(engine) as s:
        r = s.execute(select(AuditLog.action, AuditLog.at).where(AuditLog.actor == actor, AuditLog.action.in_(actions))
                      .order_by(AuditLog.id.desc()).limit(1)).first()
        return dict(r._mapping) if r else None
