"""Review decisions: stored in application state with who and when; a flag never acts by itself."""

from __future__ import annotations

from datetime import date

import pytest

from joinedup.errors import UserError
from joinedup.risk.queue import run_queue
from joinedup.risk.review import decisions_for, normalise_decision, record_decision


def test_decisions_are_kept_with_the_queue_entry(linked_world, tmp_path):
    """A decision records who, when, and the score and reasons the child was queued with; later ones add, not edit."""
    db = linked_world.copy_db(tmp_path)
    state = f"sqlite:///{tmp_path}/state.sqlite"
    top = run_queue(db, date(2015, 1, 1)).rows[0]
    first = record_decision(db, top["person_id"], "no concern", "A Practitioner", note="known, safe", state_url=state)
    second = record_decision(db, top["person_id"], "Referred", "B Manager", state_url=state)
    hist = decisions_for(db, top["person_id"], state_url=state)
    assert [h["decision"] for h in hist] == ["no-concern", "referred"]
    assert hist[0]["decided_by"] == "A Practitioner" and hist[0]["note"] == "known, safe"
    assert first["score"] == top["score"] and first["reasons"] == top["reasons"] and first["queue_as_of"] == "2015-01-01"
    assert second["id"] != first["id"]


def test_bad_decisions_are_refused(linked_world, tmp_path):
    """Unknown decision, missing --by, unknown person: a UserError each."""
    db = linked_world.copy_db(tmp_path)
    state = f"sqlite:///{tmp_path}/state.sqlite"
    with pytest.raises(UserError, match="--decision"):
        normalise_decision("ignore")
    pid = run_queue(db, date(2015, 1, 1)).rows[0]["person_id"]
    with pytest.raises(UserError, match="--by"):
        record_decision(db, pid, "referred", "  ", state_url=state)
    with pytest.raises(UserError, match="joinedup match"):
        record_decision(db, "Pnobody", "referred", "x", state_url=state)
    assert normalise_decision("Action_Taken") == "action-taken"
