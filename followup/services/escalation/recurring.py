"""Directives that repeat: "every month report budget collection", "before each flood season
repair the dikes".

The meeting file's directive is the first occurrence; its `RecurringDirective` row holds the
period and the next deadline. When the period of that deadline begins (the 1st of the month,
of the quarter, 1 January; the next working day when that is a day off),
`open_due_occurrences` opens the next occurrence as a directive of
its own (code `<code>-2021-04`, `<code>-2021Q2`, `<code>-2022`): same text, same units (as the
first occurrence has them now), the deadline on the same day of its period, the assignment
e-mails queued, all in one transaction with its audit events. A period whose deadline has
already passed when the sweep first runs in it is skipped (an occurrence born overdue helps
no one) and audited as skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from followup.db.models import Assignment, Directive, Meeting, RecurringDirective, Unit
from followup.db.session import UnitOfWork
from followup.domain.errors import FollowupError, ValidationError
from followup.domain.recurrence import next_due, opens_on, period_key
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput


@dataclass(frozen=True)
class OpenedOccurrences:
    directive_codes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    #: Why a repeating directive could not open its occurrence today (one sentence each):
    #: it opens nothing, is tried again at the next sweep, and holds back no other.
    failed: tuple[str, ...] = ()


def open_due_occurrences(ctx: ServiceContext, today: date, *, actor: str) -> OpenedOccurrences:
    """Open every occurrence whose period has begun by `today`: one transaction for each
    repeating directive, so one that cannot open (its code taken, its units all cancelled)
    is said and left for the next sweep without stopping the others."""
    with ctx.session_factory() as session:
        due = session.scalars(
            select(RecurringDirective.id)
            .where(RecurringDirective.next_due.is_not(None))
            .order_by(RecurringDirective.id)
        ).all()
    opened: list[str] = []
    skipped: list[str] = []
    failed: list[str] = []
    for template_id in due:
        with ctx.uow() as uow:
            template = uow.session.scalars(
                select(RecurringDirective)
                .where(
                    RecurringDirective.id == template_id,
                    RecurringDirective.next_due.is_not(None),
                )
                .with_for_update(skip_locked=True)
            ).first()
            if template is None:  # another sweep is opening it, or it has ended
                continue
            try:
                done = _catch_up(ctx, uow, template, today, actor=actor)
            except FollowupError as exc:
                failed.append(str(exc))  # rolled back on leaving: nothing half-opened
                continue
            uow.commit()
        opened += done[0]
        skipped += done[1]
    return OpenedOccurrences(tuple(opened), tuple(skipped), tuple(failed))


def _catch_up(
    ctx: ServiceContext, uow: UnitOfWork, template: RecurringDirective, today: date, *, actor: str
) -> tuple[list[str], list[str]]:
    """Open (or skip, when already past) each period of one repeating directive that has
    begun by `today`; the codes opened and skipped."""
    opened: list[str] = []
    skipped: list[str] = []
    first = uow.session.get_one(Directive, template.directive_id)
    while template.next_due is not None:
        # The period's day, moved to the next working day where it is a day off: an
        # occurrence opens, and is due, only on a working day.
        nominal = template.next_due
        due = ctx.calendar.add_working_days(nominal, 0)
        if ctx.calendar.add_working_days(opens_on(nominal, template.every), 0) > today:
            break
        code = f"{first.code}-{period_key(nominal, template.every)}"
        if due < today:
            skipped.append(code)
            uow.record(
                AuditAction.OCCURRENCE_SKIPPED,
                actor=actor,
                directive_id=first.id,
                details={"directive": first.code, "occurrence": code, "due_on": due},
            )
        else:
            note = moved_note(ctx, nominal, due)
            _open(ctx, uow, first, template, code, due, note=note, actor=actor)
            opened.append(code)
        following = next_due(nominal, template.every, template.day)
        ended = template.until is not None and following > template.until
        template.next_due = None if ended else following
    return opened, skipped


def moved_note(ctx: ServiceContext, nominal: date, due: date) -> str:
    """Why an occurrence is due a day later than its period says (the Civil Code's rule: a
    period whose last day is a day off ends on the next working day); "" when it is not."""
    if due == nominal:
        return ""
    why = ctx.calendar.holiday_name(nominal) or (
        "thứ Bảy" if nominal.weekday() == 5 else "Chủ nhật"
    )
    return (
        f"Hạn của kỳ này ({nominal:%d/%m/%Y}) là ngày nghỉ ({why}) nên chuyển sang ngày làm "
        f"việc tiếp theo: {due:%d/%m/%Y}."
    )


def _open(
    ctx: ServiceContext,
    uow: UnitOfWork,
    first: Directive,
    template: RecurringDirective,
    code: str,
    due: date,
    *,
    note: str,
    actor: str,
) -> None:
    from followup.services.write.meetings import assign_to, create_directive

    session = uow.session
    units = session.execute(
        select(Unit.code, Assignment.is_lead)
        .join(Assignment, Assignment.unit_id == Unit.id)
        .where(Assignment.directive_id == first.id, Assignment.state != "cancelled")
        .order_by(Assignment.is_lead.desc(), Assignment.id)
    ).all()
    if not units:
        raise ValidationError(
            f"Nhiệm vụ định kỳ {first.code}: không mở được kỳ {code} vì mọi phân công của kỳ "
            f"đầu đã hủy; giao đơn vị bằng 'followup assign {first.code} <mã đơn vị>'."
        )
    lead = next((c for c, is_lead in units if is_lead), units[0][0])
    item = DirectiveInput(
        code=code,
        title=first.title,
        text=f"{first.text}\n\n{note}" if note else first.text,
        field=first.field,
        priority=first.priority,
        lead=lead,
        support=[c for c, _ in units if c != lead],
        deadline=due.isoformat(),
    )
    meeting = session.get_one(Meeting, first.meeting_id)
    directive, assigned = create_directive(
        ctx, uow, meeting, item, where=f"Nhiệm vụ định kỳ {first.code}", actor=actor
    )
    for position, unit in enumerate(assigned):
        assign_to(ctx, uow, directive, unit, is_lead=position == 0, actor=actor)
    template.opened += 1
    uow.record(
        AuditAction.OCCURRENCE_OPENED,
        actor=actor,
        directive_id=directive.id,
        details={"directive": code, "recurs_from": first.code, "due_on": due},
    )
