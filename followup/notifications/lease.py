"""A dispatcher's hold on the notices it claimed, so that two dispatchers never send one.

A batch's notices are this dispatcher's until `claimed_until`; after that anyone may claim
them. So a send may start only while the hold on that notice covers the whole of it (a send
is cut off at `worst_send`): `covers` checks that before each send and, if the hold runs
short, renews it there and then. If the renewal fails, or finds the notice taken by another
dispatcher, this one does not send it; it is sent by whoever holds it, never by two at once.

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
    """The longest one message's send may take: three timeouts (the dispatcher cuts a send
    off there, whatever each SMTP command's own timeout would allow)."""
    return timedelta(seconds=3 * timeout)


def message_lease(timeout: float) -> timedelta:
    """How long a claim holds: two worst sends and a margin, so a renewal a third of the
    way through still leaves a whole send covered; a dispatcher that died holds its
    notices this long at most."""
    return 2 * worst_send(timeout) + timedelta(seconds=5)


@dataclass
class Lease:
    """The hold on one claimed batch (`token`): the notices still held (`ids`), known to be
    held until `held_until`."""

    session_factory: sessionmaker[Session]
    clock: Clock
    token: str
    span: timedelta
    held_until: datetime
    ids: set[int] = field(default_factory=set)
    #: The last renewal failed (the database is away): no further send of the batch starts.
    unreachable: bool = False
    _renewing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def renew(self) -> None:
        """Extend the hold on the notices still ours (one another dispatcher claimed once
        the hold ran out is not)."""
        async with self._renewing:
            until = self.clock.now() + self.span
            self.ids = await asyncio.to_thread(
                outbox.renew, self.session_factory, self.token, until=until
            )
            self.held_until = until

    async def covers(self, message_id: int, send: timedelta) -> bool:
        """Whether a send of this notice starting now ends before the hold on it does
        (renewed here if short)."""
        if message_id in self.ids and self.clock.now() + send <= self.held_until:
            return True
        try:
            await self.renew()
        except Exception as exc:  # the database is away: the batch waits for its hold to end
            log.warning("followup: không gia hạn được lô thông báo đang gửi: %s", exc)
            self.unreachable = True
            return False
        self.unreachable = False
        return message_id in self.ids and self.clock.now() + send <= self.held_until

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
