"""Digests: each coordinator daily and each leader weekly gets their units' four-way table,
what became overdue, what was closed and the extensions waiting for a decision, with the
four-way as bars drawn in HTML and the same numbers as text. A day with nothing new sends
nothing. Each digest names the audit chain's hash of the day, which `followup audit verify
--against` checks later.

Digests are notices like any other: queued in one transaction under a key per reader and
day, so a second run the same day (a retry, two workers) queues nothing again, and the
outbox sends each exactly once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from followup.db.models import (
    Assignment,
    AuditEvent,
    Directive,
    ExtensionRequest,
    Notice,
    ProgressReport,
    Unit,
)
from followup.domain.clock import local_date
from followup.domain.errors import NotFoundError
from followup.domain.periods import Period
from followup.domain.policy import Role
from followup.domain.status import FourWay
from followup.domain.vocabulary import AuditAction, NoticeKind, label
from followup.notifications.chart import HEX, bar_segments
from followup.notifications.outbox import Recipient, notice_row
from followup.notifications.render import render
from followup.services.context import ServiceContext
from followup.services.notices import recipient_for
from followup.services.reporting.period_model import (
    ChainMark,
    Dimension,
    PeriodOverdue,
    PeriodReport,
)
from followup.services.reporting.period_report import period_report
from followup.services.reporting.reports import UnitStatus, rate_text, totals_of


class Audience(StrEnum):
    COORDINATOR = "coordinator"  # daily: the city office
    LEADER = "leader"  # weekly: the leader in charge of some units


@dataclass(frozen=True)
class Reader:
    name: str
    email: str
    audience: Audience
    #: The units the digest covers (None: every unit).
    units: frozenset[str] | None = None


@dataclass(frozen=True)
class ClosedItem:
    directive_code: str
    title: str
    unit_code: str
    unit_name: str
    closed_on: date
    on_time: bool
    has_evidence: bool


@dataclass(frozen=True)
class WaitingExtension:
    directive_code: str
    title: str
    unit_name: str
    due_on: date
    requested_due_on: date
    requested_on: date


@dataclass
class Digest:
    reader: Reader
    day: date
    #: The first day the digest tells about (yesterday for a daily one, a week back weekly).
    since: date
    rows: list[UnitStatus]
    chain: ChainMark
    became_overdue: list[PeriodOverdue] = field(default_factory=list)
    closed: list[ClosedItem] = field(default_factory=list)
    extensions: list[WaitingExtension] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        return bool(self.became_overdue or self.closed or self.extensions)

    @property
    def totals(self) -> UnitStatus:
        return totals_of(self.rows)


@dataclass(frozen=True)
class DigestRun:
    queued: int
    #: Readers with nothing new: no e-mail.
    quiet: int
    #: Digests already queued today (a second run): not queued again.
    already: int = 0
    #: The digests queued, by audience ("coordinator", "leader").
    by_audience: dict[str, int] = field(default_factory=dict)


def readers(ctx: ServiceContext, coordinator_unit: str | None) -> list[Reader]:
    """The coordinators (the officer and head of the coordinating unit) and every leader in
    charge, with the units each one answers for (as escalations reach them)."""
    with ctx.session_factory() as session:
        units = (
            session.execute(
                select(Unit).options(
                    selectinload(Unit.contacts),
                    selectinload(Unit.parent).selectinload(Unit.contacts),
                )
            )
            .scalars()
            .all()
        )
        found: list[Reader] = []
        if coordinator_unit:
            office = next((u for u in units if u.code == coordinator_unit), None)
            if office is None:
                raise NotFoundError(
                    f"Không có đơn vị điều phối '{coordinator_unit}' (FOLLOWUP_COORDINATOR_UNIT)."
                )
            seen: set[str] = set()
            for contact in office.contacts:
                if (
                    contact.role in (Role.OFFICER.value, Role.HEAD.value)
                    and contact.email not in seen
                ):
                    seen.add(contact.email)
                    found.append(Reader(contact.name, contact.email, Audience.COORDINATOR))
        leaders: dict[str, tuple[str, set[str]]] = {}
        for unit in units:
            if unit.kind == "leadership":
                continue
            leader = recipient_for(unit, Role.LEADER)
            if leader is not None:
                leaders.setdefault(leader.email, (leader.name, set()))[1].add(unit.code)
        found += [
            Reader(name, email, Audience.LEADER, frozenset(codes))
            for email, (name, codes) in sorted(leaders.items())
        ]
        return found


def window_days(audience: Audience) -> int:
    return 1 if audience is Audience.COORDINATOR else 7


def build_digest(ctx: ServiceContext, reader: Reader, day: date, report: PeriodReport) -> Digest:
    """What one reader is told on `day` (from the report of that day)."""
    days = window_days(reader.audience)
    since = day - timedelta(days=days)

    def mine(code: str) -> bool:
        return reader.units is None or code in reader.units

    digest = Digest(
        reader=reader,
        day=day,
        since=since,
        rows=[r for r in report.views[Dimension.UNIT] if mine(r.unit_code)],
        chain=report.chain,
        became_overdue=[
            r for r in report.overdue if mine(r.unit_code) and 1 <= r.days_late <= days
        ],
    )
    window = Period(end=day - timedelta(days=1), start=since)
    with ctx.session_factory() as session:
        closed = session.execute(
            select(AuditEvent.occurred_at, AuditEvent.details, AuditEvent.assignment_id)
            .where(
                AuditEvent.action == AuditAction.CLOSED.value,
                AuditEvent.occurred_at >= window.starts_at(),
                AuditEvent.occurred_at < window.ends_before(),
            )
            .order_by(AuditEvent.seq)
        ).all()
        names: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
        titles: dict[str, str] = dict(
            session.execute(select(Directive.code, Directive.title)).all()
        )
        with_evidence = set(
            session.execute(
                select(ProgressReport.assignment_id).where(
                    ProgressReport.evidence_sha256.is_not(None),
                    ProgressReport.assignment_id.in_([row[2] for row in closed]),
                )
            ).scalars()
        )
        for at, details, assignment_id in closed:
            unit = str(details.get("unit", ""))
            if not mine(unit):
                continue
            code = str(details.get("directive", ""))
            digest.closed.append(
                ClosedItem(
                    directive_code=code,
                    title=titles.get(code, ""),
                    unit_code=unit,
                    unit_name=names.get(unit, unit),
                    closed_on=local_date(at),
                    on_time=bool(details.get("on_time")),
                    has_evidence=assignment_id in with_evidence,
                )
            )
        pending = session.execute(
            select(ExtensionRequest, Directive.code, Directive.title, Unit.code, Unit.name)
            .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
            .join(Directive, Directive.id == Assignment.directive_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(ExtensionRequest.status == "pending")
            .order_by(ExtensionRequest.requested_at)
        ).all()
        digest.extensions = [
            WaitingExtension(
                directive_code=code,
                title=title,
                unit_name=unit_name,
                due_on=request.current_due_on,
                requested_due_on=request.requested_due_on,
                requested_on=local_date(request.requested_at),
            )
            for request, code, title, unit_code, unit_name in pending
            if mine(unit_code)
        ]
    return digest


def queue_digests(
    ctx: ServiceContext,
    day: date | None = None,
    *,
    coordinator_unit: str | None,
    leader_weekday: int = 0,
) -> DigestRun:
    """Queue today's digests: the coordinators' every day, the leaders' on `leader_weekday`
    (0 = Monday). Readers with nothing new get none."""
    today = day or ctx.today()
    report = period_report(ctx, Period(end=today))
    wanted = [
        r
        for r in readers(ctx, coordinator_unit)
        if r.audience is Audience.COORDINATOR or today.weekday() == leader_weekday
    ]
    digests = [build_digest(ctx, reader, today, report) for reader in wanted]
    news = [d for d in digests if d.has_news]
    queued: Counter[str] = Counter()
    already = 0
    with ctx.uow() as uow:  # one transaction: every digest of the day, or none
        org_name = ctx.organisation(uow.session)
        for digest in news:
            reader = digest.reader
            key = f"digest:{reader.audience.value}:{reader.email}:{today.isoformat()}"
            if uow.session.execute(select(Notice.id).where(Notice.dedupe_key == key)).first():
                already += 1
                continue
            rendered = render(NoticeKind.DIGEST, "vi", digest_context(digest, org_name))
            uow.notify(
                notice_row(
                    dedupe_key=key,
                    kind=NoticeKind.DIGEST,
                    language="vi",
                    recipient=Recipient(reader.name, reader.email),
                    rendered=rendered,
                    now=uow.clock.now(),
                    message_id_domain=ctx.message_id_domain,
                )
            )
            queued[reader.audience.value] += 1
        uow.commit()
    quiet = len(digests) - len(news)
    return DigestRun(
        queued=queued.total(),
        quiet=quiet,
        already=already,
        by_audience=dict(sorted(queued.items())),
    )


def digest_context(digest: Digest, org_name: str) -> dict[str, object]:
    totals = digest.totals
    largest = max((r.total for r in digest.rows), default=0)
    return {
        "org_name": org_name,
        "recipient_name": digest.reader.name,
        "audience": digest.reader.audience.value,
        "day": digest.day,
        "since": digest.since,
        "until": digest.day - timedelta(days=1),
        "kinds": [
            {"key": k.value, "colour": HEX[k], "label": label(k), "label_en": label(k, "en")}
            for k in FourWay
        ],
        "rows": [
            {
                "name": r.unit_name,
                "bar": bar_segments(r.counts, largest),
                "counts": [r.counts[k] for k in FourWay],
                "total": r.total,
                "rate": rate_text(r.on_time_rate),
            }
            for r in digest.rows
        ],
        "totals": {
            "counts": [totals.counts[k] for k in FourWay],
            "total": totals.total,
            "rate": rate_text(totals.on_time_rate),
        },
        "became_overdue": [
            {
                "code": r.directive_code,
                "title": r.title,
                "unit": r.unit_name,
                "due_on": r.due_on,
                "days_late": r.days_late,
                "level": r.escalation_level,
            }
            for r in digest.became_overdue
        ],
        "closed": [
            {
                "code": c.directive_code,
                "title": c.title,
                "unit": c.unit_name,
                "unit_code": c.unit_code,
                "closed_on": c.closed_on,
                "on_time": c.on_time,
                "has_evidence": c.has_evidence,
            }
            for c in digest.closed
        ],
        "extensions": [
            {
                "code": e.directive_code,
                "title": e.title,
                "unit": e.unit_name,
                "due_on": e.due_on,
                "requested_due_on": e.requested_due_on,
                "requested_on": e.requested_on,
            }
            for e in digest.extensions
        ],
        "chain_seq": digest.chain.seq,
        "chain_hash": digest.chain.hash,
        "links": [],
    }
