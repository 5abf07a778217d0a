"""Application state for the risk queue: practitioners' review decisions (who, when, what), never overwritten."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.state.db import Base

DECISIONS = ("no-concern", "referred", "action-taken")


class ReviewDecision(Base):
    """One practitioner's decision on one child in the review queue; a later decision supersedes, never edits."""

    __tablename__ = "review_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(20), nullable=False)  # no-concern | referred | action-taken
    decided_by: Mapped[str] = mapped_column(String(200), nullable=False)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the queue the child was in when reviewed: which run, as of which date, with what score and reasons
    queue_run_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    queue_as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reasons: Mapped[str | None] = mapped_column(Text, nullable=True)


DECISION_LABELS = {"no-concern": "No concern: no further action", "referred": "Referred",
                   "action-taken": "Action taken (already known, or being acted on)"}


def add_decision(engine, person_id: str, decision: str, by: str, note: str | None,
                 queue: dict | None) -> dict:
    """Store one decision made in the web application (with the queue entry it was made on); never edits one."""
    from sqlalchemy.orm import Session

    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
    q = queue or {}
    with Session(engine) as s:
        row = ReviewDecision(person_id=person_id, decision=decision, decided_by=by,
                             decided_at=dt.datetime.now(dt.timezone.utc), note=note,
                             queue_run_id=q.get("run_id"), queue_as_of=q.get("as_of"), score=q.get("score"),
                             reasons=q.get("reasons"))
        s.add(row)
        s.commit()
        return decision_dict(row)


def decisions_of(engine, person_ids: list[str]) -> dict[str, list[dict]]:
    """Every decision on these children, oldest first, by person id (one query)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    out: dict[str, list[dict]] = {}
    if not person_ids:
        return out
    with Session(engine) as s:
        for i in range(0, len(person_ids), 500):  # keep the IN list within every backend's parameter limit
            rows = s.scalars(select(ReviewDecision).where(ReviewDecision.person_id.in_(person_ids[i:i + 500]))
                             .order_by(ReviewDecision.decided_at, ReviewDecision.id)).all()
            for r in rows:
                out.setdefault(r.person_id, []).append(decision_dict(r))
    return out


def decision_dict(r: ReviewDecision) -> dict:
    """A decision as plain values."""
    at = r.decided_at if r.decided_at.tzinfo else r.decided_at.replace(tzinfo=dt.timezone.utc)  # SQLite drops the zone
    return {"id": r.id, "person_id": r.person_id, "decision": r.decision, "decided_by": r.decided_by,
            "decided_at": at, "note": r.note, "queue_run_id": r.queue_run_id, "queue_as_of": r.queue_as_of,
            "score": r.score, "reasons": r.reasons}
