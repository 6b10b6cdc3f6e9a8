"""A request Prefect's server could not carry out because its database was busy is tried
again in the desk, so that a coordinator's click is not lost.

On its embedded SQLite file, Prefect answers 503 when a write meets another one ("database is
locked": a transaction that read first cannot wait for the lock). Nothing was written, and
Prefect's own Python client simply tries again; the Prefect UI does not, and shows its "Oops.
Something went wrong" toast, losing the Resume the person just submitted. The desk does what
the client does for the UI's requests: it keeps the body and asks again, a few times, briefly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from followup.desk.bodies import from_the_ui, read_body, refuse, replay
from followup.desk.signin import Refused

log = logging.getLogger("followup.desk")

#: Pauses between tries (seconds): about four seconds in all, well within a person's wait.
DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)
#: What Prefect answers when its database is busy (its handler of retryable errors).
BUSY = 503


class RetryBusy:
    def __init__(self, app: ASGIApp, delays: Sequence[float] = DELAYS) -> None:
        self.app = app
        self.delays = tuple(delays)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not from_the_ui(scope):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except Refused as refused:
            await refuse(send, refused)
            return
        for attempt, delay in enumerate((*self.delays, None), start=1):
            answer = _Answer(send, keep_busy=delay is not None)
            await self.app(scope, replay(body, receive), answer.send)
            if not answer.busy or delay is None:
                return
            await asyncio.sleep(delay)
            log.info(
                "Prefect bận ghi cơ sở dữ liệu (%s %s): thử lại lần %d.",
                scope["method"],
                scope["path"],
                attempt + 1,
            )


class _Answer:
    """Passes the app's answer on as it comes, unless it is "busy" and another try is left:
    that one is held back (and dropped)."""

    def __init__(self, send: Send, *, keep_busy: bool) -> None:
        self._send = send
        self._keep_busy = keep_busy
        self.busy = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.busy = self._keep_busy and message["status"] == BUSY
        if not self.busy:
            await self._send(message)
