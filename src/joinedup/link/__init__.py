"""Record linkage: a person_id for every person record (Splink 5 with domain comparisons, judgements, matching)."""

from joinedup.link.core import DEFAULT_THRESHOLD, LinkResult, link_frame
from joinedup.link.judgements import record_judgement
from joinedup.link.linkfile import link_file
from joinedup.link.match import match_record
from joinedup.link.warehouse import export_clusters, link_warehouse

__all__ = ["DEFAULT_THRESHOLD", "LinkResult", "export_clusters", "link_file", "link_frame", "link_warehouse",
           "match_record", "record_judgement"]
