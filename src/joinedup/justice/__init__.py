"""Justice outcomes: attrition, downgraded charges, victims' convictions to disregard, and cases to reopen.

run_justice is imported on first use, so registering the `justice` command does not load DuckDB.
"""

from joinedup._lazy import lazy_names

__all__ = ["run_justice"]
__getattr__ = lazy_names(__name__, {"run_justice": "core"})
