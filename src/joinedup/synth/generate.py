"""Write the synthetic world: each agency's extracts in its own layout, plus ground truth, streamed
chunk by chunk so memory stays bounded whatever the number of people."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np

from joinedup.synth.calibration import write_calibration
from joinedup.synth.deliveries import DeliverySinks, delivery_folder, extract_date
from joinedup.synth.faults import inject_faults
from joinedup.synth.justice_dates import court_dates, link_dates
from joinedup.synth.layouts import (
    ALPHA3_TO_2, BOOL_WORDS, COURT_WORDS, CSC_LAYOUTS, LAYOUTS, MISSING_WORDS, MONTHS, MOSAIC_ETYPE, POLICE_LAYOUTS,
    ROLE_WORDS, SEN_WORDS, YJ_ETYPE, CAREFIRST_ETYPE, FREE_TEXT_ETHNICITY, TO_16PLUS1, TO_DFE, TO_NHS, TO_PRE2004,
    TO_STATUTE, FileSpec, Layout, event_date_fmt,
)
from joinedup.synth.profiles import DEFAULT, Profile, profile as get_profile
from joinedup.synth.reopen_truth import Ledger, write_reopen_truth
from joinedup.synth.world import END_ORD, EPOCH, ORIGINS, IC_OF, Chunk, Rec, bad_nhs_check, name_pools, ymd
from joinedup.synth.writers import Sinks

CHUNK_PEOPLE = 20_000
MANIFEST = "synth.json"
# Share of each agency's person records carrying an NHS number (the consistent child identifier)
NHS_PRESENT = {"police": 0.10, "csc": 0.60, "health": 0.95, "education": 0.40, "yjs": 0.30, "sexual_health": 0.15}
# Share of police suspects whose self-defined ethnicity is recorded, by force (varies widely;
# the first three average about 35%, the national figure the audit reports)
SUSPECT_ETH_RATE = [0.82, 0.12, 0.13, 0.35, 0.18, 0.55, 0.25, 0.30]


def graded_recording_rate(force: int) -> float:
    """Structured profiles: share of a force's suspects whose ethnicity is recorded, graded 0.12-0.57 across
    forces (a low-discrepancy sequence, so any number of forces averages about a third, as published)."""
    return 0.12 + 0.45 * ((0.5 + force * 0.618034) % 1.0)
INVALID_PERSON_P = 0.003
INVALID_OTHER_P = 0.0015
DUPLICATE_P = 0.025
ProgressFn = Callable[[int, int], None]


def spare(hit: list[int], protect: np.ndarray | None) -> list[int]:
    """The rows to make invalid: each drawn row that is protected (a planted justice case rests on it) is swapped for
    the next free row, so the count of invalid rows and the random stream stay the same."""
    if protect is None or not protect.any():
        return hit
    n, out = len(protect), []
    taken = set(hit)
    for j in hit:
        if protect[j]:
            k = next((x % n for x in range(j + 1, j + n) if not protect[x % n] and x % n not in taken), None)
            if k is None:
                continue
            taken.add(k)
            j = k
        out.append(j)
    return sorted(out)


def justice_rows(rec: Rec, ch: Chunk) -> tuple[set, set]:
    """(crime keys, person idx) of one police source that a planted downgrade or disregard rests on: the crime, and the
    suspects and victims linked to it. They are never made invalid or damaged, so the justice target measures the
    justice rules, not ingest's quarantine (which truth/invalid.csv measures)."""
    keys = {x[0] for x in rec.outcomes if x[6]}
    keys |= {cr[0] for cr in rec.crimes if ch.crime_info.get(cr[0], ("",))[0] == "soliciting"}
    people = {i for k, i, role in rec.links if k in keys and role in ("SUSPECT", "VICTIM")}
    people |= {x[1] for x in rec.outcomes if x[0] in keys}
    return keys, people


def source_name(kind: str, org: int, legacy: bool = False) -> tuple[str, str]:
    """(folder name, layout system) of a source (legacy: the first LA runs the legacy carefirst system)."""
    if kind == "csc" and legacy and org == 0:
        return "LA01-carefirst", "carefirst"
    if kind == "police":
        return f"F{org + 1:02d}-{POLICE_LAYOUTS[org % len(POLICE_LAYOUTS)]}", POLICE_LAYOUTS[org % len(POLICE_LAYOUTS)]
    if kind == "csc":
        return f"LA{org + 1:02d}-{CSC_LAYOUTS[org % len(CSC_LAYOUTS)]}", CSC_LAYOUTS[org % len(CSC_LAYOUTS)]
    if kind == "health":
        return f"TR{org + 1:02d}-pas", "pas"
    if kind == "yjs":
        return f"YJ{org + 1:02d}-yjcase", "yjcase"
    if kind == "sexual_health":
        return f"SH{org + 1:02d}-shclinic", "shclinic"
    return f"ED{org + 1:02d}-sims", "sims"


def all_sources(forces: int, extra: bool = False) -> list[tuple[str, int]]:
    """Every (kind, org) source of a world with this many forces, in output order (extra: youth justice and
    sexual health services too)."""
    out: list[tuple[str, int]] = []
    for f in range(forces):
        out += [("police", f), ("csc", 2 * f), ("csc", 2 * f + 1), ("health", f), ("education", f)]
    if extra:
        out += [(k, f) for f in range(forces) for k in ("yjs", "sexual_health")]
    return out


# -- date rendering -----------------------------------------------------------------------------
def fmt_days(days: list, fmt: str) -> list[str]:
    """Format days-since-epoch (None -> '') in a strftime-style format (vectorised)."""
    arr = np.array([d if d is not None else 0 for d in days], dtype=np.int64)
    y, m, d = (a.tolist() for a in ymd(arr))
    return _fmt_ymd(y, m, d, ["day"] * len(days), fmt, none=[x is None for x in days])


def _fmt_ymd(y: list, m: list, d: list, prec: list, fmt: str, none: list | None = None) -> list[str]:
    if fmt == "%d/%m/%y":
        # a legacy layout with two-digit years (its dates carry no precision below a day)
        return ["" if none is not None and none[i] else f"{c:02d}/{b:02d}/{a % 100:02d}"
                for i, (a, b, c) in enumerate(zip(y, m, d))]
    if (none is None or not any(none)) and "month" not in prec and "year" not in prec:
        # fast path: full dates only (the bulk of every extract)
        if fmt == "%d/%m/%Y":
            return [f"{c:02d}/{b:02d}/{a:04d}" for a, b, c in zip(y, m, d)]
        if fmt == "%Y-%m-%d":
            return [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d)]
        if fmt == "%Y%m%d":
            return [f"{a:04d}{b:02d}{c:02d}" for a, b, c in zip(y, m, d)]
        return [f"{c:02d}-{MONTHS[b - 1]}-{a:04d}" for a, b, c in zip(y, m, d)]
    out = []
    for i, (a, b, c, p) in enumerate(zip(y, m, d, prec)):
        if none is not None and none[i]:
            out.append("")
        elif p == "year":
            out.append(f"{a:04d}")
        elif fmt == "%d/%m/%Y":
            out.append(f"{c:02d}/{b:02d}/{a:04d}" if p == "day" else f"{b:02d}/{a:04d}")
        elif fmt == "%Y-%m-%d":
            out.append(f"{a:04d}-{b:02d}-{c:02d}" if p == "day" else f"{a:04d}-{b:02d}")
        elif fmt == "%d-%b-%Y":
            out.append(f"{c:02d}-{MONTHS[b - 1]}-{a:04d}" if p == "day" else f"{MONTHS[b - 1]}-{a:04d}")
        else:  # %Y%m%d
            out.append(f"{a:04d}{b:02d}{c:02d}")
    return out


def bad_date(y: int, fmt: str, future: bool) -> str:
    """An impossible (31 February) or out-of-range (year 2091) date in a layout's format."""
    if future:
        return _fmt_ymd([2091], [3], [14], ["day"], fmt)[0]
    return {"%d/%m/%Y": f"31/02/{y}", "%Y-%m-%d": f"{y}-02-31", "%d-%b-%Y": f"31-Feb-{y}", "%Y%m%d": f"{y}0231",
            "%d/%m/%y": f"31/02/{y % 100:02d}"}[fmt]


# -- noise ---------------------------------------------------------------------------------------
ALPHA = "abcdefghijklmnopqrstuvwxyz"


def typo(s: str, r: np.random.Generator) -> str:
    """One keyboard error: insert, delete, substitute or transpose a letter (never to empty)."""
    if len(s) < 3:
        return s + ALPHA[int(r.integers(0, 26))]
    i = int(r.integers(1, len(s) - 1))
    op = int(r.integers(0, 4))
    c = ALPHA[int(r.integers(0, 26))]
    c = c.upper() if s[i].isupper() else c
    if op == 0:
        return s[:i] + c + s[i:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + c + s[i + 1:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]


class Noise:
    """Per-record corruptions, at most three identity corruptions on any one record."""

    RATES = {"fore_typo": 0.03, "sur_typo": 0.025, "fore_variant": 0.06, "sur_variant": 0.03, "dob_swap": 0.015,
             "dob_digit": 0.015, "dob_year": 0.01, "dob_partial": 0.03, "child_surname": 0.04, "name_swap": 0.01}
    CAP = 3


def apply_noise(c: dict[str, Any], r: np.random.Generator, agency: str, partial_ok: bool, is_child: np.ndarray,
                keep_dob: np.ndarray | None = None) -> None:
    """Corrupt canonical person columns in place, the way real agency records go wrong.

    keep_dob: rows whose date of birth stays as it is (a planted disregard's: whether the conviction came before 18
    must be readable from the records, or the justice target would measure the noise, not the rule); the random
    draws are made all the same, so the rest of the world does not change."""
    n = len(c["srid"])
    if n == 0:
        return
    pools = name_pools()
    var = pools.variants
    count = np.zeros(n, dtype=np.int64)

    def mask(key: str, extra: np.ndarray | None = None, scale: float = 1.0) -> list[int]:
        m = (r.random(n) < Noise.RATES[key] * scale) & (count < Noise.CAP)
        if extra is not None:
            m &= extra
        count[m] += 1
        return np.flatnonzero(m).tolist()

    fore, sur = c["forename"], c["surname"]
    for i in mask("fore_variant"):
        v = var.get(fore[i])
        if v:
            fore[i] = v[int(r.integers(0, len(v)))]
    for i in mask("sur_variant"):
        v = var.get(sur[i])
        if v:
            sur[i] = v[int(r.integers(0, len(v)))]
    for i in mask("fore_typo"):
        fore[i] = typo(fore[i], r)
    for i in mask("sur_typo"):
        sur[i] = typo(sur[i], r)
    for i in mask("child_surname", is_child):
        other = pools.all_surnames[int(r.integers(0, len(pools.all_surnames)))]
        sur[i] = f"{sur[i]}-{other}" if r.random() < 0.4 else str(other)
    for i in mask("name_swap"):
        fore[i], sur[i] = sur[i], fore[i]
    y, m, d, prec = c["dob_y"], c["dob_m"], c["dob_d"], c["dob_prec"]
    keep = keep_dob if keep_dob is not None else np.zeros(n, dtype=bool)
    for i in mask("dob_swap"):
        if d[i] <= 12 and d[i] != m[i]:
            if not keep[i]:
                m[i], d[i] = d[i], m[i]
        else:
            step = 1 if r.random() < 0.5 else -1
            y[i] += 0 if keep[i] else step
    for i in mask("dob_digit"):
        nd = (d[i] // 10) * 10 + int(r.integers(0, 10))
        if not keep[i]:
            d[i] = nd if 1 <= nd <= 28 and nd != d[i] else (d[i] % 28) + 1
    for i in mask("dob_year"):
        step = 1 if r.random() < 0.5 else -1
        y[i] += 0 if keep[i] else step
    for i in range(n):
        if m[i] == 2 and d[i] == 29 and not (y[i] % 4 == 0 and (y[i] % 100 != 0 or y[i] % 400 == 0)):
            d[i] = 28  # a year slip from 29 February stays a real date: noise, not an invalid row
    if partial_ok:
        for i in mask("dob_partial"):
            u = r.random()
            if keep[i]:
                continue
            if u < 0.45:
                prec[i] = "month"
            elif u < 0.7:
                prec[i] = "year"
            else:  # approximate dob: recorded as 1 January
                m[i], d[i] = 1, 1
    # missing fields: not identity corruptions, but realistic gaps
    for key, p in (("postcode", 0.05), ("address", 0.03), ("middle_names", 0.3), ("phones", 0.2)):
        for i in np.flatnonzero(r.random(n) < p).tolist():
            c[key][i] = [] if key == "phones" else ""
            if key == "address":
                c["addr1"][i] = ""
    for i in np.flatnonzero(r.random(n) < 0.01).tolist():
        c["sex"][i] = "U"
    # postcodes as typed: lower case or without the space
    pc = c["postcode"]
    for i in np.flatnonzero(r.random(n) < 0.08).tolist():
        pc[i] = pc[i].replace(" ", "") if r.random() < 0.5 else pc[i].lower()


# -- the writer ----------------------------------------------------------------------------------
class World:
    """Generation state shared across chunks: id counters, open files, summary and truth."""

    def __init__(self, out: Path, seed: int, forces: int, xlsx_max_rows: int, profile: Profile = DEFAULT,
                 deliveries: int = 1) -> None:
        self.out, self.seed, self.K, self.P = out, seed, forces, profile
        self.recording: dict[str, list[int]] = {}  # police source -> [suspects, ethnicity recorded, nationality recorded]
        (out / "truth").mkdir(parents=True, exist_ok=True)
        self.sinks = DeliverySinks(out, xlsx_max_rows, seed, deliveries) if deliveries > 1 else Sinks(out / "extracts", xlsx_max_rows)
        self.ids: dict[str, int] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self.summary_records: dict[str, dict[str, int]] = {}
        self.invalid = 0
        self.protected: set[tuple[str, str]] = set()  # (source, record id) rows behind planted justice cases
        self.ledger = Ledger()
        self.truth: dict[str, Any] = {}
        self._tf = []
        for name, header in (("records", ["source", "source_record_id", "true_person_id"]),
                             ("groups", ["true_group_id", "true_person_id", "role", "kind", "joined", "left", "recorded"]),
                             ("children", ["true_person_id", "exploited", "first_harm_date", "abuse_kind"]),
                             ("downgrades", ["source", "source_record_id"]),
                             ("disregards", ["true_person_id", "outcome"]),
                             ("offences", ["source", "crime_record_id", "outcome_record_id", "kind", "true_group_id",
                                           "victim_true_person_id", "suspect_true_person_id", "offence_code", "cse_flag",
                                           "date_committed", "date_reported", "outcome_type", "charged_offence", "court_result",
                                           "downgrade"]),
                             ("social_care", ["true_person_id", "kind", "start_date", "end_date", "cse_factor",
                                              "missing_episodes_in_care"]),
                             ("invalid", ["source", "file", "source_record_id", "field", "reason"]),
                             ("reopen", ["source", "source_record_id", "crime_record_id", "suspect_true_person_id",
                                         "closed_on", "closed_as", "reasons"]),
                             ("people", ["true_person_id", "sex", "dob", "ethnicity", "nationality", "origin", "force", "la",
                                         "child", "vulnerable", "exploited", "offender"])):
            fh = open(out / "truth" / f"{name}.csv", "w", newline="", encoding="utf-8")
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            self.truth[name] = w
            self._tf.append(fh)

    def close(self) -> None:
        """Flush and close every file."""
        self.sinks.close()
        with open(self.out / "truth" / "recording.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["source", "suspect_records", "ethnicity_recorded", "nationality_recorded"])
            w.writerows([src, *v] for src, v in sorted(self.recording.items()))
        for fh in self._tf:
            fh.close()

    def srid(self, source: str, stem: str, prefix: str, k: int) -> list[str]:
        """k new source record ids for one file family of a source."""
        start = self.counters.get((source, stem), 0)
        self.counters[(source, stem)] = start + k
        return [f"{prefix}{i:08d}" for i in range(start + 1, start + k + 1)]

    def count(self, source: str, table: str, k: int) -> None:
        """Add to the per-source record summary."""
        d = self.summary_records.setdefault(source, {})
        d[table] = d.get(table, 0) + k

    # ------------------------------------------------------------------------------------------
    def chunk(self, ch: Chunk, chunk_no: int) -> None:
        """Write one chunk's records for every source, then its truth rows."""
        appeared = np.zeros(ch.n, dtype=bool)
        self.ledger = Ledger()
        for si, (kind, org) in enumerate(all_sources(self.K, self.P.extra_layouts)):
            rec = ch.recs.get((kind, org))
            if rec is None or not rec.persons:
                continue
            r = np.random.default_rng([self.seed, chunk_no, si, 11])
            src, system = source_name(kind, org, self.P.faults)
            self._source(ch, rec, src, LAYOUTS[system], kind, org, r, appeared)
        t = self.truth
        write_reopen_truth(t["reopen"], self.ledger, ch)
        exp = ch.exploited
        # recorded: named on a police record of one of the group's crimes (suspect or victim); members nobody
        # ever named can be found only through other traces, if at all
        named = {(ch.crime_info[k][1], ch.tpid[i]) for (kind, _), rec in ch.recs.items() if kind == "police"
                 for k, i, _role in rec.links if k in ch.crime_info and ch.crime_info[k][1]}
        # groups in the order they were last active (their last member leaving), so that a man in two groups has
        # his most recent group as his last row: the convention of `joinedup network --export-groups`
        ends: dict[str, str] = {}
        for g in ch.groups:
            ends[g[0]] = max(ends.get(g[0], ""), g[5] or g[4])
        for g in sorted(ch.groups, key=lambda g: (ends[g[0]], g[0])):
            t["groups"].writerow([*g, int((g[0], g[1]) in named)])
        for p, result in ch.disregards:
            t["disregards"].writerow([f"P{p:08d}", result])
        abused = np.zeros(ch.n, dtype=bool)
        abused[list(ch.abuse_kind)] = True
        is_child = appeared & ((ch.dob_y >= 1980) & ch.child_member | exp | abused)
        fh = [ch.first_harm.get(i) for i in range(ch.n)]
        fh_s = fmt_days(fh, "%Y-%m-%d")
        for i in np.flatnonzero(is_child).tolist():
            t["children"].writerow([ch.tpid[i], int(exp[i]), fh_s[i], ch.abuse_kind.get(i, "")])
        iso = lambda d: "" if d is None else fmt_days([d], "%Y-%m-%d")[0]  # noqa: E731
        t["social_care"].writerows([ch.tpid[i], "assessment", iso(d), "", int(cse), ""] for i, d, cse in ch.assessments)
        t["social_care"].writerows([ch.tpid[i], "looked_after", iso(a), iso(b), "", k] for i, a, b, k in ch.care)
        dob_s = fmt_days(ch.dob.tolist(), "%Y-%m-%d")
        t["people"].writerows(zip(ch.tpid, ch.sex.tolist(), dob_s, ch.eth.tolist(), ch.nat.tolist(),
                                  [ORIGINS[o] for o in ch.origin.tolist()], (ch.force + 1).tolist(), (ch.la + 1).tolist(),
                                  ch.child.astype(int).tolist(), ch.vulnerable.astype(int).tolist(), exp.astype(int).tolist(),
                                  ch.offender.astype(int).tolist()))

    def _source(self, ch: Chunk, rec: Rec, src: str, lay: Layout, kind: str, org: int, r: np.random.Generator,
                appeared: np.ndarray) -> None:
        # person records: one per person, plus duplicates of a few people under a new id
        idx = list(rec.persons)
        roles = [rec.persons[i] for i in idx]
        dup = np.flatnonzero(r.random(len(idx)) < DUPLICATE_P).tolist()
        all_idx = idx + [idx[j] for j in dup]
        all_roles = roles + [roles[j] for j in dup]
        appeared[idx] = True
        pfile = lay.files[0]
        prefix = {"niche": "NOM", "athena": "PER-", "connect": "N", "liquidlogic": "LL", "mosaic": "M", "pas": "RX", "sims": "S",
                  "yjcase": "YP", "shclinic": "GUM", "carefirst": "CF"}[lay.system]
        sr = self.srid(src, pfile.stem, prefix, len(all_idx))
        srid_of: dict[int, list[str]] = {}
        for i, s in zip(all_idx, sr):
            srid_of.setdefault(i, []).append(s)
        c = self._person_columns(ch, all_idx, all_roles, sr, kind, org, rec, r)
        planted = {p for p, _result in ch.disregards}
        apply_noise(c, r, kind, lay.partial_dob, ch.child[np.array(all_idx, dtype=np.int64)] if all_idx else np.zeros(0, bool),
                    keep_dob=np.array([ch.start + i in planted for i in all_idx], dtype=bool))
        rows, header = self._render(pfile, lay, c, len(sr))
        keys: set = set()
        protect = None
        if kind == "police":
            keys, people = justice_rows(rec, ch)
            protect = np.array([i in people for i in all_idx], dtype=bool)
            self.protected.update((src, s) for s, p in zip(sr, protect.tolist()) if p)
        bad = self._invalid_person(rows, header, pfile, lay, src, sr, c, r, protect)
        self.ledger.persons(src, sr, all_idx, c["phones"], c["vehicles"], bad)
        self.sinks.write(src, lay, pfile, header, rows)
        self.truth["records"].writerows((src, s, ch.tpid[i]) for s, i in zip(sr, all_idx))
        self.count(src, "person_record", len(sr))

        def pick(i: int) -> str:
            ids = srid_of[i]
            # links to a duplicated person go to either record, as they do in real systems
            return ids[0] if len(ids) == 1 or r.random() < 0.6 else ids[int(r.integers(1, len(ids)))]

        if kind == "police":
            self._police(rec, src, lay, pick, r, ch, keys)
        self._events(rec, src, lay, pick, r)

    def _person_columns(self, ch: Chunk, idx: list[int], roles: list[str], sr: list[str], kind: str, org: int, rec: Rec,
                        r: np.random.Generator) -> dict[str, Any]:
        a = np.array(idx, dtype=np.int64)
        n = len(idx)
        hh = ch.hh[a] if n else np.zeros(0, np.int64)
        moved = ch.hh_moved[hh] if n else np.zeros(0, bool)
        # records made before a move carry the previous address
        prev = moved & (r.random(n) < 0.3)
        addr1 = [ch.hh_prev_addr[h] if p else ch.hh_addr[h] for h, p in zip(hh.tolist(), prev.tolist())]
        pcs = [ch.hh_prev_pc[h] if p else ch.hh_pc[h] for h, p in zip(hh.tolist(), prev.tolist())]
        town = [ch.town(int(x)) for x in ch.la[a].tolist()] if n else []
        for j, i in enumerate(idx):
            if i in ch.premises and r.random() < 0.5:
                addr1[j], pcs[j] = ch.hh_addr[ch.premises[i]], ch.hh_pc[ch.premises[i]]
        phones = []
        base = ch.phone[a].tolist() if n else []
        for i, p in zip(idx, base):
            ph = [p] if p and r.random() < {"police": 0.5, "csc": 0.3, "health": 0.6, "education": 0.2, "yjs": 0.4,
                                          "sexual_health": 0.7}[kind] else []
            if kind == "police":
                ph += ch.extra_phones.get(i, [])
            phones.append(ph)
        vehicles = [ch.vehicles.get(i, []) if kind == "police" else [] for i in idx]
        aliases = []
        for i in idx:
            al = []
            if kind == "police" and i in ch.nick and r.random() < 0.8:
                al.append(ch.nick[i])
            elif kind in ("csc", "education", "yjs") and r.random() < 0.08:
                v = ch.pools.variants.get(ch.forename[i])
                if v:
                    al.append(v[0])
            aliases.append(al)
        nhs = ch_list(ch.nhs, idx)
        keep = r.random(n) < NHS_PRESENT[kind]
        nhs = [x if k else "" for x, k in zip(nhs, keep.tolist())]
        eth = ch.eth[a].tolist() if n else []
        nat = ch.nat[a].tolist() if n else []
        if kind == "police":
            rate = SUSPECT_ETH_RATE[org % len(SUSPECT_ETH_RATE)] if not self.P.structured else graded_recording_rate(org)
            u = r.random(n)
            eth = [e if uu < (rate if ro == "SUSPECT" else 0.6) else ("NS" if uu > 0.85 else "") for e, uu, ro in zip(eth, u.tolist(), roles)]
            if self.P.structured:
                # nationality of suspects is recorded about as often as their ethnicity (published: about a third)
                un = r.random(n)
                nat = [x if uu < (rate * 1.05 if ro == "SUSPECT" else 0.6) else "" for x, uu, ro in zip(nat, un.tolist(), roles)]
        else:
            u = r.random(n)
            eth = [e if uu < 0.85 else ("NS" if uu > 0.95 else "") for e, uu in zip(eth, u.tolist())]
        obs = [IC_OF.get(ch.eth[i], "IC9") if kind == "police" and r.random() < 0.7 else "" for i in idx]
        if kind != "police" or not self.P.structured:
            nat = [x if r.random() < 0.6 else "" for x in nat]
        if kind == "police":
            acc = self.recording.setdefault(source_name(kind, org, self.P.faults)[0], [0, 0, 0])
            for e, x, ro in zip(eth, nat, roles):
                if ro == "SUSPECT":
                    acc[0] += 1
                    acc[1] += e not in ("", "NS")
                    acc[2] += x != ""
        return {
            "srid": sr, "forename": ch_list(ch.forename, idx), "middle_names": ch_list(ch.middle, idx),
            "surname": ch_list(ch.surname, idx), "aliases": aliases,
            "dob_y": ch.dob_y[a].tolist() if n else [], "dob_m": ch.dob_m[a].tolist() if n else [],
            "dob_d": ch.dob_d[a].tolist() if n else [], "dob_prec": ["day"] * n,
            "sex": ch.sex[a].tolist() if n else [], "addr1": addr1, "town": town,
            "address": [f"{x}, {t}" for x, t in zip(addr1, town)], "postcode": pcs, "phones": phones, "vehicles": vehicles,
            "nhs_number": nhs, "upn": [u if ch.dob_y[i] >= 1990 else "" for u, i in zip(ch_list(ch.upn, idx), idx)],
            "ethnicity_self": eth, "ethnicity_observed": obs, "nationality": nat,
            "looked_after": [rec.flags.get(i, {}).get("looked_after", False) for i in idx],
            "disability_sen": ch.sen[a].tolist() if n else [], "role": roles,
        }

    def _render(self, fs: FileSpec, lay: Layout, c: dict[str, Any], n: int) -> tuple[list[list[str]], list[str]]:
        cols = []
        header = []
        for h, key in fs.columns:
            header.append(h)
            cols.append(render(lay, fs, key, c, n))
        # rows stay tuples; the few rows made invalid on purpose are copied to lists first
        return list(zip(*cols)) if cols else [], header

    def _invalid_person(self, rows: list, header: list[str], fs: FileSpec, lay: Layout, src: str, sr: list[str], c: dict, r,
                        protect: np.ndarray | None = None) -> list[int]:
        """Make a few person rows invalid on purpose (never a protected one); return the rows ingest will quarantine."""
        n = len(rows)
        hit = spare(np.flatnonzero(r.random(n) < INVALID_PERSON_P).tolist(), protect)
        if not hit:
            return []
        col = {k: header.index(h) for h, k in fs.columns}
        quarantined: list[int] = []
        for j in hit:
            rows[j] = list(rows[j])
            kinds = ["dob_impossible", "dob_future", "ethnicity_unknown"]
            if rows[j][col["nhs_number"]]:
                kinds += ["nhs_check", "nhs_short"]
            k = kinds[int(r.integers(0, len(kinds)))]
            fmt = lay.date_fmt
            if k == "dob_future" and "%y" in fmt:
                k = "dob_impossible"  # a two-digit 2091 reads as 1991: a real date, so not invalid
            if k == "dob_impossible":
                rows[j][col["dob"]] = bad_date(c["dob_y"][j], fmt, False)
                fld, why = "dob", "impossible date"
            elif k == "dob_future":
                rows[j][col["dob"]] = bad_date(c["dob_y"][j], fmt, True)
                fld, why = "dob", "date out of range (2091)"
            elif k == "ethnicity_unknown":
                rows[j][col["ethnicity_self"]] = "Z7"
                fld, why = "ethnicity_self", "unknown code Z7"
            elif k == "nhs_check":
                rows[j][col["nhs_number"]] = bad_nhs_check(rows[j][col["nhs_number"]])
                fld, why = "nhs_number", "NHS number fails check digit"
            else:
                rows[j][col["nhs_number"]] = rows[j][col["nhs_number"]][:9]
                fld, why = "nhs_number", "NHS number has 9 digits"
            self.truth["invalid"].writerow([src, self.sinks.file_for(src, lay, fs, j), sr[j], fld, why])
            self.invalid += 1
            if fld != "ethnicity_self":
                quarantined.append(j)  # an unknown ethnicity code loads with a field issue; the rest are quarantined
        return quarantined

    def _police(self, rec: Rec, src: str, lay: Layout, pick: Callable[[int], str], r, ch: Chunk, keys: set) -> None:
        cf, lf, of = lay.files[1], lay.files[2], lay.files[3]
        pre = {"niche": ("OCC", "LNK", "OUT"), "athena": ("CR-", "CP-", "DS-"), "connect": ("C", "R", "X")}[lay.system]
        csr = self.srid(src, cf.stem, pre[0], len(rec.crimes))
        crime_id = {cr[0]: s for cr, s in zip(rec.crimes, csr)}
        c = {"srid": csr, "offence_code": [x[1] for x in rec.crimes], "cse_flag": [x[2] for x in rec.crimes],
             "date_committed": [x[3] for x in rec.crimes], "date_reported": [x[4] for x in rec.crimes],
             "location_postcode": [x[5] for x in rec.crimes]}
        rows, header = self._render(cf, lay, c, len(csr))
        col = {k: header.index(h) for h, k in cf.columns}
        protect = np.array([cr[0] in keys for cr in rec.crimes], dtype=bool)
        self.protected.update((src, s) for s, p in zip(csr, protect.tolist()) if p)
        bad = spare(np.flatnonzero(r.random(len(rows)) < INVALID_OTHER_P).tolist(), protect)
        self.ledger.crimes(src, csr, rec.crimes, bad, lay.system)
        for j in bad:
            rows[j] = list(rows[j])
            if r.random() < 0.5:
                rows[j][col["offence_code"]], fld, why = "ABC", "offence_code", "unknown offence code ABC"
            else:
                y = int(rows[j][col["date_reported"]][-4:]) if lay.date_fmt != "%Y-%m-%d" else int(rows[j][col["date_reported"]][:4])
                rows[j][col["date_reported"]], fld, why = bad_date(y, lay.date_fmt, False), "date_reported", "impossible date"
            self.truth["invalid"].writerow([src, self.sinks.file_for(src, lay, cf, j), csr[j], fld, why])
            self.invalid += 1
        self.sinks.write(src, lay, cf, header, rows)
        self.count(src, "crime", len(rows))
        lsr = self.srid(src, lf.stem, pre[1], len(rec.links))
        osr = self.srid(src, of.stem, pre[2], len(rec.outcomes))
        # the dates of suspect identified, first hearing and court result (standard 1.1.0; the legacy layout has none)
        end = END_ORD - EPOCH.toordinal()
        first_out: dict[tuple, int] = {}
        for x in rec.outcomes:
            if x[3] is not None and ((x[0], x[1]) not in first_out or x[3] < first_out[(x[0], x[1])]):
                first_out[(x[0], x[1])] = x[3]
        c = {"srid": lsr, "crime_record_id": [crime_id[x[0]] for x in rec.links], "person_record_id": [pick(x[1]) for x in rec.links],
             "role": [x[2] for x in rec.links],
             "date_identified": link_dates(self.seed, src, rec.links, lsr, {cr[0]: cr[4] for cr in rec.crimes}, first_out, end)}
        rows, header = self._render(lf, lay, c, len(lsr))
        self.protected.update((src, s) for s, x in zip(lsr, rec.links) if x[0] in keys)
        self.ledger.links(src, rec.links, c["person_record_id"])
        self.sinks.write(src, lay, lf, header, rows)
        self.count(src, "crime_person", len(rows))
        hearing, result = court_dates(self.seed, src, rec.outcomes, osr, end)
        c = {"srid": osr, "crime_record_id": [crime_id[x[0]] for x in rec.outcomes], "person_record_id": [pick(x[1]) for x in rec.outcomes],
             "outcome_type": [x[2] for x in rec.outcomes], "outcome_date": [x[3] for x in rec.outcomes],
             "charged_offence": [x[4] for x in rec.outcomes], "court_result": [x[5] for x in rec.outcomes],
             "first_hearing_date": hearing, "court_result_date": result}
        rows, header = self._render(of, lay, c, len(osr))
        self.ledger.outcomes(src, osr, rec.outcomes, c["person_record_id"])
        self.sinks.write(src, lay, of, header, rows)
        self.count(src, "outcome", len(rows))
        for x, s in zip(rec.outcomes, osr):
            if x[6]:
                self.truth["downgrades"].writerow([src, s])
        # every outcome of a sexual offence against a child, with its true victim and suspect (calibration reads these)
        crime = {cr[0]: cr for cr in rec.crimes}
        iso = {d: fmt_days([d], "%Y-%m-%d")[0] for x in rec.outcomes for d in (crime[x[0]][3], crime[x[0]][4], x[3]) if d is not None}
        for x, s in zip(rec.outcomes, osr):
            info = ch.crime_info.get(x[0])
            if info is None:
                continue
            kind, gid, v = info
            cr = crime[x[0]]
            self.truth["offences"].writerow([src, crime_id[x[0]], s, kind, gid, ch.tpid[v], ch.tpid[x[1]], cr[1], int(cr[2]),
                                             iso[cr[3]], iso[cr[4]], x[2], x[4], x[5], int(x[6])])

    def _events(self, rec: Rec, src: str, lay: Layout, pick: Callable[[int], str], r) -> None:
        by_file: dict[int, list[tuple]] = {}
        files = lay.files[1:]
        if lay.agency_type == "police":
            files = [lay.files[4]]
        for ev in rec.events:
            for k, fs in enumerate(files):
                if fs.event_type in (None, ev[1]):
                    by_file.setdefault(k, []).append(ev)
                    break
        for k, fs in enumerate(files):
            evs = by_file.get(k, [])
            if not evs:
                continue
            prefix = fs.stem[:3].upper().replace("_", "")
            esr = self.srid(src, fs.stem, prefix, len(evs))
            c = {"srid": esr, "person_record_id": [pick(e[0]) for e in evs], "event_type": [e[1] for e in evs],
                 "start_date": [e[2] for e in evs], "end_date": [e[3] for e in evs], "codes": [e[4] for e in evs],
                 "location": [e[5] for e in evs], "with_whom": [e[6] for e in evs], "referral_source": [e[7] for e in evs],
                 "detail": [e[8] for e in evs]}
            rows, header = self._render(fs, lay, c, len(esr))
            col = {k2: header.index(h) for h, k2 in fs.columns}
            efmt = event_date_fmt(lay)
            for j in np.flatnonzero(r.random(len(rows)) < INVALID_OTHER_P).tolist():
                rows[j] = list(rows[j])
                rows[j][col["start_date"]] = bad_date(2010 + j % 10, efmt, False)
                self.truth["invalid"].writerow([src, self.sinks.file_for(src, lay, fs, j), esr[j], "start_date", "impossible date"])
                self.invalid += 1
            self.sinks.write(src, lay, fs, header, rows)
            self.count(src, "event", len(rows))


def ch_list(arr: np.ndarray, idx: list[int]) -> list:
    """arr[idx] as a Python list."""
    return arr[np.array(idx, dtype=np.int64)].tolist() if idx else []


def render(lay: Layout, fs: FileSpec, key: str, c: dict[str, Any], n: int) -> list[str]:
    """One column of an extract: canonical values rendered the way this system writes them."""
    sysn = lay.system
    if key == "dob":
        return _fmt_ymd(c["dob_y"], c["dob_m"], c["dob_d"], c["dob_prec"], lay.date_fmt)
    if key in ("start_date", "end_date"):
        return fmt_days(c[key], event_date_fmt(lay))
    if key in ("date_committed", "date_reported", "outcome_date", "date_identified", "first_hearing_date", "court_result_date"):
        return fmt_days(c[key], lay.date_fmt)
    if key == "name_combined":
        # "SURNAME, Forename Middle", as one legacy system keeps a name
        return [f"{str(s).upper()}, {f} {m}".rstrip() for s, f, m in zip(c["surname"], c["forename"], c["middle_names"])]
    v = c[key]
    if key in ("aliases", "phones", "vehicles"):
        return [";".join(x) for x in v]
    if key == "sex":
        return [lay.sex[x] for x in v]
    if key == "ethnicity_self":
        if lay.ethnicity == "free_text":
            return [FREE_TEXT_ETHNICITY.get(x, [x])[(j * 7 + len(str(x))) % len(FREE_TEXT_ETHNICITY.get(x, [x]))]
                    for j, x in enumerate(v)]
        if lay.ethnicity == "police_16plus1":
            return [TO_16PLUS1.get(x, x) for x in v]
        if lay.ethnicity == "dfe":
            return [TO_DFE.get(x, x) for x in v]
        if lay.ethnicity == "nhs":
            return [TO_NHS.get(x, x) for x in v]
        return list(v)
    if key == "ethnicity_observed":
        return list(v) if sysn == "niche" else [x[2:] for x in v]
    if key == "nationality":
        return [ALPHA3_TO_2.get(x, x) for x in v] if sysn == "athena" else list(v)
    if key in ("looked_after", "cse_flag"):
        yes, no = BOOL_WORDS[sysn]
        return [yes if x else no for x in v]
    if key == "disability_sen":
        m = SEN_WORDS[sysn]
        if sysn == "sims":
            m = {"NONE": "N", "LD": "E", "SEN": "K", "PD": "K"}
        return [m.get(x, x) for x in v]
    if key == "role":
        return [ROLE_WORDS[sysn].get(x, x) for x in v] if sysn in ROLE_WORDS else list(v)
    if key == "court_result":
        return [COURT_WORDS[sysn].get(x, x) for x in v]
    if key in ("offence_code", "charged_offence"):
        if sysn == "connect":
            return [TO_PRE2004.get(x, x) if x else "" for x in v]
        if sysn == "athena" and key == "charged_offence":
            return [TO_STATUTE.get(x, x) for x in v]
        return list(v)
    if key == "codes":
        m = MISSING_WORDS.get(sysn, {})
        return [m.get(x, x) for x in v] if m else list(v)
    if key == "event_type":
        return [{"yjcase": YJ_ETYPE, "carefirst": CAREFIRST_ETYPE}.get(sysn, MOSAIC_ETYPE)[x] for x in v]
    return ["" if x is None else str(x) for x in v]


def is_previous_output(out: Path) -> bool:
    """Whether a folder holds a previous synth output (its manifest is there)."""
    return (out / MANIFEST).is_file()


def generate(out: Path, people: int, seed: int, forces: int = 3, progress: ProgressFn | None = None,
             chunk_people: int = CHUNK_PEOPLE, xlsx_max_rows: int = 1_048_575, profile: str = "default",
             faults: bool | None = None, deliveries: int = 1) -> dict:
    """Generate a synthetic world of `people` people into `out`; return a summary dictionary
    (faults: structural faults and the legacy layout, on or off whatever the profile says)."""
    out = Path(out)
    prof = get_profile(profile)
    if faults is not None:
        prof = dataclasses.replace(prof, faults=faults)
    if people < 1:
        raise ValueError("people must be at least 1")
    if forces < 1:
        raise ValueError("forces must be at least 1")
    if deliveries < 1:
        raise ValueError("deliveries must be at least 1")
    if out.exists() and any(out.iterdir()):
        if not is_previous_output(out):
            raise FileExistsError(f"{out} is not empty and is not a previous synth output")
        for sub in ("extracts", "truth", "deliveries"):
            shutil.rmtree(out / sub, ignore_errors=True)
        (out / MANIFEST).unlink()
    out.mkdir(parents=True, exist_ok=True)
    world = World(out, seed, forces, xlsx_max_rows, prof, deliveries)
    done, chunk_no = 0, 0
    try:
        while done < people:
            n = min(chunk_people, people - done)
            ch = Chunk(seed, chunk_no, done, n, forces, world.ids, prof)
            ch.build()
            world.chunk(ch, chunk_no)
            done += n
            chunk_no += 1
            if progress:
                progress(done, people)
    finally:
        world.close()
    n_faults = inject_faults(out, seed, world.protected) if prof.faults else 0
    records = {s: dict(sorted(t.items())) for s, t in sorted(world.summary_records.items())}
    summary = {
        "people": people, "seed": seed, "forces": forces, "profile": prof.name, "profile_description": prof.description,
        "oversampling": prof.oversampling,
        "chunks": chunk_no,
        "sources": sorted(records), "records": records,
        "person_records": sum(t.get("person_record", 0) for t in records.values()),
        "total_rows": sum(sum(t.values()) for t in records.values()),
        "invalid_rows": world.invalid,
        "structural_faults": n_faults,
        "deliveries": [{"delivery": k, "extract_date": extract_date(k).isoformat(),
                        "folder": "extracts" if k == 1 else str(delivery_folder(Path("."), k))} for k in range(1, deliveries + 1)],
        "files": sorted(str(p.relative_to(out)) for p in (out / "extracts").rglob("*") if p.is_file()),
    }
    with open(out / "truth" / "sampling.csv", "w", newline="", encoding="utf-8") as fh:
        # how many times its realistic rate each stratum is planted: weight a case by 1/factor to re-weight
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["profile", "stratum", "oversampling_factor"])
        w.writerows([prof.name, k, "" if v is None else v] for k, v in prof.oversampling.items())
    if prof.structured:
        write_calibration(out)
    (out / MANIFEST).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
