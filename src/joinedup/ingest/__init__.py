"""Ingest: agency extracts (CSV, XLSX, Parquet; legacy layouts) into the national standard."""

from joinedup._lazy import lazy_names

__all__ = ["IngestError", "IngestSummary", "MappingError", "ingest", "load_mappings", "parse_mapping"]
# DuckDB loads when these are used, not when a CLI command of another stage starts.
__getattr__ = lazy_names(__name__, {
    "IngestError": "load", "IngestSummary": "load", "ingest": "load",
    "MappingError": "mapping", "load_mappings": "mapping", "parse_mapping": "mapping",
})
