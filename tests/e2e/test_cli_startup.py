"""Every command starts by building the whole CLI; that must not load the heavy engines of other
stages (DuckDB, Splink, pandas, SQLAlchemy): `joinedup --help` took 1.0 s when it did, 0.4 s now."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_cli_loads_no_engine() -> None:
    code = (
        "import sys, joinedup.cli; "
        "print(','.join(m for m in ('duckdb', 'splink', 'pandas', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_package_names_still_resolve() -> None:
    """The stages' public names load on first use, and are the real objects."""
    from joinedup.ingest import IngestError, ingest, load_mappings
    from joinedup.link import DEFAULT_THRESHOLD, link_warehouse, match_record
    from joinedup.link.core import DEFAULT_THRESHOLD as core_threshold

    assert callable(ingest) and callable(load_mappings) and issubclass(IngestError, Exception)
    assert callable(link_warehouse) and callable(match_record)
    assert DEFAULT_THRESHOLD == core_threshold == 0.8
