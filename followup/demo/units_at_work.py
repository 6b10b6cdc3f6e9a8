"""What the units of the demo do, day by day: most acknowledge from their e-mail on day 1,
report progress every week, finish on time, late or never; one is sent back; Vạn Ninh never
answers (and climbs the whole escalation ladder)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from followup.db.models import Assignment, Directive, Notice, Unit
from followup.domain.errors import FollowupError
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import (
    AssignmentCommand,
    Close,
    ReportDone,
    ReportProgress,
    SendBack,
)

START = date(2021, 3, 9)
SILENT_UNIT = "xa-van-ninh"
COORDINATOR = "Văn phòng HĐND và UBND thành phố"


@dataclass(frozen=True)
class Track:
    assignment_id: int
    directive_code: str
    unit_code: str
    due_on: date
    fate: str  # on_time | late | sent_back | overdue | silent


def _fate(index: int, unit_code: str) -> str:
    if unit_code == SILENT_UNIT:
        return "silent"
    if index == 1:
        return "late"
    if index == 2:
        return "sent_back"
    if index % 4 == 3:
        return "overdue"
    return "on_time"


def tracks(ctx: ServiceContext) -> list[Track]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(Assignment.id, Directive.code, Unit.code, Assignment.due_on)
            .join(Directive, Directive.id == Assignment.directive_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .order_by(Directive.code, Assignment.id)
        ).all()
    codes = sorted({r[1] for r in rows})
    return [
        Track(aid, code, unit, due, _fate(codes.index(code), unit)) for aid, code, unit, due in rows
    ]


# Long (79 lines) on purpose: one unit's month, read top to bottom like the script it is.
def actions_for(
    track: Track, day: date, ctx: ServiceContext
) -> list[tuple[str, Callable[[], object]]]:
    """What the unit and the coordinator do about one assignment on one day."""
    cal = ctx.calendar
    if track.fate == "silent" or not cal.is_working_day(day):
        return []
    ref = track.assignment_id
    unit_actor = f"cán bộ {track.unit_code}"
    todo: list[tuple[str, Callable[[], object]]] = []

    def run(kind: type[AssignmentCommand], **fields: Any) -> object:
        return execute(ctx, kind(target=ref, **fields))

    first_day = cal.add_working_days(START, 1)
    if day == first_day:
        # The officer opens the assignment e-mail and presses the button on the page.
        todo.append(("tiếp nhận qua liên kết e-mail", lambda: acknowledge_from_email(ctx, ref)))
    elapsed = cal.working_days_between(first_day, day)
    # Units whose work will overrun also fall silent on progress: they get requests, then
    # escalations for the missing reports.
    if elapsed > 0 and elapsed % 5 == 0 and day < track.due_on and track.fate != "overdue":
        percent = min(90, 20 * elapsed // 5 + 10)
        todo.append(
            (
                f"báo cáo tiến độ {percent}%",
                lambda: run(
                    ReportProgress,
                    percent=percent,
                    note=f"Đã thực hiện khoảng {percent}% khối lượng.",
                    actor=unit_actor,
                ),
            )
        )
    if track.fate == "overdue":
        return todo
    done_on = (
        cal.add_working_days(track.due_on, 2)
        if track.fate == "late"
        else cal.add_working_days(track.due_on, -2 if track.fate == "on_time" else -4)
    )
    done_on = max(done_on, cal.add_working_days(first_day, 1))
    if day == done_on:
        todo.append(
            (
                "báo cáo hoàn thành",
                lambda: run(
                    ReportDone,
                    note="Đơn vị đã hoàn thành nhiệm vụ, có biên bản kèm theo.",
                    actor=unit_actor,
                ),
            )
        )
    if track.fate == "sent_back":
        if day == cal.add_working_days(done_on, 1):
            todo.append(
                (
                    "bị trả lại",
                    lambda: run(
                        SendBack,
                        reason="Thiếu biên bản nghiệm thu; đề nghị bổ sung.",
                        actor=COORDINATOR,
                    ),
                )
            )
        elif day == cal.add_working_days(done_on, 2):
            todo.append(
                (
                    "báo cáo hoàn thành lần 2",
                    lambda: run(
                        ReportDone, note="Đã bổ sung biên bản nghiệm thu.", actor=unit_actor
                    ),
                )
            )
        elif day == cal.add_working_days(done_on, 3):
            todo.append(("kết thúc", lambda: run(Close, actor=COORDINATOR)))
    elif day == cal.add_working_days(done_on, 1):
        todo.append(("kết thúc", lambda: run(Close, actor=COORDINATOR)))
    return todo


def acknowledge_from_email(ctx: ServiceContext, assignment_id: int) -> None:
    """What an officer does: open the newest e-mail about the assignment, follow its
    acknowledge link, and press the button on the confirmation page."""
    marker = f"/a/{assignment_id}/acknowledge?t="
    with ctx.session_factory() as session:
        body = session.execute(
            select(Notice.body_text)
            .where(Notice.assignment_id == assignment_id, Notice.body_text.contains(marker))
            .order_by(Notice.id.desc())
            .limit(1)
        ).scalar_one()
    found = re.search(r"https?://\S+" + re.escape(marker) + r"\S+", body)
    if found is None:  # pragma: no cover - the query above found the marker
        raise FollowupError(f"Thư về phân công {assignment_id} không có liên kết tiếp nhận.")
    with httpx.Client(timeout=30) as client:
        page = client.get(found.group(0))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        form = re.search(r'<form method="post" action="([^"]+)"', page.text)
        if page.status_code != 200 or csrf is None or form is None:
            raise FollowupError(f"Trang tiếp nhận trả lời {page.status_code}: {page.text[:200]}")
        target = ctx.base_url + html.unescape(form.group(1))
        done = client.post(target, data={"csrf": csrf.group(1), "note": ""})
        if done.status_code != 200:
            raise FollowupError(f"Gửi xác nhận tiếp nhận trả lời {done.status_code}.")
