"""Opening a meeting: the meeting, its directives and their assignments, in one transaction."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from followup.db.models import Assignment, Directive, Meeting, RecurringDirective, Unit
from followup.db.session import UnitOfWork
from followup.domain.calendar import parse_deadline
from followup.domain.clock import local_date
from followup.domain.errors import NotFoundError, ValidationError
from followup.domain.policy import Role
from followup.domain.recurrence import next_due
from followup.domain.states import AssignmentState, check_reassignable
from followup.domain.vocabulary import AuditAction, NoticeKind
from followup.services.context import ServiceContext
from followup.services.intake.drafting import REVIEW_MARK, review_marks
from followup.services.intake.meeting_files import DirectiveInput
from followup.services.intake.meeting_tables import read_meeting_file
from followup.services.notices import notify, notify_moved_away
from followup.services.queries import get_directive, get_unit
from followup.services.tracking import reschedule
from followup.services.write.change import changing, clean_text, view_of
from followup.services.write.commands import Assign, OpenMeeting, Reassign
from followup.services.write.results import AssignmentView, OpenedMeeting, Receipt


def meeting_from_file(path: Path, *, actor: str) -> OpenMeeting:
    """The command that opens the meeting a TOML file describes (refused in one sentence
    naming the file if it does not parse, or if it is a draft still carrying review marks)."""
    try:
        marks = review_marks(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        marks = []  # parse_toml_file says why it cannot be read
    if marks:
        shown = ", ".join(str(n) for n in marks[:8]) + (", …" if len(marks) > 8 else "")
        raise ValidationError(
            f"Tệp {path} là bản nháp còn {len(marks)} chỗ cần kiểm tra (dòng {shown}): xem "
            f"từng chỗ có dấu '{REVIEW_MARK}', sửa nếu cần rồi xoá dấu; chưa gửi gì."
        )
    read = read_meeting_file(path)
    return OpenMeeting(meeting=read.meeting, source=str(path), origins=read.origins, actor=actor)


def open_meeting(ctx: ServiceContext, cmd: OpenMeeting, _receipt: Receipt | None) -> OpenedMeeting:
    """Create the meeting with every directive and assignment, queue the assignment notices."""
    parsed, actor, source = cmd.meeting, cmd.actor, cmd.source
    held_on = parsed.meeting.held_on
    codes = [d.code for d in parsed.directives]
    if repeated := _repeated_codes(cmd):
        raise ValidationError(repeated[0])

    with ctx.uow() as uow:
        session = uow.session
        now = ctx.clock.now()
        if exists := _meeting_exists(session, cmd):
            raise ValidationError(exists[0])
        meeting = Meeting(**parsed.meeting.model_dump(), created_at=now)
        session.add(meeting)
        session.flush()
        uow.record(
            AuditAction.MEETING_OPENED,
            actor=actor,
            details={
                "meeting": meeting.code,
                "title": meeting.title,
                "held_on": held_on,
                "directives": codes,
            },
        )
        count = 0
        for index, item in enumerate(parsed.directives, start=1):
            place = cmd.origins[index - 1] if len(cmd.origins) == len(codes) else None
            where = (
                f"{source}, {place} (nhiệm vụ {item.code})"
                if place
                else f"{source}: nhiệm vụ thứ {index} ({item.code})"
            )
            directive, units = create_directive(ctx, uow, meeting, item, where=where, actor=actor)
            if item.repeat:
                register(uow, directive, item.repeat, item.repeat_until)
            for position, unit in enumerate(units):  # the lead first, however it was named
                assign_to(ctx, uow, directive, unit, is_lead=position == 0, actor=actor)
                count += 1
        uow.commit()
        return OpenedMeeting(meeting.id, tuple(codes), count)


def _repeated_codes(cmd: OpenMeeting) -> list[str]:
    codes = [d.code for d in cmd.meeting.directives]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    return [f"{cmd.source}: mã nhiệm vụ '{c}' xuất hiện hai lần." for c in repeated]


def _meeting_exists(session: Session, cmd: OpenMeeting) -> list[str]:
    code = cmd.meeting.meeting.code
    if session.execute(select(Meeting.id).where(Meeting.code == code)).first():
        return [f"{cmd.source}: đã có cuộc họp mã '{code}'."]
    return []


def meeting_problems(ctx: ServiceContext, cmd: OpenMeeting) -> list[str]:
    """Every reason the meeting would be refused, each in one sentence, found the way opening
    it finds them (the same checks, run and rolled back: nothing is written), so a form can
    be sent back with all of them at once instead of the first."""
    parsed, source = cmd.meeting, cmd.source
    problems = _repeated_codes(cmd)
    with ctx.uow() as uow:
        problems += _meeting_exists(uow.session, cmd)
    for index, item in enumerate(parsed.directives, start=1):
        where = f"{source}: nhiệm vụ thứ {index} ({item.code})"
        with ctx.uow() as uow:  # never committed: rolled back on leaving
            meeting = Meeting(
                code=f"{parsed.meeting.code[:50]}~kiem-tra",
                title=parsed.meeting.title,
                held_on=parsed.meeting.held_on,
                created_at=ctx.clock.now(),
            )
            uow.session.add(meeting)
            uow.session.flush()
            try:
                directive, units = create_directive(
                    ctx, uow, meeting, item, where=where, actor=cmd.actor
                )
                for position, unit in enumerate(units):
                    assign_to(ctx, uow, directive, unit, is_lead=position == 0, actor=cmd.actor)
            except ValidationError as exc:
                said = str(exc)
                problems.append(said if said.startswith(source) else f"{where}: {said}")
    return problems


#: A directive's fields stored as the meeting file (or the review form) gives them; the
#: rest are read (the deadline, the units) or written by the service.
STORED_AS_GIVEN: set[str] = {"code", "title", "text", "field", "priority"}


def create_directive(
    ctx: ServiceContext,
    uow: UnitOfWork,
    meeting: Meeting,
    item: DirectiveInput,
    *,
    where: str,
    actor: str,
) -> tuple[Directive, list[Unit]]:
    """One directive of the meeting, checked (a new code, a deadline not past, known units,
    no unit both lead and support), with its audit event; returns it and its units, lead
    first."""
    session = uow.session
    today = local_date(uow.clock.now())
    if session.execute(select(Directive.id).where(Directive.code == item.code)).first():
        raise ValidationError(f"{where}: mã nhiệm vụ đã tồn tại.")
    due_on = parse_deadline(item.deadline, where=f"{where}, hạn").resolve(today, ctx.calendar)
    if due_on < today:
        raise ValidationError(f"{where}: hạn {due_on:%d/%m/%Y} đã qua (hôm nay {today:%d/%m/%Y}).")
    units = [_unit(uow, item.lead, f"{where}, đơn vị chủ trì")]
    units += [_unit(uow, code, f"{where}, đơn vị phối hợp") for code in item.support]
    if units[0].id in {u.id for u in units[1:]}:
        raise ValidationError(f"{where}: đơn vị '{units[0].name}' vừa chủ trì vừa phối hợp.")
    support = [u.id for u in units[1:]]
    twice = next((u for u in units[1:] if support.count(u.id) > 1), None)
    if twice is not None:  # named once by code and once by name, say
        raise ValidationError(f"{where}: đơn vị phối hợp '{twice.name}' được nêu hai lần.")
    directive = Directive(
        **item.model_dump(include=STORED_AS_GIVEN),
        meeting=meeting,
        lead_unit_id=units[0].id,
        due_on=due_on,
        original_due_on=due_on,
        created_at=uow.clock.now(),
    )
    session.add(directive)
    session.flush()
    uow.record(
        AuditAction.DIRECTIVE_CREATED,
        actor=actor,
        directive_id=directive.id,
        details={
            "directive": directive.code,
            "title": directive.title,
            "due_on": due_on,
            "lead": units[0].code,  # the code, however the file named the unit
            "support": [u.code for u in units[1:]],
            "deadline": item.deadline,
        },
    )
    return directive, units


def _unit(uow: UnitOfWork, code: str, where: str) -> Unit:
    try:
        return get_unit(uow.session, code)
    except NotFoundError as exc:  # say which directive of the file names it
        raise ValidationError(f"{where}: {str(exc)[0].lower()}{str(exc)[1:]}") from exc


def assign_to(
    ctx: ServiceContext,
    uow: UnitOfWork,
    directive: Directive,
    unit: Unit,
    *,
    is_lead: bool,
    actor: str,
) -> Assignment:
    now = uow.clock.now()
    assignment = Assignment(
        directive_id=directive.id,
        unit_id=unit.id,
        is_lead=is_lead,
        state="assigned",
        due_on=directive.due_on,
        original_due_on=directive.original_due_on,
        assigned_at=now,
        escalation_level=0,
    )
    assignment.directive = directive
    assignment.unit = unit
    uow.session.add(assignment)
    uow.session.flush()
    today = local_date(now)
    reschedule(ctx, assignment, today)
    uow.record(
        AuditAction.ASSIGNED,
        actor=actor,
        directive_id=directive.id,
        assignment_id=assignment.id,
        details={
            "directive": directive.code,
            "unit": unit.code,
            "role": "lead" if is_lead else "support",
            "due_on": directive.due_on,
        },
    )
    notify_assigned(ctx, uow, assignment, occasion="assigned")
    return assignment


def notify_assigned(
    ctx: ServiceContext,
    uow: UnitOfWork,
    assignment: Assignment,
    *,
    occasion: str,
    reassigned_from: str = "",
) -> None:
    """Queue the assignment e-mail to the unit's officer; a unit nobody can be e-mailed at
    cannot be given work (refused in one sentence, nothing written)."""
    today = local_date(uow.clock.now())
    ack_due = ctx.calendar.add_working_days(today, ctx.policy.ack_within_days)
    recipient = notify(
        ctx,
        uow,
        assignment,
        NoticeKind.ASSIGNMENT,
        role=Role.OFFICER,
        occasion=occasion,
        extra={
            "ack_due_on": ack_due,
            "progress_every_days": ctx.policy.progress_every_days,
            "reassigned_from": reassigned_from,
        },
    )
    if recipient is None:
        raise ValidationError(
            f"Đơn vị '{assignment.unit.code}' chưa có địa chỉ e-mail để nhận thông báo."
        )


def assign(ctx: ServiceContext, cmd: Assign, _receipt: Receipt | None) -> AssignmentView:
    """Give an existing directive to one more (supporting) unit."""
    directive_code, unit_code, actor = cmd.directive_code, cmd.unit_code, cmd.actor
    with ctx.uow() as uow:
        directive = get_directive(uow.session, directive_code, for_update=True)
        unit = get_unit(uow.session, unit_code)
        exists = uow.session.execute(
            select(Assignment.id).where(
                Assignment.directive_id == directive.id, Assignment.unit_id == unit.id
            )
        ).first()
        if exists:
            raise ValidationError(f"Đơn vị '{unit_code}' đã được giao nhiệm vụ '{directive_code}'.")
        if directive.due_on < local_date(uow.clock.now()):
            raise ValidationError(
                f"Nhiệm vụ '{directive_code}' đã quá hạn {directive.due_on:%d/%m/%Y}; "
                "hãy gia hạn trước khi giao thêm."
            )
        assignment = assign_to(ctx, uow, directive, unit, is_lead=False, actor=actor)
        uow.commit()
        return view_of(uow.session, assignment)


def reassign(ctx: ServiceContext, cmd: Reassign, receipt: Receipt | None) -> AssignmentView:
    """Move an open assignment to another unit. The new unit starts afresh (assigned, its
    own acknowledgement and ladder) and gets the assignment e-mail; the old unit's part stays
    in the audit trail; the assignment is the same row, so the four-way counts it once."""
    reason = clean_text(cmd.reason, field="lý do chuyển đơn vị", required=True)
    with changing(ctx, cmd.target, None, receipt) as change:
        a, session = change.a, change.uow.session
        where = f"{a.directive.code}/{a.unit.code}"
        check_reassignable(AssignmentState(a.state), where=where)
        new = get_unit(session, cmd.to_unit.strip())
        taken = session.execute(
            select(Assignment.id).where(
                Assignment.directive_id == a.directive_id, Assignment.unit_id == new.id
            )
        ).first()
        if taken:
            raise ValidationError(
                f"Đơn vị '{new.code}' đã được giao nhiệm vụ '{a.directive.code}'; "
                "không chuyển được thêm lần nữa."
            )
        old = a.unit
        a.unit_id, a.unit = new.id, new
        if a.is_lead:
            a.directive.lead_unit_id = new.id
        restart(a, change.now)
        change.lapse_extension_requests()
        change.reschedule()
        change.audit(
            AuditAction.REASSIGNED,
            actor=cmd.actor,
            from_unit=old.code,
            to_unit=new.code,
            reason=reason,
        )
        notify_assigned(
            ctx,
            change.uow,
            a,
            occasion=f"reassigned:{change.now.isoformat()}",
            reassigned_from=old.name,
        )
        notify_moved_away(
            ctx, change.uow, a, old, occasion=f"reassigned:{change.now.isoformat()}", reason=reason
        )
    return change.returned()


def restart(a: Assignment, now: datetime) -> None:
    """The assignment as a new unit takes it: assigned now, nothing acknowledged, reported
    or escalated yet (the deadline stays: the directive's deadline does not move)."""
    a.state = AssignmentState.ASSIGNED.value
    a.assigned_at = now
    a.acknowledged_at = a.last_progress_at = a.reported_done_at = a.sent_back_at = None
    a.last_percent = None
    a.completed_on = None
    a.escalation_step = None
    a.escalation_level = 0
    a.escalated_on = a.reminder_sent_for = a.progress_requested_for = None


def register(uow: UnitOfWork, directive: Directive, every: str, until: date | None) -> None:
    """Make `directive` the first occurrence of a repeating one."""
    due = directive.due_on
    following = next_due(due, every, due.day)
    uow.session.add(
        RecurringDirective(
            directive_id=directive.id,
            every=every,
            day=due.day,
            until=until,
            next_due=following if until is None or following <= until else None,
            opened=1,
            created_at=uow.clock.now(),
        )
    )
