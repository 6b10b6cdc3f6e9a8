"""Send pending notices over SMTP with aiosmtplib.

A few connections are opened and reused (bounded concurrency); each send has a timeout;
STARTTLS, implicit TLS and AUTH come from config. A notice is marked sent only after the
server accepted it. A temporary failure (4xx, dropped connection, timeout) puts the notice
back with a backoff capped at a few minutes; a permanent refusal (5xx), or a notice still
not delivered after a span of days, is given up on (audited) for a person to look at.
Nothing is sent twice by two dispatchers: each works only on the notices it leased, starts
a send only while its lease covers the whole send (`lease.Lease.covers`), and renews the
lease while the batch goes on, so the notices of a dispatcher that died are taken over
within one lease (two sends' worst case), and one whose renewals fail stops sending.

Connections stay open from one batch to the next, and the notices the server accepted are
marked sent in group commits (`sent_marks.SentMarks`): at most `unmarked_limit` accepted
notices per dispatcher wait for their commit, so a crash at the worst moment (after the
server's 250, before our commit) makes the next dispatcher send at most that many again
(each with the same Message-ID, which lets a mail system drop the copy) once their lease
has run out.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import aiosmtplib
from sqlalchemy.orm import Session, sessionmaker

from followup.config import Settings
from followup.db.organisation import NO_ORGANISATION, root_unit_name
from followup.domain.clock import Clock
from followup.domain.errors import FollowupError
from followup.domain.lifecycle import LifecycleStep
from followup.notifications import outbox
from followup.notifications.lease import Lease, message_lease, worst_send
from followup.notifications.message import build_message
from followup.notifications.outbox import OutgoingMessage
from followup.notifications.sent_marks import SentMarks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    timeout: float = 30.0
    concurrency: int = 4
    sender_email: str = "theodoi-nhiemvu@mongcai.example"
    #: The sender's display name; None: "Theo dõi nhiệm vụ - <the units file's root unit>".
    sender_name: str | None = None
    batch_size: int = 20
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 300.0
    give_up_after: timedelta = timedelta(hours=72)
    #: Notices accepted by the server that may wait for their "sent" commit (the most a
    #: crash can make the next dispatcher send again); 1 commits after every message.
    unmarked_limit: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout_seconds,
            concurrency=settings.smtp_concurrency,
            sender_email=settings.mail_from,
            sender_name=settings.mail_from_name,
            batch_size=settings.smtp_batch_size,
            retry_base_seconds=settings.smtp_retry_base_seconds,
            retry_max_seconds=settings.smtp_retry_max_seconds,
            give_up_after=timedelta(hours=settings.smtp_give_up_after_hours),
        )

    def tls_context(self) -> ssl.SSLContext | None:
        if self.security == "none":
            return None
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


#: Tries a notice gets before it may be given up on, however old it is (30 s, then 1, 2 and
#: 4 minutes apart).
LEAST_TRIES = 5


class _PermanentError(Exception):
    pass


async def check_smtp(config: SmtpConfig) -> None:
    """Connect to the mail server as the dispatcher does (TLS and login included), then quit;
    raises what the connection raised."""
    connection = _Connection(config)
    connection.smtp = await connection._open()
    await connection.close()


def backoff(attempts: int, base_seconds: float, max_seconds: float = 300.0) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at `max_seconds` (5 min): a flapping server is not
    hammered, and once it is back every notice goes out within one dispatch period, however
    long it was down."""
    return timedelta(seconds=min(base_seconds * (2 ** max(attempts - 1, 0)), max_seconds))


class _Connection:
    """One reusable SMTP connection, reopened after a failure."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: aiosmtplib.SMTP | None = None

    async def _open(self) -> aiosmtplib.SMTP:
        cfg = self.config
        smtp = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            timeout=cfg.timeout,
            use_tls=cfg.security == "ssl",
            start_tls=cfg.security == "starttls",
            tls_context=cfg.tls_context(),
            username=cfg.username,
            password=cfg.password,
        )
        await smtp.connect()
        return smtp

    async def send(self, message: OutgoingMessage, *, clock: Clock) -> None:
        if self.smtp is None or not self.smtp.is_connected:
            self.smtp = await self._open()
        try:
            mime = build_message(
                message,
                sender_name=self.config.sender_name or "Theo dõi nhiệm vụ",
                sender_email=self.config.sender_email,
                now=clock.now(),
            )
            # Flatten once ourselves (CRLF, RFC 2047 headers); send_message would copy and
            # re-fold every header, which cost more than the whole SMTP exchange on loopback.
            data = mime.as_bytes()
        except (ValueError, TypeError, UnicodeError) as exc:
            # This notice can never be written (an address with a line break, say): it
            # fails alone, and the rest of the batch goes out.
            raise _PermanentError(f"thư không dựng được: {exc}") from exc
        try:
            errors, _response = await self.smtp.sendmail(
                self.config.sender_email, [message.recipient.email], data
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # Our one recipient refused at RCPT: 550 "no such user" is final, 450 is not.
            final = [r for r in exc.recipients if 500 <= r.code < 600]
            if final:
                raise _PermanentError(f"{final[0].code} {final[0].message}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise _PermanentError(f"{exc.code} {exc.message}") from exc
            raise
        if errors:  # a single recipient: a refusal arrives as an exception, but be safe
            raise _PermanentError(f"refused: {errors}")

    async def close(self) -> None:
        if self.smtp is not None and self.smtp.is_connected:
            try:
                await self.smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self.smtp.close()  # what was sent is marked already; a lost QUIT changes nothing
        self.smtp = None

    def drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None


async def dispatch(
    session_factory: sessionmaker[Session],
    config: SmtpConfig,
    *,
    clock: Clock,
    directive_id: int | None = None,
    step: LifecycleStep | None = None,
) -> DispatchReport:
    """Send every notice that is due now (only one directive's, and one lifecycle step's, if
    given); say what happened."""
    report = DispatchReport()
    # A lease covers two messages' sends (connect, send, answer: each up to `timeout`) and
    # is renewed while the batch is still being worked on; a dispatcher that died (kill -9)
    # holds its notices for one lease at most, not for a whole batch's worst case.
    lease = message_lease(config.timeout)
    connections: list[_Connection] = []
    try:
        return await _dispatch(
            session_factory, config, clock, directive_id, step, report, lease, connections
        )
    finally:
        for connection in connections:
            await connection.close()


async def _dispatch(
    session_factory: sessionmaker[Session],
    config: SmtpConfig,
    clock: Clock,
    directive_id: int | None,
    step: LifecycleStep | None,
    report: DispatchReport,
    lease: timedelta,
    connections: list[_Connection],
) -> DispatchReport:
    while True:
        claimed_at = clock.now()
        batch = await asyncio.to_thread(
            outbox.claim,
            session_factory,
            now=claimed_at,
            limit=config.batch_size,
            lease=lease,
            directive_id=directive_id,
            step=step,
        )
        if not batch:
            return report
        if config.sender_name is None:  # named once, from the units file, before sending
            config = replace(config, sender_name=await asyncio.to_thread(_sender, session_factory))
        held = Lease(
            session_factory,
            clock,
            batch[0].claim_token,
            lease,
            claimed_at + lease,
            ids={m.id for m in batch},
        )
        renewing = asyncio.create_task(held.keep())
        try:
            await _send_batch(session_factory, config, clock, batch, held, report, connections)
        finally:
            renewing.cancel()


def _sender(session_factory: sessionmaker[Session]) -> str:
    with session_factory() as session:
        name = root_unit_name(session)
    if name is None:
        raise FollowupError(NO_ORGANISATION)
    return f"Theo dõi nhiệm vụ - {name}"


async def _send_batch(
    session_factory: sessionmaker[Session],
    config: SmtpConfig,
    clock: Clock,
    batch: list[OutgoingMessage],
    held: Lease,
    report: DispatchReport,
    connections: list[_Connection],
) -> None:
    queue: asyncio.Queue[OutgoingMessage] = asyncio.Queue()
    for message in batch:
        queue.put_nowait(message)
    marks = SentMarks(session_factory, config.unmarked_limit)
    while len(connections) < min(config.concurrency, len(batch)):
        connections.append(_Connection(config))

    send = worst_send(config.timeout)

    async def worker(connection: _Connection) -> None:
        while not queue.empty():
            message = queue.get_nowait()
            await marks.reserve()
            accepted = False
            try:
                if not await held.covers(message.id, send):  # another may hold it by then
                    if held.unreachable:  # the rest wait for their hold to end, then anyone
                        return
                    log.warning(
                        "followup: thông báo #%s không còn được giữ; để cho nơi đang giữ nó gửi",
                        message.id,
                    )
                    continue
                accepted = await _send_one(
                    session_factory, config, clock, connection, message, report, budget=send
                )
            finally:
                if not accepted:  # refused, failed or cancelled: nothing waits to be marked
                    marks.release()
            if accepted:
                await marks.add(message, clock.now())

    workers = [asyncio.create_task(worker(c)) for c in connections[: len(batch)]]
    try:
        done, _pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # a worker's error: the others stop below, before anything else
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await marks.commit()  # what was accepted is marked, even if a worker failed


async def _send_one(
    session_factory: sessionmaker[Session],
    config: SmtpConfig,
    clock: Clock,
    connection: _Connection,
    message: OutgoingMessage,
    report: DispatchReport,
    *,
    budget: timedelta,
) -> bool:
    """Send one notice, cut off after `budget` (its lease covers no more); True when the
    server accepted it (the caller marks it sent)."""
    # No immediate resend: a connection dropped after the data went out may still have
    # delivered, and a resend would double the notice. The backoff gives a person time too.
    try:
        async with asyncio.timeout(budget.total_seconds()):
            await connection.send(message, clock=clock)
    except _PermanentError as exc:
        connection.drop()
        await asyncio.to_thread(
            outbox.mark_failed,
            session_factory,
            message,
            error=str(exc),
            retry_at=None,
            now=clock.now(),
        )
        report.failed += 1
        report.errors.append(f"thông báo #{message.id}: {exc}")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        connection.drop()
        attempts = message.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        now = clock.now()
        retry_at = None
        # Given up on after a span of time, not a number of tries: an afternoon's outage
        # costs many tries and must lose nothing. Yet never on a first few tries: a backlog
        # older than the span (the dispatcher was down over a long holiday) meets a
        # greylisting server's "try later" once before it is let through.
        if now - message.created_at < config.give_up_after or attempts < LEAST_TRIES:
            retry_at = now + backoff(attempts, config.retry_base_seconds, config.retry_max_seconds)
            report.retrying += 1
        else:
            report.failed += 1
        report.errors.append(f"thông báo #{message.id}: {error}")
        # Info, not warning: the report carries it to whoever runs the dispatch, once.
        log.info("followup: thông báo #%s chưa gửi được (lần %s): %s", message.id, attempts, error)
        await asyncio.to_thread(
            outbox.mark_failed, session_factory, message, error=error, retry_at=retry_at, now=now
        )
    else:
        report.sent += 1
        return True
    return False
