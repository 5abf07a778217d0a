"""Vendor Cytoscape.js (the group page's network drawing) into the web package (run by hand when the pin changes).

Needs npm; the output (src/joinedup/web/static/cytoscape/) is committed, so serving needs no network and no CDN.
The ES module build is kept under a .js name so that every static server sends it as JavaScript.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

CYTOSCAPE = "3.34.4"
ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "src" / "joinedup" / "web" / "static" / "cytoscape"


def main() -> None:
    """Fetch the pinned npm package and copy its minified ES module build and licence into the package."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"cytoscape@{CYTOSCAPE}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"cytoscape-{CYTOSCAPE}.tgz") as t:
            t.extractall(tmp, filter="data")
        pkg = Path(tmp) / "package"
        if DEST.exists():
            shutil.rmtree(DEST)
        DEST.mkdir(parents=True)
        shutil.copy(pkg / "dist" / "cytoscape.esm.min.mjs", DEST / "cytoscape.esm.min.js")
        shutil.copy(pkg / "LICENSE", DEST / "LICENSE")
        (DEST / "VERSION").write_text(CYTOSCAPE + "\n")
    print(f"cytoscape {CYTOSCAPE} -> {DEST}")


if __name__ == "__main__":
    main()
