"""The table of every benchmark's figures, from the JSON lines `--json` appended.

uv run python -m bench.summary bench-results.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m bench.summary FILE.jsonl")
    path = Path(sys.argv[1])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print(f"{'benchmark':<16} {'figure':<52} {'value':>12} {'baseline':>12} {'ratio':>8}  target")
    for row in rows:
        size = " (smoke)" if row.get("smoke") else ""
        for f in row["figures"]:
            base = f"{f['baseline_value']:.2f}" if f.get("baseline_value") else "–"
            ratio = f"{f['ratio']:.2f}×" if f.get("ratio") else "–"
            print(
                f"{row['bench'] + size:<16} {f['name'][:52]:<52} "
                f"{f['value']:>8.2f} {f['unit']:<4}{base:>11} {ratio:>8}  {f.get('target', '')}"
            )


if __name__ == "__main__":
    main()
