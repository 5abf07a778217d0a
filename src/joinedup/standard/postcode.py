"""The UK postcode's shape, written once (ingest checks it in SQL, linkage splits it into sector and district)."""

from __future__ import annotations

import re

OUTWARD = "[A-Z]{1,2}[0-9][A-Z0-9]?"  # area and district: HD1, SW1A, B33
INWARD = "[0-9][A-Z]{2}"               # sector digit and unit: 4AB

UK_POSTCODE = f"{OUTWARD}{INWARD}"             # without the space (as regexp_full_match patterns)
UK_POSTCODE_SPACED = f"{OUTWARD} {INWARD}"     # the standard's form
# outward code, sector digit, unit; the space optional
UK_POSTCODE_PARTS = re.compile(f"^({OUTWARD}) ?([0-9])([A-Z]{{2}})$")
