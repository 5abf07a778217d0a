"""Regenerate the web application's screenshots in docs/img/web-*.png (headless Debian chromium through Selenium).

The browser test (tests/web/test_browser.py) signs in as each role, visits every main page, runs axe-core on it
and, with JOINEDUP_SCREENSHOTS set, saves the page as docs/img/web-<page>.png: a screenshot is only taken of a page
that passed its accessibility check. Synthetic data only (the shared 4,000-person test world, seed 99).

    python3 scripts/screenshots.py            # all pages
    python3 scripts/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Run the browser suite with screenshots switched on; exit with its status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for web-*.png (default docs/img)")
    args = ap.parse_args()
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        print("error: needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
              file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"JOINEDUP_SCREENSHOTS": str(out),
                        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/web/test_browser.py"],
                       cwd=ROOT, env=env)
    shots = sorted(p.name for p in out.glob("web-*.png"))
    print(f"{len(shots)} screenshots in {out}: {', '.join(shots)}")
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
