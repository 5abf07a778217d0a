"""Fixtures for the justice tests: one justice run on a copy of the session's linked world."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class JusticeRun:
    """A justice run on a private copy of the linked world."""

    db: Path
    out: Path
    summary: dict


@pytest.fixture(scope="session")
def justice_run(linked_world, tmp_path_factory) -> JusticeRun:
    """run_justice once on a copy of the session world (no charts, to keep tests quick)."""
    from joinedup.justice import run_justice

    d = tmp_path_factory.mktemp("justice")
    db = linked_world.copy_db(d)
    out = d / "out"
    return JusticeRun(db, out, run_justice(db, out, charts=False))


@pytest.fixture(scope="session")
def justice_run_network(linked_world, tmp_path_factory) -> JusticeRun:
    """The network stage, then run_justice, on another copy of the session world (so 'suspect in a detected group'
    is a reason, as in a full run)."""
    from joinedup.justice import run_justice
    from joinedup.network.core import run_network

    d = tmp_path_factory.mktemp("justice_network")
    db = linked_world.copy_db(d)
    run_network(db)
    out = d / "out"
    return JusticeRun(db, out, run_justice(db, out, charts=False))
