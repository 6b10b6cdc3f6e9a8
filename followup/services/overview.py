"""The city-wide picture a coordinator opens each morning: the four-way count by unit with
totals, the overdue list (days late, ladder level) and the notices never delivered. The
escalation sweep publishes it to the Prefect UI as Markdown after every pass."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from followup.db.models import Assignment, Directive, Meeting, Unit
from followup.domain.states import TERMINAL_STATE_VALUES
from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.services.context import ServiceContext
from followup.services.markdown import literal
from followup.services.reports import UnitStatus, status_by_unit, totals_of
from followup.services.undelivered import undelivered_count


@dataclass(frozen=True)
class OverdueRow:
    directive_code: str
    title: str
    unit_name: str
    due_on: date
    days_late: int
    escalation_level: int
    #: Working days late (the calendar's days off left out), as officials count delays.
    working_days_late: int = 0


@dataclass(frozen=True)
class Overview:
    as_of: date
    units: list[UnitStatus]
    overdue: list[OverdueRow]
    undelivered: int

    def totals(self) -> dict[FourWay, int]:
        return totals_of(self.units).counts


def city_overview(ctx: ServiceContext, as_of: date | None = None) -> Overview:
    today = as_of or ctx.today()
    with ctx.session_factory() as session:
        rows = session.execute(
            select(
                Directive.code,
                Directive.title,
                Unit.name,
                Assignment.due_on,
                Assignment.escalation_level,
            )
            .join(Directive, Directive.id == Assignment.directive_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.state.not_in(TERMINAL_STATE_VALUES),
                Assignment.completed_on.is_(None),
                Assignment.due_on < today,
            )
            .order_by(Assignment.due_on, Directive.code, Unit.name)
        ).all()
    overdue = [
        OverdueRow(
            code,
            title,
            unit,
            due,
            (today - due).days,
            level or 0,
            ctx.calendar.working_days_between(due, today),
        )
        for code, title, unit, due, level in rows
    ]
    return Overview(today, status_by_unit(ctx, today), overdue, undelivered_count(ctx))


def overview_markdown(view: Overview) -> str:
    """The overview in Vietnamese Markdown: labels only, dates dd/mm/yyyy."""
    kinds = list(FourWay)
    lines = [f"# Tổng hợp thực hiện nhiệm vụ đến ngày {view.as_of:%d/%m/%Y}", ""]
    if view.undelivered:
        lines += [f"**⚠ {view.undelivered} thông báo không gửi được** (xem `followup status`).", ""]
    lines += [
        "## Theo đơn vị",
        "",
        "| Đơn vị | " + " | ".join(label(k) for k in kinds) + " | Tổng |",
        "|---|" + "---:|" * (len(kinds) + 1),
    ]
    for unit in view.units:
        counts = " | ".join(str(unit.counts[k]) for k in kinds)
        lines.append(f"| {literal(unit.unit_name)} | {counts} | {unit.total} |")
    totals = view.totals()
    lines.append(
        "| **Tổng** | "
        + " | ".join(f"**{totals[k]}**" for k in kinds)
        + f" | **{sum(totals.values())}** |"
    )
    lines += ["", f"## Quá hạn ({len(view.overdue)})", ""]
    if not view.overdue:
        return "\n".join([*lines, "Không có nhiệm vụ nào quá hạn."])
    lines += [
        "| Nhiệm vụ | Đơn vị | Hạn | Quá hạn | Đôn đốc |",
        "|---|---|---|---:|---|",
    ]
    for row in view.overdue:
        ladder = f"cấp {row.escalation_level}" if row.escalation_level else "chưa"
        lines.append(
            f"| {literal(row.directive_code)} · {literal(row.title)} | {literal(row.unit_name)} "
            f"| {row.due_on:%d/%m/%Y} | {row.days_late} ngày | {ladder} |"
        )
    return "\n".join(lines)


OPEN_RUN = "mở lượt"


@dataclass(frozen=True)
class MeetingDirective:
    code: str
    title: str
    lead: str
    due_on: date
    flow_run_id: str | None
    open_parts: int
    overdue_parts: int


@dataclass(frozen=True)
class MeetingView:
    code: str
    title: str
    held_on: date
    chair: str
    directives: list[MeetingDirective]


def meeting_view(ctx: ServiceContext, meeting_code: str) -> MeetingView:
    """A meeting and each of its directives: lead unit, deadline, open and overdue parts, and
    the directive's Prefect run (to link to it)."""
    today = ctx.today()
    with ctx.session_factory() as session:
        meeting = session.execute(select(Meeting).where(Meeting.code == meeting_code)).scalar_one()
        directives = session.execute(
            select(Directive, Unit.name)
            .join(Unit, Unit.id == Directive.lead_unit_id)
            .where(Directive.meeting_id == meeting.id)
            .order_by(Directive.code)
        ).all()
        parts = session.execute(
            select(Assignment.directive_id, Assignment.due_on, Assignment.completed_on)
            .join(Directive, Directive.id == Assignment.directive_id)
            .where(
                Directive.meeting_id == meeting.id,
                Assignment.state.not_in(TERMINAL_STATE_VALUES),
            )
        ).all()
        rows = [
            MeetingDirective(
                code=d.code,
                title=d.title,
                lead=lead,
                due_on=d.due_on,
                flow_run_id=d.flow_run_id,
                open_parts=sum(1 for p in parts if p[0] == d.id),
                overdue_parts=sum(1 for p in parts if p[0] == d.id and not p[2] and p[1] < today),
            )
            for d, lead in directives
        ]
        return MeetingView(meeting.code, meeting.title, meeting.held_on, meeting.chair, rows)


def meeting_markdown(view: MeetingView) -> str:
    """The meeting's page in the Prefect UI: each directive links to its run."""
    lines = [
        f"# {literal(view.code)} — {literal(view.title)}",
        "",
        f"Ngày họp {view.held_on:%d/%m/%Y}"
        + (f", chủ trì: {literal(view.chair)}" if view.chair else ""),
        "",
        "| Nhiệm vụ | Đơn vị chủ trì | Hạn | Còn mở | Quá hạn | Lượt theo dõi |",
        "|---|---|---|---:|---:|---|",
    ]
    for d in view.directives:
        # The link's text is fixed: the UI shows escapes inside a link's text as typed.
        run = f"[{OPEN_RUN}](/runs/flow-run/{d.flow_run_id})" if d.flow_run_id else "chưa có"
        overdue = f"**{d.overdue_parts}**" if d.overdue_parts else "0"
        lines.append(
            f"| {literal(d.code)} · {literal(d.title)} | {literal(d.lead)} "
            f"| {d.due_on:%d/%m/%Y} | {d.open_parts} | {overdue} | {run} |"
        )
    return "\n".join(lines)


def meeting_artifact_key(meeting_code: str) -> str:
    return "cuoc-hop-" + re.sub(r"[^a-z0-9]+", "-", meeting_code.lower()).strip("-")
