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
from followup.domain.recurrence import next_due, opens_on, period_key
from followup.domain.vocabulary import AuditAction
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput


@dataclass(frozen=True)
class OpenedOccurrences:
    directive_codes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


def open_due_occurrences(ctx: ServiceContext, today: date, *, actor: str) -> OpenedOccurrences:
    """Open every occurrence whose period has begun by `today` (one transaction)."""
    opened: list[str] = []
    skipped: list[str] = []
    with ctx.uow() as uow:
        session = uow.session
        templates = session.scalars(
            select(RecurringDirective)
            .where(RecurringDirective.next_due.is_not(None))
            .order_by(RecurringDirective.id)
            .with_for_update(skip_locked=True)
        ).all()
        for template in templates:
            first = session.get_one(Directive, template.directive_id)
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
        uow.commit()
    return OpenedOccurrences(tuple(opened), tuple(skipped))


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
    lead = next((c for c, is_lead in units if is_lead), units[0][0] if units else "")
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
