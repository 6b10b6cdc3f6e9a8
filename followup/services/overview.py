"""The city-wide picture a coordinator opens each morning: the four-way count by unit with
totals, the overdue list (days late, ladder level) and the notices never delivered. The
escalation sweep publishes it to the Prefect UI as Markdown after every pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from followup.db.models import Assignment, Directive, Unit
from followup.domain.states import TERMINAL_STATE_VALUES
from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.services.context import ServiceContext
from followup.services.markdown import literal
from followup.services.reports import UnitStatus, status_by_unit
from followup.services.undelivered import undelivered_count


@dataclass(frozen=True)
class OverdueRow:
    directive_code: str
    title: str
    unit_name: str
    due_on: date
    days_late: int
    escalation_level: int


@dataclass(frozen=True)
class Overview:
    as_of: date
    units: list[UnitStatus]
    overdue: list[OverdueRow]
    undelivered: int

    def totals(self) -> dict[FourWay, int]:
        return {kind: sum(u.counts[kind] for u in self.units) for kind in FourWay}


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
        OverdueRow(code, title, unit, due, (today - due).days, level or 0)
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
