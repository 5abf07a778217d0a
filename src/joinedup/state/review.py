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
