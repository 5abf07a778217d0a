"""Fixtures shared by every stage's tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class LinkedWorld:
    """A synthetic world built, ingested and linked once per test session (copy `db` before changing it)."""

    world: Path      # synth output: extracts/ and truth/
    db: Path         # the linked warehouse
    clusters: Path   # link --export: source,source_record_id,person_id

    def copy_db(self, dest: Path) -> Path:
        """A private copy of the warehouse for a test that writes to it."""
        target = Path(dest) / "w.duckdb"
        shutil.copy(self.db, target)
        return target


@pytest.fixture(scope="session")
def linked_world(tmp_path_factory) -> LinkedWorld:
    """synth (4,000 people, seed 99) -> ingest -> link, shared by the analysis stages' tests."""
    from joinedup.ingest import ingest
    from joinedup.link import export_clusters, link_warehouse
    from joinedup.synth import generate

    d = tmp_path_factory.mktemp("linked_world")
    generate(d / "w", people=4000, seed=99)
    db = d / "w.duckdb"
    ingest(d / "w" / "extracts", db)
    link_warehouse(str(db))
    clusters = d / "clusters.csv"
    export_clusters(str(db), str(clusters))
    return LinkedWorld(d / "w", db, clusters)
