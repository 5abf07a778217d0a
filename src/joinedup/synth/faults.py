"""Structural faults written into finished extracts, the way real agency exports break, each listed in
truth/faults.csv (realistic profile, or `--faults`). Line-level faults name the file's physical line (the
header is line 1); layout-level faults (a whole column written another way) name no line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

HEADER = ["source", "file", "row", "kind", "source_record_id", "detail"]
RATE = 1 / 20_000   # line-level faults per data line of a targeted file (at least one each)

# (source folder, file, kind): which files carry which line-level fault
TARGETS = [
    ("F01-niche", "nominals.csv", "malformed_quote"),
    ("F02-athena", "persons.csv", "unquoted_comma"),
    ("F02-athena", "persons.csv", "stray_cp1252_byte"),
    ("F01-niche", "occurrence_links.csv", "orphan_reference"),
    ("LA03-liquidlogic", "referrals.csv", "orphan_reference"),
]
# the legacy layout's own ways (layout-level)
LAYOUT_FAULTS = [
    ("LA01-carefirst", "CF_CLIENTS.csv", "combined_name_column", "CLIENT_NAME holds 'SURNAME, Forename Middle'"),
    ("LA01-carefirst", "CF_CLIENTS.csv", "two_digit_years", "DOB written dd/mm/yy"),
    ("LA01-carefirst", "CF_EPISODES.csv", "two_digit_years", "START_DATE and END_DATE written dd/mm/yy"),
    ("LA01-carefirst", "CF_CLIENTS.csv", "free_text_ethnicity", "ETHNIC_ORIGIN is free text, several spellings per group"),
]


def _line(fields: list[str], raw: int | None = None) -> str:
    """A CSV line, quoting as a writer would except field `raw`, written as it is."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    if raw is None:
        return buf.getvalue()
    out = []
    for i, f in enumerate(fields):
        b = io.StringIO()
        csv.writer(b, lineterminator="").writerow([f])
        out.append(f if i == raw or f == "" else b.getvalue())
    return ",".join(out)


def _fault(kind: str, line: str, r: np.random.Generator, k: int) -> tuple[str | bytes, str]:
    """The broken line (text, or bytes for an encoding fault) and what was done."""
    fields = next(csv.reader([line]))
    if kind == "malformed_quote":
        # a quote opened in the second field and never closed: the parser runs on into the next lines
        return fields[0] + ',"' + _line(fields[1:]), "quote opened in field 2 and not closed"
    if kind == "unquoted_comma":
        i = 7  # house_street
        fields[i] = f"Flat {int(r.integers(1, 9))}, {fields[i]}"
        return _line(fields, raw=i), f"comma inside field {i + 1} written without quotes"
    if kind == "stray_cp1252_byte":
        name = fields[1]
        fields[1] = name.replace("e", "\u00e9", 1) if "e" in name else name + "\u00e9"
        # this one line was typed on a Windows machine: its text is cp1252, the rest of the file UTF-8
        return _line(fields).encode("cp1252"), f"forename {fields[1]!r} encoded cp1252 (byte 0xE9) in a UTF-8 file"
    if kind == "orphan_reference":
        # a link to a person record that is not in the extract (deleted, or from another system)
        col = 2 if len(fields) > 3 and fields[2][:3] in ("NOM", "PER", "LL0") else 1
        old = fields[col]
        fields[col] = f"{old[:2]}X{90_000_000 + k:08d}"
        return _line(fields), f"person reference {fields[col]!r} matches no person record (was {old!r})"
    raise ValueError(kind)


def inject_faults(out: Path, seed: int, protected: set[tuple[str, str]] | None = None) -> int:
    """Break a few lines of the targeted CSV extracts and list every fault in truth/faults.csv; returns the count
    (protected: (source, record id) rows behind planted justice cases, never broken)."""
    r = np.random.default_rng([seed, 4242])
    rows: list[list[str]] = []
    ex = Path(out) / "extracts"
    # rows already invalid on purpose keep one fault only, so each truth file says exactly what is wrong with a row
    with open(Path(out) / "truth" / "invalid.csv", newline="", encoding="utf-8") as f:
        invalid = {(x["source"], x["source_record_id"]) for x in csv.DictReader(f)}
    by_file: dict[tuple[str, str], list[str]] = {}
    for src, name, kind in TARGETS:
        by_file.setdefault((src, name), []).append(kind)
    for (src, name), kinds in by_file.items():
        path = ex / src / name
        if not path.is_file():
            continue
        raw = path.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        lines: list[str | bytes] = raw[3 if bom else 0:].decode("utf-8").split("\n")
        data = [i for i in range(1, len(lines)) if lines[i] and (src, str(lines[i]).split(",", 1)[0]) not in invalid]
        n_data = len(data)  # the fault count is set before protected rows are set aside: another row takes the fault
        data = [i for i in data if (src, str(lines[i]).split(",", 1)[0]) not in (protected or ())]
        taken: set[int] = set()
        for kind in kinds:
            k = max(1, int(round(n_data * RATE)))
            free = [i for i in data if i not in taken and i + 1 not in taken and i - 1 not in taken]
            for n, i in enumerate(sorted(r.choice(free, size=min(k, len(free)), replace=False).tolist()) if free else []):
                taken.add(i)
                srid = next(csv.reader([lines[i]]))[0]
                lines[i], detail = _fault(kind, lines[i], r, len(rows) + n)
                rows.append([src, name, str(i + 1), kind, srid, detail])
        body = b"\n".join(x if isinstance(x, bytes) else x.encode("utf-8") for x in lines)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body)
    for src, name, kind, detail in LAYOUT_FAULTS:
        if (ex / src / name).is_file():
            rows.append([src, name, "", kind, "", detail])
    with open(Path(out) / "truth" / "faults.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(sorted(rows, key=lambda x: (x[0], x[1], int(x[2] or 0), x[3])))
    return len(rows)
