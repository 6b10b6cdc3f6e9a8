"""A budget of so many a minute, for what a stranger could otherwise make us do as fast as
they can ask (write the audit trail, fill the log)."""

from __future__ import annotations

import threading
import time


class PerMinute:
    """At most `limit` a minute; `take` says how many were turned away since the last one
    it let through, or None when this one is turned away too."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._minute = -1
        self._taken = 0
        self._dropped = 0

    def take(self) -> int | None:
        minute = int(time.monotonic() // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._taken = minute, 0
            if self._taken >= self._limit:
                self._dropped += 1
                return None
            self._taken += 1
            dropped, self._dropped = self._dropped, 0
            return dropped
