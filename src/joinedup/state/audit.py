"""The audit log: append-only, each entry hash-chained to the one before, so edits, deletions and swaps show."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from joinedup.state.db import Base

GENESIS = "0" * 64
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
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(20):
        try:
            return _append_once(engine, actor=actor, role=role, org=org, action=action, target=target, reason=reason,
                                detail=detail)
        except (IntegrityError, OperationalError):
            # another process took the same next id (or held SQLite's write lock): read the new end and try again
            if attempt == 19:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def _append_once(engine: Engine, **e: Any) -> int:
    with _LOCK, Session(engine) as s, s.begin():
        if engine.dialect.name == "postgresql":
            # other server processes append too: serialise on the table
            s.execute(text("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"))
        last = s.execute(select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
        row = {"id": (last[0] + 1) if last else 1, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
               "actor": e["actor"], "role": e["role"], "org": e["org"], "action": e["action"], "target": e["target"],
               "reason": e["reason"],
               "detail": json.dumps(e["detail"], sort_keys=True, ensure_ascii=False) if e["detail"] is not None else None,
               "prev_hash": last[1] if last else GENESIS}
        s.add(AuditLog(**row, hash=entry_hash(row)))
        return row["id"]


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
