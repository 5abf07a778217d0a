"""The synthetic world, one chunk of people at a time: households, people, networks, and what each
agency recorded about them (as facts keyed by person index, before any layout or noise)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from joinedup.synth.profiles import DEFAULT, Profile

ORIGINS = ["english", "south_asian", "irish", "east_euro", "west_african", "caribbean", "arabic", "chinese"]
ORIGIN_P = np.array([0.66, 0.12, 0.04, 0.07, 0.04, 0.03, 0.025, 0.015])
ORIGIN_P = ORIGIN_P / ORIGIN_P.sum()
ETHNICITY = {
    "english": (["W1", "M1", "M3", "W9"], [0.94, 0.02, 0.02, 0.02]),
    "irish": (["W2", "W3", "W1"], [0.82, 0.12, 0.06]),
    "south_asian": (["A2", "A1", "A3", "A9"], [0.6, 0.2, 0.15, 0.05]),
    "east_euro": (["W9"], [1.0]),
    "west_african": (["B2", "M2"], [0.9, 0.1]),
    "caribbean": (["B1", "M1", "B9"], [0.78, 0.17, 0.05]),
    "arabic": (["O2", "O9"], [0.8, 0.2]),
    "chinese": (["A4", "A9"], [0.9, 0.1]),
}
FOREIGN_NAT = {
    "english": (["GBR"], [1.0]), "irish": (["IRL"], [1.0]), "south_asian": (["PAK", "BGD", "IND", "AFG"], [0.6, 0.2, 0.15, 0.05]),
    "east_euro": (["POL", "ROU", "LTU", "SVK", "CZE", "ALB"], [0.4, 0.3, 0.1, 0.1, 0.05, 0.05]),
    "west_african": (["NGA", "GHA", "SLE"], [0.6, 0.3, 0.1]), "caribbean": (["JAM"], [1.0]),
    "arabic": (["SYR", "IRQ", "EGY", "SDN"], [0.4, 0.3, 0.2, 0.1]), "chinese": (["CHN", "HKG", "VNM"], [0.6, 0.3, 0.1]),
}
FOREIGN_BORN_P = {"english": 0.0, "irish": 0.4, "south_asian": 0.25, "east_euro": 0.75, "west_african": 0.5, "caribbean": 0.15,
                  "arabic": 0.6, "chinese": 0.5}
IC_OF = {"W1": "IC1", "W2": "IC1", "W3": "IC1", "W9": "IC1", "M1": "IC3", "M2": "IC3", "M3": "IC4", "M9": "IC9",
         "A1": "IC4", "A2": "IC4", "A3": "IC4", "A4": "IC5", "A9": "IC4", "B1": "IC3", "B2": "IC3", "B9": "IC3",
         "O2": "IC6", "O9": "IC9"}
STREETS = ("High Street|Church Lane|Mill Road|Victoria Road|Station Road|Park Avenue|Albert Street|King Street|Queen Street|"
           "Manor Road|Green Lane|Bradford Road|Leeds Road|Manchester Road|Halifax Road|Oak Street|Elm Grove|Beech Road|"
           "Cemetery Road|Canal Street|Wellington Street|Market Street|New Road|North Street|South Parade|West End Road|"
           "Springfield Road|Westfield Lane|Moor Lane|Hollins Road|Clarendon Street|Tennyson Avenue|Byron Street|Milton Road|"
           "Chapel Street|Bank Street|Bridge Road|Castle Street|Grange Road|Heath Road").split("|")
TOWNS = ["Ashbridge", "Brackenfield", "Calder Vale", "Dunmore", "Eastholme", "Fellside", "Greyford", "Holbeck Moor",
         "Irwell", "Kingsmoor", "Lowmarsh", "Millbrook", "Northcote", "Oakworth", "Pennington", "Queensbury", "Rothwick",
         "Stainforth", "Thornbury", "Upperby", "Wexley", "Yarrowby"]
# one postcode area per force (43, as many as England and Wales have forces), so forces never share postcodes
PC_AREAS = ["BD", "OL", "HD", "WF", "HX", "DN", "BB", "SK", "WN", "BL", "LS", "HU", "NG", "DE", "LE", "ST",
            "PR", "FY", "LA", "CA", "YO", "HG", "DL", "TS", "SR", "NE", "DH", "S", "WV", "WS", "DY", "CV", "B", "TF",
            "SY", "CH", "CW", "M", "L", "WA", "ME", "CT", "TN"]
PC_UNIT = list("ABDEFGHJLNPQRSTUWXYZ")
STREET_NAMES = ["Bez", "Saj", "Taz", "Kash", "Jay", "Mo", "Big A", "Tony", "Danny", "Rocky", "Boss", "Stretch", "Daddy", "Baz",
                "Kaz", "Shaz", "Flash", "Smiley", "Chef", "Uncle", "Ricky", "Zee", "Deano", "Scouse",
                # street names vary widely in life; a short list would make strangers share them in one town
                "Ace", "Ash", "Bam", "Bear", "Benji", "Biggie", "Blade", "Bones", "Boz", "Bruv", "Buzz", "Chappy", "Chaz",
                "Chunky", "Cuz", "Dags", "Dizzy", "Dodge", "Dot", "Drizz", "Duke", "Dutch", "Eddie B", "Fats", "Fitz",
                "Fox", "Gaz", "Ghost", "Gino", "Goldie", "Gus", "Hammer", "Harry T", "Hoss", "Ice", "Izzy", "Jacko",
                "Jax", "Jinx", "JJ", "Jonno", "Junior", "K-Dog", "Kev", "King", "Kipper", "Knuckles", "Lefty", "Lenny",
                "Lucky", "Macca", "Maz", "Mikey", "Milo", "Mitch", "Moose", "Naz", "Nico", "Nitro", "Ozzy", "Paddy",
                "Pez", "Pops", "Prince", "Quinny", "Raz", "Red", "Rex", "Ringo", "Robbo", "Rudy", "Sal", "Sammy", "Scotty",
                "Shady", "Sid", "Skinny", "Slim", "Smudge", "Sonny", "Spanner", "Spider", "Stevo", "Sully", "Tank",
                "Tez", "Tiny", "Titch", "Tommo", "Toots", "Trigger", "Vinnie", "Wazza", "Wiz", "Woody", "Yaz", "Zak"]
FOUND_PLACES = ["takeaway", "flat above shop", "hotel", "car park", "taxi rank", "friend's house", "park", "train station",
                "address in another town", "bus station", "shisha lounge", "petrol station"]
SEXUAL_HEALTH = ("SH", "STI", "EC", "PREG")
# structured profiles: share of assessed, not exploited children with CSE recorded as a factor (children at risk)
CSE_AT_RISK_P = 0.2
EPOCH = date(1970, 1, 1)
END = date(2025, 6, 30)
END_ORD = END.toordinal()


@dataclass
class NamePools:
    """Forename and surname pools by origin, and the name-variant groups."""

    forenames: dict[tuple[str, str], np.ndarray]
    surnames: dict[str, np.ndarray]
    variants: dict[str, list[str]]
    all_surnames: np.ndarray
    # the long tail: rarer names, so that namesakes are as common as in a real population of any size
    forename_tail: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    surname_tail: dict[str, np.ndarray] = field(default_factory=dict)


# Share of people whose name comes from the head pool (the commonest names of an origin, with their curated
# variants); the rest draw from the tail. Real surname frequencies: the top 60 English surnames cover about
# a sixth of people, so with a head of 62 and nothing else, two records shared forename, surname and birth
# year ~20 times as often as in the real population, and a 10M-record world was one of namesakes. Surnames of
# Pakistani and Bangladeshi heritage and Arabic names are far more concentrated (Khan, Hussain, Ahmed,
# Mohammed), which is exactly where linkage must not over-link, so those origins keep most people in the head.
HEAD_SHARE_SURNAME = {"english": 0.3, "irish": 0.3, "caribbean": 0.4, "east_euro": 0.3, "west_african": 0.4,
                      "south_asian": 0.7, "chinese": 0.75, "arabic": 1.0}
HEAD_SHARE_FORENAME = {"english": 0.6, "irish": 0.5, "caribbean": 0.5, "east_euro": 0.5, "west_african": 0.5,
                       "south_asian": 0.75, "chinese": 0.85, "arabic": 1.0}


def draw(rng: np.random.Generator, head: np.ndarray, tail: np.ndarray | None, head_share: float, k: int) -> np.ndarray:
    """k names: from the head pool with probability head_share, else from the tail (uniform within each)."""
    out = head[rng.integers(0, len(head), size=k)]
    if tail is not None and len(tail) and head_share < 1.0:
        t = rng.random(k) >= head_share
        out[t] = tail[rng.integers(0, len(tail), size=int(t.sum()))]
    return out


def _grouped(path: Any, *key: str) -> dict[Any, list[str]]:
    """The `name` column of a shipped CSV grouped by its key column(s) (a tuple key when there are several)."""
    out: dict[Any, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            k = tuple(r[c] for c in key) if len(key) > 1 else r[key[0]]
            out.setdefault(k, []).append(r["name"])
    return out


@cache
def name_pools() -> NamePools:
    """Load the shipped name pools and variant resource (src/joinedup/synth/data)."""
    data = resources.files("joinedup.synth") / "data"
    fn, sn = _grouped(data / "forenames.csv", "origin", "sex"), _grouped(data / "surnames.csv", "origin")
    ft, st = _grouped(data / "forenames_tail.csv", "origin", "sex"), _grouped(data / "surnames_tail.csv", "origin")
    variants: dict[str, list[str]] = {}
    for names in _grouped(data / "name_variants.csv", "group_id").values():
        for n in names:
            variants.setdefault(n, [])
            variants[n] += [m for m in names if m != n and m not in variants[n]]
    allsn = sorted({s for v in sn.values() for s in v})
    arr = lambda d: {k: np.array(v, dtype=object) for k, v in d.items()}  # noqa: E731
    return NamePools(arr(fn), arr(sn), variants, np.array(allsn, dtype=object), arr(ft), arr(st))


def nhs_check(base9: np.ndarray) -> np.ndarray:
    """Modulus-11 check digit for 9-digit NHS number bases (10 means the base is unusable)."""
    s = np.zeros(len(base9), dtype=np.int64)
    b = base9.copy()
    for w in range(2, 11):  # rightmost digit has weight 2
        s += (b % 10) * w
        b //= 10
    c = 11 - (s % 11)
    return np.where(c == 11, 0, c)


def nhs_numbers(gidx: np.ndarray) -> list[str]:
    """Unique valid NHS numbers for global person indices (disjoint blocks of 11 bases each)."""
    base = 400_000_000 + gidx.astype(np.int64) * 11
    out = np.full(len(gidx), -1, dtype=np.int64)
    for j in range(11):
        c = nhs_check(base + j)
        ok = (out < 0) & (c != 10)
        out[ok] = (base[ok] + j) * 10 + c[ok]
    return [str(x) for x in out.tolist()]


def bad_nhs_check(nhs: str) -> str:
    """The same NHS number with a wrong check digit."""
    return nhs[:9] + str((int(nhs[9]) + 1 + (nhs[9] == "9")) % 10) if len(nhs) == 10 else nhs


UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upns(gidx: np.ndarray, la: np.ndarray) -> list[str]:
    """Unique Pupil Numbers: check letter + 3-digit LA + 9 digits from the person index."""
    digits = la.astype(np.int64) * 10**9 + 201 * 10**9 + gidx.astype(np.int64)  # 12 digits
    s = np.zeros(len(gidx), dtype=np.int64)
    d = digits.copy()
    for pos in range(13, 1, -1):  # character positions 2..13 weighted by position
        s += (d % 10) * pos
        d //= 10
    letters = np.array(list(UPN_LETTERS))[s % 23]
    return [f"{c}{n:012d}" for c, n in zip(letters.tolist(), digits.tolist())]


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays from days since 1970-01-01."""
    dt = days.astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def days_of_year(y: np.ndarray) -> np.ndarray:
    """Days since epoch of 1 January of each year."""
    return (y.astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def to_date(days: int) -> date:
    """A date from days since epoch."""
    return EPOCH + timedelta(days=int(days))


@dataclass
class Rec:
    """What one source holds about people: person records, events, crimes, links and outcomes."""

    persons: dict[int, str] = field(default_factory=dict)          # person idx -> role
    flags: dict[int, dict] = field(default_factory=dict)           # person idx -> per-record extras
    events: list[tuple] = field(default_factory=list)              # (idx, type, start, end, codes, loc, with, refsrc, detail)
    crimes: list[tuple] = field(default_factory=list)              # (key, offence, cse, committed, reported, postcode)
    links: list[tuple] = field(default_factory=list)               # (crime key, idx, role)
    outcomes: list[tuple] = field(default_factory=list)            # (crime key, idx, type, date, charged, court, downgrade)

    ROLE_RANK = {"SUSPECT": 5, "VICTIM": 4, "MISSING": 3, "WITNESS": 2, "ASSOCIATE": 1}

    def person(self, idx: int, role: str) -> None:
        """Record a person here, keeping the most serious police role."""
        old = self.persons.get(idx)
        if old is None or self.ROLE_RANK.get(role, 0) > self.ROLE_RANK.get(old, 0):
            self.persons[idx] = role


class Chunk:
    """One block of people with all their households, networks and agency contacts."""

    def __init__(self, seed: int, chunk_no: int, start: int, n: int, forces: int, ids: dict[str, int],
                 profile: Profile = DEFAULT) -> None:
        self.rng = np.random.default_rng([seed, chunk_no, 7])
        self.trace_rng = np.random.default_rng([seed, chunk_no, 11])  # offending.trace_draws
        self.P = profile
        self.start, self.n, self.K = start, n, forces
        self.pools = name_pools()
        self.ids = ids
        self.recs: dict[tuple[str, int], Rec] = {}   # (agency kind, org index) -> Rec
        self.groups: list[tuple] = []                 # (group id, true person id, role, kind, joined, left)
        self.disregards: list[tuple[int, str]] = []   # (global person index, outcome of the soliciting charge)
        self.abuse_kind: dict[int, str] = {}          # victim idx -> cse_group | cse_lone | familial_group | csa
        self.crime_info: dict[str, tuple[str, str, int]] = {}  # crime key -> (kind, group id, victim idx)
        self.assessments: list[tuple[int, int, bool]] = []     # (idx, day, CSE factor recorded)
        self.care: list[tuple[int, int, int, int]] = []        # (idx, start, end, missing episodes while looked after)
        self.first_harm: dict[int, int] = {}
        self.vehicles: dict[int, list[str]] = {}
        self.extra_phones: dict[int, list[str]] = {}
        self.nick: dict[int, str] = {}
        self.premises: dict[int, int] = {}            # offender idx -> household whose address he uses
        self.last_trace: Any = None                   # the last structured group's records (offending.Trace)
        self.own_car: dict[tuple[int, str], str] = {}  # (man, group's first car) -> his own car then, noted when a child is found in it
        self._people()
        if profile.structured:
            self.vulnerable = self.child & (self.rng.random(n) < np.where(self.sen != "NONE", 2.3, 1.0) * profile.vulnerable_p)

    # -- people ---------------------------------------------------------------------------------
    def _people(self) -> None:
        rng, n, K = self.rng, self.n, self.K
        sizes = rng.choice([1, 2, 3, 4, 5, 6, 7], p=[0.22, 0.2, 0.2, 0.2, 0.1, 0.05, 0.03], size=n)
        cs = np.cumsum(sizes)
        H = int(np.searchsorted(cs, n) + 1)
        sizes = sizes[:H].copy()
        sizes[-1] -= int(cs[H - 1] - n)
        self.H = H
        hh = np.repeat(np.arange(H), sizes)
        pos = np.arange(n) - np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
        self.hh, self.pos = hh, pos
        hh_origin = rng.choice(len(ORIGINS), p=ORIGIN_P, size=H)
        self.hh_force = rng.integers(0, K, size=H)
        self.hh_la = self.hh_force * 2 + rng.integers(0, 2, size=H)
        parent_year = rng.integers(1945, 1997, size=H)
        single = sizes == 1
        # households: current address, and a previous one for those who moved (new postcode)
        self.hh_addr, self.hh_pc, self.hh_prev_addr, self.hh_prev_pc = self._addresses(H, self.hh_force, self.hh_la)
        self.hh_moved = rng.random(H) < 0.35
        origin = hh_origin[hh]
        # 4% of people come from a different origin than their household (mixed families)
        mix = rng.random(n) < 0.04
        origin = np.where(mix, rng.choice(len(ORIGINS), p=ORIGIN_P, size=n), origin)
        self.origin = origin
        partner = (pos == 1) & (rng.random(n) < 0.7)
        adult = (pos == 0) | partner
        self.child_member = ~adult
        py = parent_year[hh]
        year = np.where(adult, py + rng.integers(-3, 4, size=n), py + 20 + rng.integers(0, 21, size=n))
        year = np.where(single[hh], rng.integers(1940, 2006, size=n), year)
        year = np.minimum(year, 2024)
        self.dob = days_of_year(year) + rng.integers(0, 365, size=n)
        self.dob = np.minimum(self.dob, (END_ORD - EPOCH.toordinal()) - 30)
        self.dob_y, self.dob_m, self.dob_d = ymd(self.dob)
        sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
        sex[partner] = np.where(sex[np.flatnonzero(partner) - 1] == "F", "M", "F")
        self.sex = sex
        fore = np.empty(n, dtype=object)
        mid = np.empty(n, dtype=object)
        for oi, o in enumerate(ORIGINS):
            for s in ("M", "F"):
                m = (origin == oi) & (sex == s)
                k = int(m.sum())
                if k:
                    pool, tail = self.pools.forenames[(o, s)], self.pools.forename_tail.get((o, s))
                    fore[m] = draw(rng, pool, tail, HEAD_SHARE_FORENAME[o], k)
                    mid[m] = draw(rng, pool, tail, HEAD_SHARE_FORENAME[o], k)
        mid[rng.random(n) < 0.55] = ""
        mid[mid == fore] = ""
        self.forename, self.middle = fore, mid
        hh_sur = np.empty(H, dtype=object)
        for oi, o in enumerate(ORIGINS):
            m = hh_origin == oi
            hh_sur[m] = draw(rng, self.pools.surnames[o], self.pools.surname_tail.get(o), HEAD_SHARE_SURNAME[o], int(m.sum()))
        sur = hh_sur[hh].copy()
        # some partners keep their own surname, and in step-families the children's surname differs
        own = partner & (rng.random(n) < 0.15)
        sur[own] = self.pools.all_surnames[rng.integers(0, len(self.pools.all_surnames), size=int(own.sum()))]
        self.surname = sur
        eth = np.empty(n, dtype=object)
        for oi, o in enumerate(ORIGINS):
            m = origin == oi
            codes, p = ETHNICITY[o]
            eth[m] = np.array(codes, dtype=object)[rng.choice(len(codes), p=p, size=int(m.sum()))]
        self.eth = eth
        nat = np.full(n, "GBR", dtype=object)
        for oi, o in enumerate(ORIGINS):
            m = (origin == oi) & adult & (rng.random(n) < FOREIGN_BORN_P[o])
            codes, p = FOREIGN_NAT[o]
            nat[m] = np.array(codes, dtype=object)[rng.choice(len(codes), p=p, size=int(m.sum()))]
        self.nat = nat
        gidx = np.arange(self.start, self.start + n)
        self.tpid = [f"P{g:08d}" for g in gidx.tolist()]
        self.nhs = np.array(nhs_numbers(gidx), dtype=object)
        self.upn = np.array(upns(gidx, 300 + self.hh_la[hh]), dtype=object)
        ph = rng.integers(0, 10**8, size=n)
        pre = rng.choice(["074", "075", "077", "078", "079"], size=n)
        self.phone = np.array([f"{a}{b:08d}" for a, b in zip(pre.tolist(), ph.tolist())], dtype=object)
        self.phone[(self.dob_y > 2012) | (rng.random(n) < 0.1)] = ""
        # children who lived through the 1997-2025 window: the pool for vulnerability and victims
        self.child = self.child_member & (self.dob_y >= 1980) & (self.dob_y <= 2015)
        self.sen = np.where(rng.random(n) < 0.06, "LD", np.where(rng.random(n) < 0.1, "SEN", "NONE")).astype(object)
        self.vulnerable = self.child & (rng.random(n) < np.where(self.sen != "NONE", 0.25, 0.11))
        self.exploited = np.zeros(n, dtype=bool)
        self.offender = np.zeros(n, dtype=bool)
        self.force = self.hh_force[hh]
        self.la = self.hh_la[hh]

    def _addresses(self, H: int, force: np.ndarray, la: np.ndarray) -> tuple[list, list, list, list]:
        rng = self.rng
        out = []
        for _ in range(2):
            num = rng.integers(1, 260, size=H)
            st = rng.integers(0, len(STREETS), size=H)
            district = 1 + (la % 8) * 2 + rng.integers(0, 2, size=H)
            sector = rng.integers(0, 10, size=H)
            u1 = rng.integers(0, len(PC_UNIT), size=H)
            u2 = rng.integers(0, len(PC_UNIT), size=H)
            addr = [f"{a} {STREETS[b]}" for a, b in zip(num.tolist(), st.tolist())]
            pc = [f"{PC_AREAS[f % len(PC_AREAS)]}{d} {s}{PC_UNIT[x]}{PC_UNIT[y]}"
                  for f, d, s, x, y in zip(force.tolist(), district.tolist(), sector.tolist(), u1.tolist(), u2.tolist())]
            out += [addr, pc]
        return out[0], out[1], out[2], out[3]

    def town(self, la: int) -> str:
        """Town name of a local authority area."""
        return TOWNS[la % len(TOWNS)] + ("" if la < len(TOWNS) else f" {la // len(TOWNS) + 1}")

    def rec(self, kind: str, org: int) -> Rec:
        """The record store of one source (police force, LA, trust or education service)."""
        key = (kind, org)
        if key not in self.recs:
            self.recs[key] = Rec()
        return self.recs[key]

    def age_days(self, i: int, d: int) -> float:
        """Age in years of person i on day d."""
        return (d - int(self.dob[i])) / 365.25

    def rand_day(self, lo: int, hi: int) -> int:
        """A random day in [lo, hi]."""
        return int(lo) if hi <= lo else int(self.rng.integers(lo, hi + 1))

    # -- networks and offending -----------------------------------------------------------------
    def build(self) -> None:
        """Decide offending, vulnerability and every agency contact of this chunk."""
        rng, n = self.rng, self.n
        if self.P.structured:
            build_structured(self)
            if self.P.extra_layouts:
                youth_offending(self)
                sexual_health_background(self)
            self._vulnerable()
            self._general_police()
            self._health()
            self._education()
            return
        n_net = max(1, int(rng.poisson(n / 900)))
        used = np.zeros(n, dtype=bool)
        for _ in range(n_net):
            self._network(used, group=True)
        for _ in range(int(rng.poisson(n / 1500))):
            self._network(used, group=False)
        self._vulnerable()
        self._general_police()
        self._health()
        self._education()

    def _network(self, used: np.ndarray, group: bool) -> None:
        rng = self.rng
        f = int(rng.integers(0, self.K))
        sy = int(rng.integers(1997, 2024))
        start = int(days_of_year(np.array([sy]))[0] + rng.integers(0, 365))
        end = min(start + int(rng.integers(180, 5 * 365)), END_ORD - EPOCH.toordinal())
        if group:
            n_off = int(min(15, 2 + rng.poisson(3.5)))
            n_vic = int(min(30, 3 + rng.poisson(7)))
        else:
            n_off, n_vic = 1, int(rng.integers(1, 4))
        age_at = (start - self.dob) / 365.25
        cand = np.flatnonzero(~used & ~self.child_member & (age_at >= 18) & (age_at <= 55) & (self.sex == "M") & (self.force == f))
        if len(cand) < n_off:
            return
        # offenders in a group often share background: 60% drawn from the first offender's origin
        first = int(rng.choice(cand))
        same = cand[self.origin[cand] == self.origin[first]]
        k_same = min(len(same), int(round((n_off - 1) * 0.6)))
        offs = [first] + [int(x) for x in rng.choice(same[same != first], size=min(k_same, len(same) - 1), replace=False)] if len(same) > 1 else [first]
        rest = np.setdiff1d(cand, offs)
        need = n_off - len(offs)
        if need > 0:
            offs += [int(x) for x in rng.choice(rest, size=min(need, len(rest)), replace=False)]
        vsex = np.where(rng.random(len(self.sex)) < 0.85, "F", "M")
        vcand = np.flatnonzero(~used & self.child & (age_at >= 10) & (age_at < 17) & (self.force == f))
        if len(vcand) < 1:
            return
        pref = vcand[self.sex[vcand] == vsex[vcand]]
        pool = pref if len(pref) >= n_vic else vcand
        vics = [int(x) for x in rng.choice(pool, size=min(n_vic, len(pool)), replace=False)]
        if group and len(offs) < 2:
            return
        used[offs] = True
        used[vics] = True
        self.offender[offs] = True
        self.exploited[vics] = True
        gid = f"G{self.ids.setdefault('group', 0) + 1:06d}" if group else ""
        if group:
            self.ids["group"] += 1
        if group:
            self.groups += [(gid, self.tpid[o], "offender", "cse", "", "") for o in offs] + \
                [(gid, self.tpid[v], "victim", "cse", "", "") for v in vics]
        for v in vics:
            self.abuse_kind[v] = "cse_group" if group else "cse_lone"
        # shared pivots: vehicles, a "business" phone, and premises (one offender's address used by others)
        vrms = [self._vrm(sy) for _ in range(int(rng.integers(1, 4)))]
        biz = f"07{int(rng.integers(10**8, 10**9)):09d}"
        prem = int(self.hh[offs[0]])
        for o in offs:
            self.vehicles[o] = [vrms[int(rng.integers(0, len(vrms)))]] if rng.random() < 0.6 else []
            if rng.random() < 0.4:
                self.extra_phones.setdefault(o, []).append(biz)
            if group:
                from joinedup.synth.offending import use_a_group_pivot

                use_a_group_pivot(self, o, vrms, biz)
            if rng.random() < 0.3:
                self.premises[o] = prem
            if rng.random() < 0.7:
                self.nick[o] = STREET_NAMES[int(rng.integers(0, len(STREET_NAMES)))]
        f2 = (f + 1) % self.K if (self.K > 1 and group and rng.random() < 0.4) else None
        pol = self.rec("police", f)
        recs = [pol] + ([self.rec("police", f2)] if f2 is not None else [])
        before = [len(r.links) for r in recs]
        harms = []
        for v in vics:
            lo = max(start, int(self.dob[v]) + int(10 * 365.25) + 1)
            hi = min(end, int(self.dob[v]) + int(17.9 * 365.25))
            harm = self.rand_day(lo, max(lo, hi))
            self.first_harm[v] = harm
            harms.append((v, harm, offs))
            self._victim_signals(v, harm, offs)
            kind = "cse_group" if group else "cse_lone"
            if rng.random() < 0.62:
                self._crimes(pol, f, v, offs, harm, hi, cross=False, kind=kind, gid=gid)
            if f2 is not None and rng.random() < 0.25:
                # taken to another town: offending recorded by the neighbouring force too
                self._crimes(self.rec("police", f2), f2, v, offs[: int(rng.integers(1, min(3, len(offs)) + 1))], harm, hi,
                             cross=True, kind=kind, gid=gid)
            if harm < days_of_year(np.array([2013]))[0] and rng.random() < 0.12 and self.age_days(v, harm) >= 12.5:
                self._disregard(pol, f, v, harm)
        if group:
            from joinedup.synth.offending import leave_traces

            leave_traces(self, f, recs, before, offs, harms, vrms, [biz])
        else:
            for o in offs:
                if rng.random() < 0.3:
                    pol.person(o, "ASSOCIATE")  # named in intelligence even with no crime

    def _vrm(self, year: int) -> str:
        rng = self.rng
        L = "ABCDEFGHJKLMNOPRSTUVWXY"
        if year >= 2001:
            age = (year % 100) + (50 if rng.random() < 0.5 else 0)
            return f"{L[int(rng.integers(0, 23))]}{L[int(rng.integers(0, 23))]}{age:02d}{''.join(L[int(x)] for x in rng.integers(0, 23, 3))}"
        return f"{L[int(rng.integers(0, 23))]}{int(rng.integers(1, 999))}{''.join(L[int(x)] for x in rng.integers(0, 23, 3))}"

    def _offence(self, v: int, day: int) -> str:
        rng = self.rng
        age = self.age_days(v, day)
        male = self.sex[v] == "M"
        if rng.random() < 0.5:  # penetrative
            if age < 13:
                return "19H" if male else "19E"
            if age < 16:
                return "19G" if male else "19D"
            return "19F" if male else "19C"
        if age < 13:
            return ["17B" if male else "20B", "21"][int(rng.integers(0, 2))]
        if age < 16:
            return ["22B", "88A", "71"][int(rng.integers(0, 3))]
        return ["71", "72"][int(rng.integers(0, 2))]

    def _crimes(self, pol: Rec, f: int, v: int, offs: list[int], harm: int, hi: int, cross: bool, kind: str = "cse_group",
                gid: str = "", cse_p: float = 0.55, now_p: float = 0.35, max_crimes: int = 3) -> None:
        rng = self.rng
        end = END_ORD - EPOCH.toordinal()
        # some report at the time, the rest years later (non-recent offending)
        if rng.random() < now_p:
            reported = harm + int(rng.integers(1, 400))
        else:
            reported = harm + int(rng.integers(365, 20 * 365))
        if reported > end:
            if rng.random() < 0.5:
                return
            reported = end - int(rng.integers(0, 200))
        pol.person(v, "VICTIM")
        for _ in range(int(rng.integers(1, max_crimes + 1))):
            committed = self.rand_day(harm, min(max(harm, hi), reported))
            off = self._offence(v, committed)
            key = self._id("crime")
            pc = self.hh_pc[int(self.hh[offs[0]])] if rng.random() < 0.5 else ""
            pol.crimes.append((key, off, rng.random() < cse_p, committed, reported, pc))
            self.crime_info[key] = (kind, gid, v)
            pol.links.append((key, v, "VICTIM"))
            k = int(rng.integers(1, min(3, len(offs)) + 1))
            for o in rng.choice(offs, size=k, replace=False).tolist():
                pol.person(o, "SUSPECT")
                pol.links.append((key, o, "SUSPECT"))
                self._outcome(pol, key, o, off, v, committed, reported)
            if rng.random() < 0.2:
                w = int(rng.integers(0, self.n))
                pol.person(w, "WITNESS")
                pol.links.append((key, w, "WITNESS"))

    def _outcome(self, pol: Rec, key: str, o: int, off: str, v: int, committed: int, reported: int) -> None:
        if self.P.structured:
            outcome_structured(self, pol, key, o, off, v, committed, reported)
            return
        rng = self.rng
        end = END_ORD - EPOCH.toordinal()
        odate = min(end, reported + int(rng.integers(30, 800)))
        if reported > end - 400 and rng.random() < 0.5:
            pol.outcomes.append((key, o, "PEND", None, "", "", False))
            return
        r = rng.random()
        if r < 0.28:
            charged, down = off, False
            age = self.age_days(v, committed)
            if off in ("19D", "19G") and 13 <= age < 16 and rng.random() < 0.55:
                charged, down = "22B", True
            court = "PENDING" if odate > end - 200 else ["CONVICTED", "ACQUITTED", "DISCONTINUED"][int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
            pol.outcomes.append((key, o, "1", odate, charged, court, down))
        else:
            t = ["14", "15", "16", "21", "2", "3", "20", "22"][int(rng.choice(8, p=[0.05, 0.3, 0.35, 0.12, 0.03, 0.05, 0.05, 0.05]))]
            pol.outcomes.append((key, o, t, odate, "", "", False))

    def _disregard(self, pol: Rec, f: int, v: int, harm: int) -> None:
        rng = self.rng
        day = self.rand_day(harm, min(int(self.dob[v]) + int(17.9 * 365.25), harm + 700))
        key = self._id("crime")
        odate = day + int(rng.integers(20, 120))
        result = "convicted"
        if self.P.structured:
            # a child charged with soliciting was convicted, cautioned or acquitted; issue 12 lists all three
            # (convicted, cautioned or charged as a child) as records to disregard
            result = ["convicted", "caution", "acquitted"][int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
        pol.person(v, "VICTIM")
        if day >= int(self.dob[v]) + int(18 * 365.25):
            # first harm came at 17.9 or later (a group that began after she turned 17): an offence now would be an
            # adult's, not one to disregard, so none is planted (the draws above keep the random stream the same)
            return
        pol.crimes.append((key, "SOA59-S1", False, day, day, ""))
        self.crime_info[key] = ("soliciting", "", v)
        pol.links.append((key, v, "SUSPECT"))
        if result == "caution":
            pol.outcomes.append((key, v, "2", odate, "", "", False))
        else:
            pol.outcomes.append((key, v, "1", odate, "SOA59-S1", result.upper(), False))
        self.disregards.append((self.start + v, result))

    def _id(self, kind: str) -> str:
        self.ids[kind] = self.ids.get(kind, 0) + 1
        return f"{kind}{self.ids[kind]}"

    # -- vulnerability signals ------------------------------------------------------------------
    def _missing(self, v: int, day: int, who: str, kind: str, org: int) -> None:
        rng = self.rng
        loc = FOUND_PLACES[int(rng.integers(0, len(FOUND_PLACES)))] if rng.random() < 0.7 else ""
        r = self.rec(kind, org)
        end = day + int(rng.integers(0, 6))
        code = "M" if kind == "police" or rng.random() < 0.7 else "A"
        r.events.append((v, "MISSING", day, end, code, loc, who, "", ""))
        r.person(v, "MISSING" if kind == "police" else "CHILD")

    def _who(self, offs: list[int]) -> str:
        rng = self.rng
        if not offs or rng.random() < 0.45:
            return ""
        o = offs[int(rng.integers(0, len(offs)))]
        r = rng.random()
        if r < 0.4 and o in self.nick:
            return self.nick[o]
        if r < 0.7:
            return str(self.forename[o])
        return f"{self.forename[o]} {self.surname[o]}"

    def _signals(self, v: int, centre: int, offs: list[int], intensity: float, exploited: bool) -> None:
        """Missing episodes, CSC involvement, health and school signals around a day."""
        rng = self.rng
        end = END_ORD - EPOCH.toordinal()
        lo = int(self.dob[v]) + int(9 * 365.25)
        hi = min(end, int(self.dob[v]) + int(17.95 * 365.25))
        if hi <= lo:
            return
        f, la = int(self.force[v]), int(self.la[v])

        def when() -> int:
            # signals cluster around the centre day, and can come before first harm is recorded
            return int(min(hi, max(lo, centre + rng.normal(0, 300) - (120 if exploited else 0))))

        for _ in range(int(rng.poisson(3.0 * intensity))):
            d = when()
            self._missing(v, d, self._who(offs) if exploited else "", "police", f)
            if rng.random() < 0.5:
                self._missing(v, d, self._who(offs) if exploited else "", "csc", la)
        if rng.random() < min(0.95, 0.8 * intensity + 0.2):
            c = self.rec("csc", la)
            c.person(v, "CHILD")
            fl = c.flags.setdefault(v, {})
            d0 = when()
            src = "6" if rng.random() < 0.4 else ["2A", "3A", "3D", "1A", "5A", "8", "10"][int(rng.integers(0, 7))]
            c.events.append((v, "REFERRAL", d0, None, "", "", "", src, "Concerns raised"))
            codes = []
            for code, pe, pn in [("11A", 0.55, 0.04 if not self.P.structured else CSE_AT_RISK_P), ("10A", 0.6, 0.15), ("24A", 0.12, 0.04), ("2A", 0.3, 0.1), ("15A", 0.25, 0.08),
                                 ("19C", 0.2, 0.02), ("3A", 0.15, 0.3), ("13A", 0.05, 0.03)]:
                if rng.random() < (pe if exploited else pn):
                    codes.append(code)
            if self.sen[v] == "LD":
                codes.append("5A")
            if self.nat[v] != "GBR" and rng.random() < 0.3:
                codes.append("9A")
            if codes:
                c.events.append((v, "ASSESSMENT", d0 + 20, d0 + 65, ";".join(codes), "", "", "", ""))
                self.assessments.append((v, d0 + 20, "11A" in codes))
            if rng.random() < (0.3 if exploited else 0.12):
                cat = "SX" if exploited and rng.random() < 0.6 else ["NG", "EM", "PH"][int(rng.integers(0, 3))]
                c.events.append((v, "CP_PLAN", d0 + 70, min(end, d0 + 70 + int(rng.integers(90, 700))), cat, "", "", "", ""))
            la_flag = rng.random() < (0.35 if exploited else 0.15)
            fl["looked_after"] = la_flag
            if la_flag:
                s = d0 + int(rng.integers(60, 400))
                c.events.append((v, "LAC", min(s, end), min(end, s + int(rng.integers(60, 1500))), "", "Residential home" if rng.random() < 0.4 else "Foster placement", "", "", ""))
                lac_start, lac_end = c.events[-1][2], c.events[-1][3]
                k = missing_in_care(self, v, lac_start, lac_end, offs, exploited, la) if self.P.structured else 0
                self.care.append((v, lac_start, lac_end, k))
        # health
        h = self.rec("health", f)
        for code, pe, pn in [("SH", 0.45, 0.08), ("STI", 0.25, 0.02), ("EC", 0.3, 0.03), ("PREG", 0.12, 0.01), ("AE", 0.6, 0.3),
                             ("INTOX", 0.35, 0.05), ("SHARM", 0.25, 0.06)]:
            if code in ("EC", "PREG") and self.sex[v] != "F":
                continue
            if rng.random() < (pe if exploited else pn) * (1 if exploited else intensity * 2):
                # with a sexual health service in the world, most sexual health care happens there, not at the trust
                to = self.rec("sexual_health", f) if self.P.extra_layouts and code in SEXUAL_HEALTH and rng.random() < 0.7 else h
                to.person(v, "PATIENT")
                d = when()
                with_ = self._who(offs) if exploited and rng.random() < 0.2 else ""
                to.events.append((v, "HEALTH", d, None, code, "", with_, "", ""))
        if self.P.extra_layouts:
            youth_justice_signals(self, v, offs, exploited, when)
        # education (school-age years only)
        if self.dob_y[v] >= 1995:
            e = self.rec("education", f)
            for code, pe, pn in [("PA", 0.6, 0.25), ("EXF", 0.35, 0.12), ("EXP", 0.08, 0.02), ("CME", 0.15, 0.03)]:
                if rng.random() < (pe if exploited else pn):
                    e.person(v, "PUPIL")
                    d = int(min(int(self.dob[v]) + int(15.9 * 365.25), when()))
                    e.events.append((v, "EDUCATION", d, d + 5 if code == "EXF" else None, code, "", "", "", ""))

    def _victim_signals(self, v: int, harm: int, offs: list[int]) -> None:
        # not every exploited child shows signals: a fifth show none at all
        if self.rng.random() < 0.8:
            self._signals(v, harm, offs, intensity=1.0, exploited=True)

    def _vulnerable(self) -> None:
        rng = self.rng
        for v in np.flatnonzero(self.vulnerable & ~self.exploited).tolist():
            centre = int(self.dob[v]) + int(rng.integers(int(10 * 365.25), int(16.5 * 365.25)))
            self._signals(v, centre, [], intensity=0.35, exploited=False)

    # -- bulk contacts: general police work, health and schools ---------------------------------
    def _general_police(self) -> None:
        rng, n = self.rng, self.n
        end = END_ORD - EPOCH.toordinal()
        m = int(rng.poisson(n * 0.12))
        adults = np.flatnonzero(self.dob_y <= 2005)
        if len(adults) == 0:
            return
        sus = rng.choice(adults, size=m)
        vic = rng.integers(0, n, size=m)
        wit = np.where(rng.random(m) < 0.25, rng.integers(0, n, size=m), -1)
        lo = days_of_year(np.array([1998]))[0]
        rep = rng.integers(lo, end, size=m)
        com = rep - rng.integers(0, 30, size=m)
        for s, v, w, r, c in zip(sus.tolist(), vic.tolist(), wit.tolist(), rep.tolist(), com.tolist()):
            f = int(self.force[s])
            pol = self.rec("police", f)
            key = self._id("crime")
            pol.crimes.append((key, "OTHER", False, c, r, ""))
            pol.person(s, "SUSPECT")
            pol.links.append((key, s, "SUSPECT"))
            if v != s:
                pol.person(v, "VICTIM")
                pol.links.append((key, v, "VICTIM"))
            if w >= 0 and w not in (s, v):
                pol.person(w, "WITNESS")
                pol.links.append((key, w, "WITNESS"))
            if rng.random() < 0.7:
                t = ["1", "2", "3", "8", "14", "15", "16", "21", "22"][int(rng.integers(0, 9))]
                od = min(end, r + 60)
                if t == "1":
                    pol.outcomes.append((key, s, "1", od, "OTHER", "CONVICTED" if rng.random() < 0.7 else "ACQUITTED", False))
                else:
                    pol.outcomes.append((key, s, t, od, "", "", False))

    def _health(self) -> None:
        rng = self.rng
        end = END_ORD - EPOCH.toordinal()
        young = self.dob_y >= 1988
        pick = np.flatnonzero(rng.random(self.n) < np.where(young, 0.5, 0.15))
        # one to three attendances each
        pick = np.repeat(pick, rng.integers(1, 4, size=len(pick)))
        k = len(pick)
        lo = np.maximum(self.dob[pick], days_of_year(np.array([2000]))[0])
        day = lo + (rng.random(k) * (end - lo)).astype(np.int64)
        code = np.array(["AE", "AE", "AE", "SH", "INTOX"], dtype=object)[rng.integers(0, 5, size=k)]
        age = (day - self.dob[pick]) / 365.25
        code[(code == "SH") & (age < 15)] = "AE"
        for i, d, c in zip(pick.tolist(), day.tolist(), code.tolist()):
            h = self.rec("health", int(self.force[i]))
            h.person(i, "PATIENT")
            h.events.append((i, "HEALTH", d, None, c, "", "", "", ""))

    def _education(self) -> None:
        rng = self.rng
        school = (self.dob_y >= 1995) & (self.dob_y <= 2019)
        pick = np.flatnonzero(school & (rng.random(self.n) < 0.2))
        for i in pick.tolist():
            e = self.rec("education", int(self.force[i]))
            e.person(i, "PUPIL")
            if rng.random() < 0.6:
                d = int(self.dob[i]) + int(rng.integers(int(6 * 365.25), int(15.9 * 365.25)))
                d = min(d, END_ORD - EPOCH.toordinal())
                code = ["PA", "EXF", "CME"][int(rng.choice(3, p=[0.7, 0.25, 0.05]))]
                e.events.append((i, "EDUCATION", d, d + 3 if code == "EXF" else None, code, "", "", "", ""))


from joinedup.synth.offending import build_structured, missing_in_care, outcome_structured  # noqa: E402  (they use Chunk)
from joinedup.synth.services import sexual_health_background, youth_justice_signals, youth_offending  # noqa: E402
