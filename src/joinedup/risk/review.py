"""Review decisions on children in the queue, kept in application state (who decided what, and when)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import UserError
from joinedup.state.db import default_state_url, open_state
from joinedup.state.review import DECISIONS, ReviewDecision
from joinedup.warehouse import connect


def normalise_decision(value: str) -> str:
    """'no concern', 'No_Concern' and 'no-concern' are the same decision; anything else is refused."""
    v = "-".join(value.strip().lower().replace("_", " ").split())
    if v not in DECISIONS:
        raise UserError(f"--decision {value!r}: use one of {', '.join(DECISIONS)}")
    return v


def _queue_row(db: str | Path, person_id: str) -> tuple | None:
    """The child's most recent queue entry (run, as-of, score, reasons); refuses an unknown person_id."""
    if not Path(db).exists():
        raise UserError(f"--db {db}: no such warehouse file")
    con = connect(db, read_only=True)
    try:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_person'").fetchall()[0][0]
        if not has or not con.execute("SELECT count(*) FROM link_person WHERE person_id = ?", [person_id]).fetchall()[0][0]:
            raise UserError(f"no person {person_id!r} in the linked warehouse; find a child by name with `joinedup match`")
        rows = con.execute("""SELECT q.run_id, q.as_of, q.score, q.reasons FROM risk_queue q
            JOIN risk_run r USING (run_id) WHERE q.person_id = ? ORDER BY r.created_at DESC LIMIT 1""",
                           [person_id]).fetchall() if _has(con, "risk_queue") else []
        return rows[0] if rows else None
    finally:
        con.close()


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0])


def _as_dict(r: ReviewDecision) -> dict:
    return {"id": r.id, "person_id": r.person_id, "decision": r.decision, "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat(), "note": r.note, "queue_run_id": r.queue_run_id,
            "queue_as_of": r.queue_as_of.isoformat() if r.queue_as_of else None, "score": r.score, "reasons": r.reasons}


def record_decision(db: str | Path, person_id: str, decision: str, by: str, note: str | None = None,
                    state_url: str | None = None) -> dict:
    """Store one review decision (with the queue entry it was made on) and return it."""
    d = normalise_decision(decision)
    if not by.strip():
        raise UserError("--by is required: who made the decision")
    q = _queue_row(db, person_id)
    engine = open_state(state_url or default_state_url(str(db)))
    with Session(engine) as s:
        row = ReviewDecision(person_id=person_id, decision=d, decided_by=by.strip(),
                             decided_at=dt.datetime.now(dt.timezone.utc), note=note,
                             queue_run_id=q[0] if q else None, queue_as_of=q[1] if q else None,
                             score=q[2] if q else None, reasons=q[3] if q else None)
        s.add(row)
        s.commit()
        return _as_dict(row)


def decisions_for(db: str | Path, person_id: str, state_url: str | None = None) -> list[dict]:
    """Every review decision recorded on a child, oldest first."""
    engine = open_state(state_url or default_state_url(str(db)))
    with Session(engine) as s:
        rows = s.scalars(select(ReviewDecision).where(ReviewDecision.person_id == person_id)
                         .order_by(ReviewDecision.decided_at, ReviewDecision.id)).all()
        return [_as_dict(r) for r in rows]
