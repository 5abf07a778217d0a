"""People's judgements on record pairs: recorded in application state and re-applied on every run."""

from __future__ import annotations

import datetime as dt
import getpass

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.state import LinkJudgement, open_state

DECISIONS = ("same", "not-same", "unsure")


def _pair(a: tuple[str, str], b: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return (a, b) if a <= b else (b, a)


def record_judgement(state_url: str, a: tuple[str, str], b: tuple[str, str], decision: str,
                     by: str | None = None, note: str | None = None) -> int:
    """Store a judgement on records a and b ((source, source_record_id) each); a newer one supersedes older ones."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if a == b:
        raise ValueError("a judgement needs two different records")
    (sa, ra), (sb, rb) = _pair(a, b)
    now = dt.datetime.now(dt.timezone.utc)
    who = by or getpass.getuser()
    with Session(open_state(state_url)) as s:
        # earlier live judgements on the same pair are soft-deleted: history stays, the newest counts
        for old in s.scalars(select(LinkJudgement).where(
                LinkJudgement.source_a == sa, LinkJudgement.record_a == ra, LinkJudgement.source_b == sb,
                LinkJudgement.record_b == rb, LinkJudgement.deleted_at.is_(None))):
            old.deleted_at, old.deleted_by = now, who
        j = LinkJudgement(source_a=sa, record_a=ra, source_b=sb, record_b=rb, decision=decision,
                          decided_by=who, decided_at=now, note=note)
        s.add(j)
        s.commit()
        return j.id


def delete_judgement(state_url: str, judgement_id: int, by: str | None = None) -> None:
    """Soft-delete a judgement (it stops applying; the row stays for audit)."""
    with Session(open_state(state_url)) as s:
        j = s.get(LinkJudgement, judgement_id)
        if j is None:
            raise KeyError(f"no judgement {judgement_id}")
        j.deleted_at, j.deleted_by = dt.datetime.now(dt.timezone.utc), by or getpass.getuser()
        s.commit()


def live_judgements(state_url: str) -> tuple[list[tuple[tuple[str, str], tuple[str, str]]], list[tuple[tuple[str, str], tuple[str, str]]]]:
    """The live 'same' and 'not-same' pairs (unsure is recorded but changes nothing)."""
    same, not_same = [], []
    with Session(open_state(state_url)) as s:
        for j in s.scalars(select(LinkJudgement).where(LinkJudgement.deleted_at.is_(None))):
            pair = ((j.source_a, j.record_a), (j.source_b, j.record_b))
            if j.decision == "same":
                same.append(pair)
            elif j.decision == "not-same":
                not_same.append(pair)
    return same, not_same
