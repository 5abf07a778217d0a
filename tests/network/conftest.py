"""A network built once on the session's linked world, for the network tests that only read it."""

from __future__ import annotations

import shutil

import pytest

from joinedup.network.core import run_network


@pytest.fixture(scope="session")
def network_db(linked_world, tmp_path_factory):
    """A copy of the linked world's warehouse with `joinedup network` run on it, and its summary."""
    d = tmp_path_factory.mktemp("network")
    db = d / "w.duckdb"
    shutil.copy(linked_world.db, db)
    return db, run_network(db)


@pytest.fixture(scope="session")
def enriched_network(tmp_path_factory):
    """An enriched world (4,000 people: exploitation over-sampled, realistic structure), linked and with
    `joinedup network` run: (world folder, warehouse). Seed 3: a world this small holds a group offending across
    two forces only now and then, and this one does (the cross-force test needs one)."""
    from joinedup.ingest import ingest
    from joinedup.link import link_warehouse
    from joinedup.synth import generate

    d = tmp_path_factory.mktemp("enriched")
    generate(d / "w", people=4000, seed=3, profile="enriched")
    db = d / "w.duckdb"
    ingest(d / "w" / "extracts", db)
    link_warehouse(str(db))
    run_network(db)
    return d / "w", db
