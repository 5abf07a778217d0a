"""`joinedup synth`: write a synthetic multi-agency world (extracts plus ground truth)."""

from __future__ import annotations

from pathlib import Path

import typer

from joinedup.cli_common import err_console, fail, print_json, progress_bar
from joinedup.synth.generate import generate, is_previous_output
from joinedup.synth.profiles import PROFILES


def synth(
    out: Path = typer.Option(..., "--out", help="Output folder (new, empty, or a previous synth output)."),
    people: int = typer.Option(5000, "--people", help="Number of people in the world."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed and options give byte-identical output)."),
    forces: int = typer.Option(3, "--forces", help="Number of police force areas (each with 2 LAs, a trust and schools)."),
    profile: str = typer.Option("default", "--profile",
                                help="World profile: default (dense demo world), realistic (calibrated to published "
                                     "figures, with structural faults) or enriched (realistic structure, exploitation "
                                     "over-sampled; see docs/synthetic-world.md)."),
    faults: bool | None = typer.Option(None, "--faults/--no-faults",
                                       help="Structural faults (malformed lines, orphan references, a legacy layout) "
                                            "listed in truth/faults.csv; default: on for realistic, off otherwise."),
    deliveries: int = typer.Option(1, "--deliveries",
                                   help="Monthly deliveries to write: 2..N go to OUT/deliveries/delivery-NN/ as full "
                                        "snapshots with dated file names; truth/deliveries.csv says what changed."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Generate synthetic agency extracts under OUT/extracts and ground truth under OUT/truth."""
    if people < 1:
        fail("--people must be at least 1")
    if forces < 1:
        fail("--forces must be at least 1")
    if deliveries < 1:
        fail("--deliveries must be at least 1")
    if profile not in PROFILES:
        fail(f"--profile {profile!r} is not one of {', '.join(PROFILES)}")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_previous_output(out):
        fail(f"--out {out} is not empty and is not a previous synth output")
    with progress_bar("synth", enabled=not as_json and people >= 20_000) as update:
        summary = generate(out, people, seed, forces, profile=profile, faults=faults, deliveries=deliveries,
                           progress=lambda done, total: update("people", done, total))
    if as_json:
        print_json(summary)
    else:
        err_console.print(f"synth ({summary['profile']}): {summary['people']} people, {summary['person_records']} person records, "
                   f"{summary['total_rows']} rows in {len(summary['sources'])} sources, "
                   f"{summary['invalid_rows']} invalid on purpose -> {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `synth` command to the joinedup CLI."""
    app.command("synth")(synth)
