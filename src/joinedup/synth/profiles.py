"""World profiles: how dense and how structured the synthetic world is (`joinedup synth --profile`)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Over-sampling of the enriched profile: exploitation strata are this many times as common as in the
# realistic profile (a case-control design), while the background (other child sexual abuse, vulnerable
# children, general crime) stays at the realistic rate, so a figure can be re-weighted by 1/factor per stratum.
ENRICHED_FACTOR = 10.0


@dataclass(frozen=True)
class Profile:
    """The planted rates and switches of one kind of synthetic world."""

    name: str
    description: str
    structured: bool                 # realistic structure: long tails, lone offenders, women and young offenders, ...
    group_rate: float = 1 / 900      # offender groups per person (group-based CSE and familial)
    lone_rate: float = 1 / 1500      # lone CSE offenders per person
    csa_rate: float = 0.0            # other (lone, not CSE) child sexual abusers per person
    familial_share: float = 0.0      # share of groups that are familial
    vulnerable_p: float = 0.11       # share of children (without SEN) with vulnerability signals
    faults: bool = False             # structural faults in the agencies' layouts (truth/faults.csv)
    extra_layouts: bool = False      # youth justice and sexual health services
    # stratum -> how many times its realistic rate this profile plants (blank: not calibrated)
    oversampling: dict[str, float | None] = field(default_factory=dict)


DEFAULT = Profile(
    "default", "today's dense, uniform demo world: about one offender group per 900 people, every offender an adult man",
    structured=False, oversampling={"group": None, "lone_cse": None})

REALISTIC = Profile(
    "realistic", "calibrated to published figures for England and Wales at the world's size (docs/synthetic-world.md)",
    structured=True, group_rate=1 / 6000, lone_rate=1 / 1250, csa_rate=1 / 110, familial_share=0.55,
    faults=True, extra_layouts=True, oversampling={"group": 1.0, "lone_cse": 1.0, "csa": 1.0})

ENRICHED = Profile(
    "enriched", f"realistic structure with exploitation over-sampled {ENRICHED_FACTOR:g} times (case-control), "
    "so that small worlds hold enough cases to measure",
    structured=True, group_rate=ENRICHED_FACTOR / 6000, lone_rate=ENRICHED_FACTOR / 1250, csa_rate=1 / 110,
    familial_share=0.55, extra_layouts=True,
    oversampling={"group": ENRICHED_FACTOR, "lone_cse": ENRICHED_FACTOR, "csa": 1.0})

PROFILES: dict[str, Profile] = {p.name: p for p in (DEFAULT, REALISTIC, ENRICHED)}


def profile(name: str) -> Profile:
    """The profile of a name (ValueError naming the choices when unknown)."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[name]
