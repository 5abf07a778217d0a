"""Record linkage: a person_id for every person record (Splink 5 with domain comparisons, judgements, matching).

The public names are imported from their modules on first use: importing the package (as every CLI
command does, to register `link`) does not load Splink, pandas or SQLAlchemy.
"""

from joinedup._lazy import lazy_names

DEFAULT_THRESHOLD = 0.8  # match probability at which two records are linked (FEBRL: precision 1.0 at 0.6-0.9)

__all__ = ["DEFAULT_THRESHOLD", "LinkResult", "export_clusters", "link_file", "link_frame", "link_warehouse",
           "match_record", "record_judgement"]
__getattr__ = lazy_names(__name__, {
    "LinkResult": "core", "link_frame": "core", "record_judgement": "judgements", "link_file": "linkfile",
    "match_record": "match", "export_clusters": "warehouse", "link_warehouse": "warehouse",
})
