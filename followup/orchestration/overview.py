"""The city-wide picture a coordinator opens each morning: the four-way count by unit with
totals, the overdue list (days late, ladder level) and the notices never delivered. The
escalation sweep publishes it to the Prefect UI as Markdown after every pass."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from followup.db.models import Assignment, Directive, Meeting, Unit
from followup.domain.periods import choose_period
from followup.domain.states import TERMINAL_STATE_VALUES
from followup.domain.status import FourWay
from followup.domain.text import shorten
from followup.orchestration.markdown import literal
from followup.services.context import ServiceContext
from followup.services.reporting import reports
from followup.services.reporting.period_model import (
    DIMENSION_TITLES,
    Dimension,
    PeriodOverdue,
    PeriodReport,
)
from followup.services.reporting.period_report import period_report
from followup.services.write.undelivered import undelivered_count


@dataclass(frozen=True)
class Overview:
    """The period report as of a day (every view, the overdue list, the chain's head) and the
    notices never delivered: what `followup status`, `followup report` and the Prefect
    overview artifact all show."""

    report: PeriodReport
    undelivered: int

    @property
    def as_of(self) -> date:
        return self.report.as_of

    @property
    def units(self) -> list[reports.UnitStatus]:
        return self.report.views[Dimension.UNIT]

    @property
    def overdue(self) -> list[PeriodOverdue]:
        return self.report.overdue

    def totals(self) -> dict[FourWay, int]:
        return reports.totals_of(self.units).counts


def city_overview(ctx: ServiceContext, as_of: date | None = None) -> Overview:
    """The overview as of a day (today when None), replayed from the audit trail."""
    report = period_report(ctx, choose_period(today=ctx.today(), end=as_of))
    return Overview(report, undelivered_count(ctx))


def overview_markdown(view: Overview) -> str:
    """The overview in Vietnamese Markdown: labels only, dates dd/mm/yyyy. The views by unit,
    meeting, lead unit and field, then the overdue list, then the chain's head it was read from."""
    report = view.report
    lines = [f"# Tổng hợp thực hiện nhiệm vụ đến ngày {view.as_of:%d/%m/%Y}", ""]
    if view.undelivered:
        lines += [f"**⚠ {view.undelivered} thông báo không gửi được** (xem `followup status`).", ""]
    lines += [LEGEND, ""]
    for dimension in Dimension:
        lines += _four_way_section(dimension, report.views[dimension])
    lines += [f"## Quá hạn ({len(view.overdue)})", ""]
    if not view.overdue:
        lines += ["Không có nhiệm vụ nào quá hạn.", ""]
    else:
        # A list, not a table: a title and a unit's name side by side overflow the page.
        lines += [
            f"- **{literal(row.directive_code)}** · {literal(row.title)} — "
            f"{literal(row.unit_name)}: hạn {deadline_text(row)}, **quá hạn {row.days_late} "
            f"ngày** ({row.working_days_late} ngày làm việc); đôn đốc: "
            f"{reports.ladder_text(row.escalation_level)}"
            for row in view.overdue
        ]
        lines.append("")
    lines.append(chain_text(report))
    return "\n".join(lines)


#: Column headings short enough for a four-way table to fit the UI's artifact page at 1400 px
#: (its cells never wrap); `LEGEND`, above the tables, says them in full.
SHORT = {
    FourWay.DONE_ON_TIME: "Đúng hạn",
    FourWay.DONE_LATE: "Trễ hạn",
    FourWay.OPEN_ON_TIME: "Trong hạn",
    FourWay.OVERDUE: "Quá hạn",
}
LEGEND = (
    "_Đúng hạn_, _trễ hạn_: đã hoàn thành, đúng hạn hoặc sau hạn; _trong hạn_: đang thực "
    "hiện, chưa đến hạn; _quá hạn_: chưa hoàn thành mà đã qua hạn; "
    f"_tỷ lệ_: {reports.RATE.lower()}."
)
#: A row's name is cut to this many characters (a meeting's title can run to a sentence).
NAME_WIDTH = 40


def _four_way_section(dimension: Dimension, rows: list[reports.UnitStatus]) -> list[str]:
    heading, counted = DIMENSION_TITLES[dimension]
    kinds = list(FourWay)
    lines = [
        f"## Theo {heading[0].lower()}{heading[1:]} ({counted})",
        "",
        f"| {heading} | " + " | ".join(SHORT[k] for k in kinds) + " | Tổng | Tỷ lệ |",
        "|---|" + "---:|" * (len(kinds) + 2),
    ]
    for row in [*rows, reports.totals_of(rows)]:
        name = literal(shorten(row.unit_name, NAME_WIDTH))
        cells = [str(row.counts[k]) for k in kinds] + [
            str(row.total),
            reports.rate_text(row.on_time_rate),
        ]
        if not row.unit_code and row.unit_name == reports.TOTAL:
            name, cells = f"**{reports.TOTAL}**", [f"**{c}**" for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def deadline_text(row: PeriodOverdue) -> str:
    """The deadline as people read it: the original, and the extended one when approved."""
    if row.extended_due_on is None:
        return f"{row.original_due_on:%d/%m/%Y}"
    return f"{row.extended_due_on:%d/%m/%Y} (gia hạn từ {row.original_due_on:%d/%m/%Y})"


def chain_text(report: PeriodReport) -> str:
    """Which audit event the figures were computed up to, and the chain's hash there."""
    if report.chain.seq == 0:
        return "_Nhật ký chưa có sự kiện nào._"
    return (
        f"_Tính từ nhật ký đến sự kiện #{report.chain.seq}, mã băm {report.chain.hash} "
        f"(kiểm tra: `followup audit verify --against {report.chain.hash}`)._"
    )


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
    ]
    # A list, not a table: a title and a unit's name side by side overflow the page.
    for d in view.directives:
        # The link's text is fixed: the UI shows escapes inside a link's text as typed.
        run = f"[{OPEN_RUN}](/runs/flow-run/{d.flow_run_id})" if d.flow_run_id else "chưa có lượt"
        overdue = f"**quá hạn {d.overdue_parts}**" if d.overdue_parts else "quá hạn 0"
        lines.append(
            f"- **{literal(d.code)}** · {literal(d.title)} — chủ trì: {literal(d.lead)}; "
            f"hạn {d.due_on:%d/%m/%Y}; còn mở {d.open_parts}, {overdue}; {run}"
        )
    return "\n".join(lines)


def meeting_artifact_key(meeting_code: str) -> str:
    return "cuoc-hop-" + re.sub(r"[^a-z0-9]+", "-", meeting_code.lower()).strip("-")
