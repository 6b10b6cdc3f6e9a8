"""A dispatcher's hold on the notices it claimed, so that two dispatchers never send one.

A batch's notices are this dispatcher's until `claimed_until`; after that anyone may claim
them. So a send may start only while the hold covers the whole of it (connect, send and
answer, each up to the timeout): `covers` checks that before each send and, if the hold
runs short, renews it there and then. If the renewal fails, or finds the notices taken,
the dispatcher stops sending that batch; its notices are sent by whoever claims them when
the hold has run out, never by two at once.

A background task renews the hold a third of the way through each lease, so in the usual
case the check costs nothing: the lease is twice a send's worst case, and a renewal leaves
two thirds of it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from followup.domain.clock import Clock
from followup.notifications import outbox

log = logging.getLogger(__name__)


def worst_send(timeout: float) -> timedelta:
    """One message's longest send: connect, send and answer, each up to the timeout."""
    return timedelta(seconds=3 * timeout)


def message_lease(timeout: float) -> timedelta:
    """How long a claim holds: two worst sends and a margin, so a renewal a third of the
    way through still leaves a whole send covered; a dispatcher that died holds its
    notices this long at most."""
    return 2 * worst_send(timeout) + timedelta(seconds=5)


@dataclass
class Lease:
    """The hold on one claimed batch (`token`), known to last until `held_until`."""

    session_factory: sessionmaker[Session]
    clock: Clock
    token: str
    span: timedelta
    held_until: datetime
    _renewing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def renew(self) -> bool:
        """Extend the hold; False when none of the batch is ours any more."""
        async with self._renewing:
            until = self.clock.now() + self.span
            held = await asyncio.to_thread(
                outbox.renew, self.session_factory, self.token, until=until
            )
            if held:
                self.held_until = until
            return held > 0

    async def covers(self, send: timedelta) -> bool:
        """Whether a send starting now ends before the hold does (renewed here if short)."""
        if self.clock.now() + send <= self.held_until:
            return True
        try:
            return await self.renew() and self.clock.now() + send <= self.held_until
        except Exception as exc:  # the database is away: the batch waits for its hold to end
            log.warning("followup: không gia hạn được lô thông báo đang gửi: %s", exc)
            return False

    async def keep(self) -> None:
        """Renew a third of the way through each lease, until cancelled. A failed renewal
        is tried again at the next turn; meanwhile `covers` stops the sends it no longer
        covers."""
        while True:
            await asyncio.sleep(self.span.total_seconds() / 3)
            try:
                await self.renew()
            except Exception as exc:
                log.warning("followup: không gia hạn được lô thông báo đang gửi: %s", exc)
