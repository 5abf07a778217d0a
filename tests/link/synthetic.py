"""A small variant-heavy synthetic population for linkage tests (nicknames, transliterations, dob swaps)."""

from __future__ import annotations

import random

import pandas as pd

FORENAME_GROUPS = [
    ["WILLIAM", "BILL", "WILL", "LIAM"], ["KATHERINE", "KATE", "CATHERINE", "KATIE"], ["MOHAMMED", "MUHAMMAD", "MOHAMED", "MOHAMMAD"],
    ["AISHA", "AYESHA", "AYSHA"], ["ROBERT", "BOB", "ROB"], ["ELIZABETH", "LIZ", "BETH", "ELIZA"], ["YUSUF", "YOUSEF", "YOUSSEF"],
    ["FATIMA", "FATIMAH", "FATEMA"], ["ALEKSANDRA", "OLEKSANDRA", "ALEXANDRA"], ["KHADIJA", "KHADIJAH", "KHADEEJA"],
    ["JAMES", "JIM", "JAMIE"], ["REBECCA", "BECKY", "BEX"], ["IBRAHIM", "IBRAHEEM", "EBRAHIM"], ["ZAINAB", "ZAYNAB", "ZEINAB"],
    ["MARGARET", "MAGGIE", "MEG"], ["OMAR", "UMAR", "OMER"], ["SAMANTHA", "SAM", "SAMMY"], ["DMYTRO", "DMITRI", "DMITRY"],
]
SURNAME_GROUPS = [
    ["HUSSAIN", "HUSSEIN", "HUSAIN"], ["CHAUDHRY", "CHOUDHURY", "CHOWDHURY"], ["SMITH"], ["JONES"], ["KOWALSKI", "KOVALSKI"],
    ["SIDDIQUI", "SIDDIQI"], ["RAHMAN", "REHMAN"], ["TAYLOR"], ["BROWN"], ["KHAN"], ["PATEL"], ["WILSON"], ["SHEVCHENKO"],
    ["AHMED", "AHMAD"], ["WALKER"], ["NOWAK", "NOVAK"], ["EVANS"], ["QURESHI", "QURAISHI"], ["MALIK", "MALEK"], ["ROBERTS"],
]
AREAS = ["BD1", "BD3", "LS9", "M8", "OL1", "S3", "B11", "TF1", "HD1", "RO1"]


def _postcode(rng: random.Random) -> str:
    return f"{rng.choice(AREAS)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def population(n_people: int = 400, seed: int = 7, protected: bool = True) -> pd.DataFrame:
    """Records with a true_id: 2-3 records per person, most of them varied the way agencies vary them."""
    rng = random.Random(seed)
    rows = []
    for pid in range(n_people):
        fg, sg = rng.choice(FORENAME_GROUPS), rng.choice(SURNAME_GROUPS)
        fore, sur = fg[0], sg[0]
        y, m, d = rng.randint(2005, 2012), rng.randint(1, 12), rng.randint(1, 12)  # day <= 12 so swaps are possible
        pc, sex = _postcode(rng), rng.choice("MF")
        for k in range(rng.choice([2, 2, 3])):
            f, s, dob, p = fore, sur, (y, m, d), pc
            if k:
                r = rng.random()
                if r < 0.3:
                    f = rng.choice(fg)           # nickname / transliteration
                elif r < 0.45:
                    s = rng.choice(sg)
                elif r < 0.6 and m != d:
                    dob = (y, d, m)              # day and month swapped
                elif r < 0.7:
                    s = f"{sur} {rng.choice(SURNAME_GROUPS)[0]}"   # double-barrelled / other parent's name
                elif r < 0.8:
                    f, s = s, f                  # forename and surname swapped
                if rng.random() < 0.3:
                    p = _postcode(rng) if rng.random() < 0.5 else None   # moved, or not recorded
            rows.append({"source": rng.choice(["F01-police", "LA1-children", "H1-health"]), "source_record_id": f"r{pid}-{k}",
                         "forename": f, "surname": s, "dob": f"{dob[0]:04d}-{dob[1]:02d}-{dob[2]:02d}", "sex": sex,
                         "postcode": p, "true_id": str(pid),
                         **({"ethnicity_self": rng.choice(["A1", "B2", "W1"]), "nationality": rng.choice(["GBR", "PAK", "POL"]),
                             "ethnicity_ons21": rng.choice(["A", "B", "W"]), "ethnicity_observed": rng.choice(["IC1", "IC4"])} if protected else {})})
    df = pd.DataFrame(rows)
    df["unique_id"] = df["source"] + "::" + df["source_record_id"]
    return df
