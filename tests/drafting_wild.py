"""Scoring the drafter on the notices in `tests/data/notices/wild` (see its README): a text
is right when its meeting day, its number of directives, the words each directive must have,
the words none may have and its explicit deadlines all come out as written by hand."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from followup.domain.text import fold
from followup.services.intake.drafting import Draft, KnownUnit, draft_meeting

WILD = Path(__file__).resolve().parent / "data" / "notices" / "wild"
UNITS_FILE = Path(__file__).resolve().parents[1] / "followup" / "demo" / "data" / "units.toml"
UNITS = [
    KnownUnit(u["code"], u["name"], u["kind"])
    for u in tomllib.loads(UNITS_FILE.read_text(encoding="utf-8"))["unit"]
]
#: The drafter's "today" when a text gives no day: far from every text's, so a day it falls
#: back to is never right by luck.
TODAY = date(2030, 1, 2)
CRITERIA = ("held_on", "count", "contains", "absent", "deadlines")


@dataclass(frozen=True)
class Scored:
    name: str
    failed: dict[str, str]  # criterion -> what was wrong

    @property
    def right(self) -> bool:
        return not self.failed


def draft_of(path: Path) -> Draft:
    return draft_meeting(
        path.read_text(encoding="utf-8"),
        UNITS,
        code="HOP",
        fallback_unit="vp-hdnd-ubnd",
        today=TODAY,
    )


def score(path: Path) -> Scored:
    expected = tomllib.loads(path.with_suffix(".expect.toml").read_text(encoding="utf-8"))
    draft = draft_of(path)
    texts = [fold(d.text) for d in draft.directives]
    failed: dict[str, str] = {}
    if draft.held_on != date.fromisoformat(expected["held_on"]):
        failed["held_on"] = f"{draft.held_on} ≠ {expected['held_on']}"
    low, high = expected["count"]
    if not low <= len(texts) <= high:
        failed["count"] = f"{len(texts)} not in [{low}, {high}]"
    missing = [w for w in expected["contains"] if not any(fold(w) in t for t in texts)]
    if missing:
        failed["contains"] = f"missing {missing}"
    present = [w for w in expected["absent"] if any(fold(w) in t for t in texts)]
    if present:
        failed["absent"] = f"drafted {present}"
    deadlines = {d.deadline for d in draft.directives}
    lost = [d for d in expected["deadlines"] if d not in deadlines]
    if lost:
        failed["deadlines"] = f"lost {lost}"
    return Scored(path.stem, failed)


def scores(half: str) -> list[Scored]:
    return [score(p) for p in sorted((WILD / half).glob("*.txt"))]


def report(halves: tuple[str, ...] = ("tuning", "held-back")) -> str:
    lines = []
    for half in halves:
        found = scores(half)
        right = sum(s.right for s in found)
        lines.append(f"{half}: {right}/{len(found)} right")
        lines += [f"  {s.name}: {s.failed}" for s in found if not s.right]
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Score the drafter on the wild notices.")
    # While tuning, only the tuned half's failures are to be looked at.
    parser.add_argument("--half", choices=("tuning", "held-back"), help="only this half")
    args = parser.parse_args()
    print(report((args.half,) if args.half else ("tuning", "held-back")))
