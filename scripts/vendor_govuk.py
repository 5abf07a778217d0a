"""Vendor GOV.UK Frontend's built assets into the web package, and axe-core for the browser tests (run by hand when the pinned version changes).

The version is pinned to the one govuk-frontend-jinja 4.1.0 targets (its compatibility table: 6.3.0).
Needs npm; the output (src/joinedup/web/static/govuk/) is committed, so serving needs no network and no CDN.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

GOVUK_FRONTEND = "6.3.0"
AXE_CORE = "4.14.1"  # the accessibility checker the browser tests inject (tests/web/vendor/)
ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "src" / "joinedup" / "web" / "static" / "govuk"
AXE_DEST = ROOT / "tests" / "web" / "vendor"
KEEP = ("govuk-frontend.min.css", "govuk-frontend.min.js")


def main() -> None:
    """Fetch the pinned npm package, copy its compiled CSS, JS, fonts and images into the package."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"govuk-frontend@{GOVUK_FRONTEND}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"govuk-frontend-{GOVUK_FRONTEND}.tgz") as t:
            t.extractall(tmp, filter="data")
        dist = Path(tmp) / "package" / "dist" / "govuk"
        if DEST.exists():
            shutil.rmtree(DEST)
        DEST.mkdir(parents=True)
        for name in KEEP:
            shutil.copy(dist / name, DEST / name)
        shutil.copytree(dist / "assets", DEST / "assets")
        shutil.copy(Path(tmp) / "package" / "package.json", DEST / "package.json")  # version, MIT licence
        (DEST / "VERSION").write_text(GOVUK_FRONTEND + "\n")
    print(f"govuk-frontend {GOVUK_FRONTEND} -> {DEST}")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"axe-core@{AXE_CORE}", "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"axe-core-{AXE_CORE}.tgz") as t:
            t.extractall(tmp, filter="data")
        AXE_DEST.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(tmp) / "package" / "axe.min.js", AXE_DEST / "axe.min.js")
        shutil.copy(Path(tmp) / "package" / "LICENSE", AXE_DEST / "axe-core-LICENSE")
        (AXE_DEST / "VERSION").write_text(AXE_CORE + "\n")
    print(f"axe-core {AXE_CORE} -> {AXE_DEST}")


if __name__ == "__main__":
    main()
