"""National statistics: completeness, profiles with honest uncertainty, disclosure control, publication files.

`run_stats` is imported on first use: importing the package (as every CLI command does, to register
`stats`) does not load DuckDB, pandas, matplotlib or odfpy.
"""

from joinedup._lazy import lazy_names

__all__ = ["run_stats"]
__getattr__ = lazy_names(__name__, {"run_stats": "run"})
