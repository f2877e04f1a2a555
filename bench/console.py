"""Console figures (issue 15): asset sizes gzipped, and per page the GraphQL requests and the
time to interactive as the browser tests measured them (tests/console, a real `pdex serve`
and Chromium). Run the tests first, then this:

    .venv/bin/python -m pytest tests/console -q          # SQLite; PDEX_TEST_DATABASE_URL for PG
    .venv/bin/python bench/console.py
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "server" / "static" / "console"


def main() -> None:
    total = 0
    print("| asset | bytes | gzipped |\n|---|---|---|")
    for path in sorted(FILES.iterdir()):
        raw = path.read_bytes()
        packed = len(gzip.compress(raw, 9))
        total += packed
        print(f"| {path.name} | {len(raw):,} | {packed:,} |")
    print(f"| **total** | | **{total:,}** (budget 204,800) |\n")
    output = Path(os.environ.get("PDEX_TEST_OUTPUT") or ROOT / ".test-output")
    for figures in sorted(output.glob("console-*/figures.json")):
        rows = [r for r in json.loads(figures.read_text()) if r["page"] != "signin"]
        print(f"{figures.parent.name}: page | loads | GraphQL requests (max) | ms median | ms max")
        for page in sorted({r["page"] for r in rows}):
            mine = [r for r in rows if r["page"] == page]
            ms = [r["ms"] for r in mine]
            requests = max(r["requests"] for r in mine)
            print(f"  {page} | {len(mine)} | {requests} | {statistics.median(ms):.0f} | {max(ms)}")


if __name__ == "__main__":
    main()
