"""Ingest: agency extracts (CSV, XLSX, Parquet; legacy layouts) into the national standard."""

from joinedup.ingest.load import IngestError, IngestSummary, ingest
from joinedup.ingest.mapping import MappingError, load_mappings, parse_mapping

__all__ = ["IngestError", "IngestSummary", "MappingError", "ingest", "load_mappings", "parse_mapping"]
