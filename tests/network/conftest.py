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
