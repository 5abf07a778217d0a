"""Justice outcomes: attrition, downgraded charges, victims' convictions to disregard, and cases to reopen."""

from joinedup.justice.core import run_justice

__all__ = ["run_justice"]
