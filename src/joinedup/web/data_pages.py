"""Shaping shared by the groups and justice pages: source records, dates, people and free text as a role may see them.

Every decision is access.record_view's (one place); this module only applies it to what the network and justice
stages store: 'source:source_record_id' references, dates, person ids and reason text that quotes them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from joinedup.web.access import Principal, person_visible, record_view
from joinedup.web.data import Warehouse, age_band

# a stored reference to a source record: '<org>-<system>:<record id>' (F01-niche:OCC00000003, LA02-mosaic:M00000001)
REF = re.compile(r"\b([A-Z]{1,4}\d{1,3}-[A-Za-z0-9]+):([A-Za-z0-9_.-]+)")
DATE = re.compile(r"\b(\d{4})-(\d{2})-\d{2}\b")
# the phone numbers and vehicle registrations a reason quotes, e.g. "(phone 07382683814, vehicle V956DGL)"
PIVOT_VALUES = re.compile(r"\((?:phones?|vehicles?) [^)]*\)")


def org_of(source: str) -> str:
    """The organisation code of a source system name (F01-niche -> F01)."""
    return source.split("-", 1)[0]


class Shaper:
    """Applies record_view to one principal's view of stage output (record references, dates, text, people)."""

    def __init__(self, wh: Warehouse, p: Principal) -> None:
        self.wh, self.p = wh, p
        # pseudonymised roles see months, never days: no date in their view can be a date of birth
        self.coarse = not p.identified

    def view(self, org: str, person_orgs: set[str]) -> str | None:
        """record_view for a record held by org, about people known to person_orgs."""
        return record_view(self.p, org, person_orgs)

    def ref(self, source: str, rid: str, person_orgs: set[str]) -> dict[str, Any]:
        """One source record reference as this principal may see it."""
        org = org_of(source)
        v = self.view(org, person_orgs)
        if v == "identified":
            return {"view": v, "org": org, "text": f"{source}:{rid}"}
        if v == "pseudonymised":
            return {"view": v, "org": org, "text": f"{org} record {self.wh.pseudonym(source, rid)}"}
        return {"view": v or "pointer", "org": org, "text": f"a record held by {org}"}

    def refs(self, items: list[str] | None, person_orgs: set[str]) -> list[dict[str, Any]]:
        """A list of 'source:rid' references shaped (other items, such as group:G-..., kept as they are)."""
        out = []
        for x in items or []:
            m = REF.fullmatch(x.strip())
            out.append(self.ref(m.group(1), m.group(2), person_orgs) if m else {"view": "other", "org": None, "text": x})
        return out

    def ref_texts(self, items: list[str] | None, person_orgs: set[str]) -> list[str]:
        """The shaped references' texts, without repeats of the same pointer."""
        seen, out = set(), []
        for r in self.refs(items, person_orgs):
            if r["text"] not in seen:
                seen.add(r["text"])
                out.append(r["text"])
        return out

    def date(self, d: dt.date | None) -> str | None:
        """A date: the day for identified roles, the month for pseudonymised ones."""
        if d is None:
            return None
        return d.strftime("%Y-%m") if self.coarse else d.isoformat()

    def text(self, s: str | None, person_orgs: set[str], identified: bool | None = None) -> str | None:
        """Reason text with every record reference shaped; dates coarsened and pivot values withheld unless identified."""
        if s is None:
            return None
        out = REF.sub(lambda m: self.ref(m.group(1), m.group(2), person_orgs)["text"], s)
        full = (not self.coarse) if identified is None else identified
        if not full:
            out = DATE.sub(lambda m: f"{m.group(1)}-{m.group(2)}", out)
            out = PIVOT_VALUES.sub("(values withheld)", out)
        return out

    def people(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Each person as this principal may see them: names and dates of birth only where a record is identified."""
        by_person: dict[str, list[dict[str, Any]]] = {}
        for r in self.wh._records_of(sorted(set(person_ids))):
            by_person.setdefault(r["person_id"], []).append(r)
        return {pid: self._card(pid, by_person.get(pid, [])) for pid in person_ids}

    def _card(self, pid: str, recs: list[dict[str, Any]]) -> dict[str, Any]:
        orgs = {r["org_code"] for r in recs}
        shaped = [x for x in (self.wh.shape(self.p, r, orgs) for r in recs) if x]
        ident = [x for x in shaped if x["view"] == "identified"]
        names = Counter(" ".join(v for v in (x.get("forename"), x.get("surname")) if v) for x in ident)
        names.pop("", None)
        dobs = Counter(x["dob"] for x in ident if x.get("dob"))
        bands = Counter(x["age_band"] for x in shaped if x.get("age_band"))
        if not bands and ident:
            bands = Counter(age_band(r["dob"]) for r in recs if r["dob"] and self.view(r["org_code"], orgs) == "identified")
            bands.pop(None, None)
        pointers = sorted({x["org_code"] for x in shaped if x["view"] == "pointer"})
        return {"person_id": pid, "orgs": sorted(orgs), "name": names.most_common(1)[0][0] if names else None,
                "dob": dobs.most_common(1)[0][0] if dobs else None,
                "age_band": bands.most_common(1)[0][0] if bands else None,
                "known_to": pointers, "openable": person_visible(self.p, orgs).allowed,
                "views": sorted({x["view"] for x in shaped}) or ["none"]}
