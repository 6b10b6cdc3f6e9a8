"""The simulated clock shared by processes: a file holding one ISO timestamp.

File I/O, so not in the pure `domain` layer; `config` builds it when FOLLOWUP_CLOCK_FILE is
set (the demo, tests).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path


class FileClock:
    """A clock read from a file holding one ISO timestamp: the demo moves it, and every
    process it starts (flow runs included) sees the same simulated time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        moment = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if moment.tzinfo is None:
            raise ValueError(f"{self.path} holds a time without a time zone")
        return moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FileClock needs timezone-aware times")
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(moment.isoformat(), encoding="utf-8")
        tmp.replace(self.path)  # readers never see a half-written time

    def advance(self, delta: timedelta) -> datetime:
        moment = self.now() + delta
        self.set(moment)
        return moment
