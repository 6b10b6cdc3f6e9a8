"""Notices the mail server accepted, marked sent in group commits."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from followup.notifications import outbox
from followup.notifications.outbox import OutgoingMessage


class SentMarks:
    """Marks accepted notices sent in group commits. A worker takes room before it sends
    (`reserve`): at most `limit` accepted notices wait for their commit, the most a crash can
    make the next dispatcher send again. The first worker to find no commit under way
    commits everything accepted until nothing waits; the others go on sending."""

    def __init__(self, session_factory: sessionmaker[Session], limit: int) -> None:
        self._factory = session_factory
        self._room = asyncio.Semaphore(max(limit, 1))
        self._waiting: list[tuple[OutgoingMessage, datetime]] = []
        self._lock = asyncio.Lock()

    async def reserve(self) -> None:
        await self._room.acquire()

    def release(self) -> None:
        """The reserved notice was not accepted (it is marked failed or retrying)."""
        self._room.release()

    async def add(self, message: OutgoingMessage, at: datetime) -> None:
        self._waiting.append((message, at))
        if not self._lock.locked():  # else the commit under way takes it before it ends
            await self.commit()

    async def commit(self) -> None:
        async with self._lock:
            while self._waiting:
                sent, self._waiting = self._waiting, []
                try:
                    await asyncio.to_thread(outbox.mark_sent_many, self._factory, sent)
                except BaseException:
                    self._waiting[:0] = sent  # still to mark: the batch's last commit retries
                    raise
                for _ in sent:
                    self._room.release()
