"""Drafting a meeting from a 15-directive conclusion notice, next to the least any reader of
the text must do: fold it (one pass over every character) and split it into lines.

    uv run python -m bench.drafting [--smoke] [--json FILE]

No database: the drafter is pure (units from the demo organisation). The notice is the
longest test notice when present, else the Móng Cái article. Target: under 1 s a notice.
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from followup.domain.text import fold_aligned
from followup.services.drafting import KnownUnit, draft_meeting

ROOT = Path(__file__).resolve().parents[1]
NOTICES = ROOT / "tests" / "data" / "notices"


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one run of each")
    parser.add_argument("--json", type=str, default="", help="append the figures to this file")
    args = parser.parse_args()
    repeat = 1 if args.smoke else 20
    units_file = ROOT / "followup" / "demo" / "data" / "units.toml"
    units = [
        KnownUnit(u["code"], u["name"], u["kind"])
        for u in tomllib.loads(units_file.read_text(encoding="utf-8"))["unit"]
    ]
    notices = sorted(NOTICES.glob("notice-6-*.txt")) or [NOTICES / "mong-cai-2021-03-09.txt"]
    text = notices[0].read_text(encoding="utf-8")

    def baseline() -> int:
        return len(fold_aligned(text).splitlines())

    def draft() -> int:
        return len(draft_meeting(text, units, code="B", fallback_unit="vp-hdnd-ubnd").directives)

    first, count = _best(draft, 1)  # the first call compiles the unit patterns
    base, _ = _best(baseline, repeat)
    figure, _ = _best(draft, repeat)
    print(f"notice {notices[0].name}: {len(text):,} characters, {count} directives drafted")
    print(f"  baseline: fold and split the text        {base * 1000:9.2f} ms")
    print(f"  draft (first call, patterns compiled)    {first * 1000:9.2f} ms")
    print(
        f"  draft (best of {repeat})                    {figure * 1000:9.2f} ms   ratio "
        f"{figure / base:7.1f}×  (target < 1000 ms)"
    )
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            row = {
                "bench": "drafting",
                "figures": [
                    {
                        "name": "draft a conclusion notice",
                        "ms": figure * 1000,
                        "baseline": "fold and split the text",
                        "baseline_ms": base * 1000,
                        "ratio": figure / base,
                        "target_ms": 1000,
                    }
                ],
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    assert count, "the notice drafted no directive"


if __name__ == "__main__":
    main()
