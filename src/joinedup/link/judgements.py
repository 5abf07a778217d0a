"""People's judgements on record pairs: recorded in application state and re-applied on every run."""

from __future__ import annotations

import datetime as dt
import getpass

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.link.errors import LinkError
from joinedup.state import LinkJudgement, default_state_url, open_state

DECISIONS = ("same", "not-same", "unsure")


def _pair(a: tuple[str, str], b: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return (a, b) if a <= b else (b, a)


def record_judgement(state_url: str, a: tuple[str, str], b: tuple[str, str], decision: str,
                     by: str | None = None, note: str | None = None) -> int:
    """Store a judgement on records a and b ((source, source_record_id) each); a newer one supersedes older ones."""
    if decision not in DECISIONS:
        raise LinkError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if a == b:
        raise LinkError("a judgement needs two different records")
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


def check_records_exist(db: str | Path, records: list[tuple[str, str]]) -> None:
    """Raise LinkError unless the warehouse exists, was linked and holds every (source, source_record_id)."""
    from joinedup.link.store import open_warehouse, require_linked

    con = open_warehouse(db, read_only=True)
    try:
        require_linked(con, db)
        sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM person_record").fetchall()}
        for src, rid in records:
            if src not in sources:
                raise LinkError(f"no source {src!r} in {db} (sources: {', '.join(sorted(sources)[:10])})")
            if not con.execute("SELECT count(*) FROM person_record WHERE source = ? AND source_record_id = ?",
                               [src, rid]).fetchall()[0][0]:
                raise LinkError(f"no record {src}:{rid} in {db}")
    finally:
        con.close()


def judge(db: str | Path, a: tuple[str, str], b: tuple[str, str], decision: str, *, by: str | None = None,
          note: str | None = None, state_url: str | None = None) -> int:
    """Record a judgement on two records of a linked warehouse (both must exist); returns its id."""
    check_records_exist(db, [a, b])
    return record_judgement(state_url or default_state_url(str(db)), a, b, decision, by=by, note=note)


def judged_since(state_url: str, when: dt.datetime) -> bool:
    """True when a judgement was recorded or withdrawn after `when` (a link run's start)."""
    cut = when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when
    with Session(open_state(state_url)) as s:
        for j in s.scalars(select(LinkJudgement)):
            for t in (j.decided_at, j.deleted_at):
                if t is not None and (t.astimezone(dt.timezone.utc).replace(tzinfo=None) if t.tzinfo else t) > cut:
                    return True
    return False


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
