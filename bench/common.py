"""What every benchmark shares: `--smoke` and `--json`, and one way to print a figure with its
baseline and their ratio, and to write them down.

A benchmark measures its figure and a baseline in the same process (the floor the figure is
compared with: the bare query, one SMTP connection per message, a bare Prefect flow), so the
ratio holds on a machine faster or slower than ours. `--smoke` runs it at a size that takes
seconds: CI runs every benchmark that way, so a change that breaks one fails there; the figures
of a smoke run are printed, never judged. `--json FILE` appends one line per benchmark, which
`python -m bench.summary FILE` turns into the table `make bench` prints.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Figure:
    name: str
    value: float
    #: "ms", "s", "msg/s" …
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    #: What the issue asks of it, as people write it ("≤ 200 ms", "≥ 2×").
    target: str = ""
    #: For rates (msg/s) the ratio is figure / baseline; for times, figure / baseline too, and
    #: smaller is better.
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def line(self) -> str:
        text = f"  {self.name:<52} {self.value:10.2f} {self.unit:<6}"
        if self.ratio is not None:
            text += f" {self.ratio:8.2f}× {self.baseline} ({self.baseline_value:.2f} {self.unit})"
        if self.target:
            text += f"   [target {self.target}]"
        return text


@dataclass
class Bench:
    """One benchmark's run: its arguments, and the figures it reports."""

    name: str
    args: argparse.Namespace
    figures: list[Figure] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def smoke(self) -> bool:
        return bool(self.args.smoke)

    def report(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(figure.line(), flush=True)
        return figure

    def finish(self) -> None:
        if not self.figures:
            raise SystemExit(f"bench.{self.name} reported no figure")
        if self.args.json:
            row = {
                "bench": self.name,
                "smoke": self.smoke,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {platform.python_version()}",
                "meta": self.meta,
                "figures": [asdict(f) | {"ratio": f.ratio} for f in self.figures],
            }
            with open(self.args.json, "a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The benchmark's argument parser, with `--smoke` and `--json` already in it."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="a size that runs in seconds (CI)")
    p.add_argument("--json", default="", help="append the figures to this file (JSON lines)")
    return p


def best_of(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The best time of `repeat` calls (seconds), and the last call's result."""
    best = float("inf")
    result: T
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
