"""Drafting a meeting from a 15-directive conclusion notice, next to the least any reader of
the text must do: fold it (one pass over every character) and split it into lines.

    uv run python -m bench.drafting [--smoke] [--json FILE]

No database: the drafter is pure (units from the demo organisation). The notice is the
longest test notice when present, else the Móng Cái article. Target: under 1 s a notice.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from bench import common
from followup.domain.text import fold_aligned
from followup.services.intake.drafting import KnownUnit, draft_meeting

ROOT = Path(__file__).resolve().parents[1]
NOTICES = ROOT / "tests" / "data" / "notices"


def main() -> None:
    bench = common.Bench("drafting", common.parser(__doc__).parse_args())
    repeat = 1 if bench.smoke else 20
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

    first, count = common.best_of(draft, 1)  # the first call compiles the unit patterns
    base, _ = common.best_of(baseline, repeat)
    figure, _ = common.best_of(draft, repeat)
    if not count:
        raise SystemExit("the notice drafted no directive")
    print(f"notice {notices[0].name}: {len(text):,} characters, {count} directives drafted")
    bench.meta = {"notice": notices[0].name, "directives": count}
    bench.report(
        common.Figure("draft, first call (compiles the unit patterns)", first * 1000, "ms")
    )
    bench.report(
        common.Figure(
            f"draft a {count}-directive notice (best of {repeat})",
            figure * 1000,
            "ms",
            "fold and split the text",
            base * 1000,
            target="< 1000 ms",
        )
    )
    bench.finish()


if __name__ == "__main__":
    main()
