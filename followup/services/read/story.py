"""A directive's story as a person reads it: one line per audit event, in labels.

The audit trail stores raw values (states, roles, dotted action names) so that it can be
checked and queried; everything shown from it goes through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select

from followup.db.models import AuditEvent, Unit
from followup.domain.clock import LOCAL_TZ
from followup.domain.escalation import StepKind
from followup.domain.policy import Role
from followup.domain.states import AssignmentState
from followup.domain.vocabulary import (
    AccountRole,
    AuditAction,
    CommandName,
    LinkRefusal,
    NoticeKind,
    label,
)
from followup.services.context import ServiceContext
from followup.services.queries import get_directive

#: How detail keys read; keys not listed are shown as they are stored.
_KEYS_VI = {
    "note": "ghi chú",
    "reason": "lý do",
    "percent": "tiến độ",
    "due_on": "hạn",
    "requested_due_on": "hạn đề nghị",
    "original_due_on": "hạn ban đầu",
    "completed_on": "hoàn thành ngày",
    "on_time": "đúng hạn",
    "level": "cấp",
    "role": "gửi",
    "recipient": "e-mail",
    "acting_for": "thay",
    "from_unit": "từ đơn vị",
    "to_unit": "sang đơn vị",
    "title": "tên",
    "held_on": "ngày họp",
    "lead": "chủ trì",
    "support": "phối hợp",
    "deadline": "thời hạn",
    "action": "thao tác",
    "acting": "người làm thay",
    "officer": "cán bộ phụ trách",
    "evidence": "minh chứng",
    "step": "việc chậm",
    "about": "đến hạn ngày",
    "notice": "thông báo số",
    "kind": "loại",
    "attempts": "số lần thử",
    "error": "lỗi",
    "name": "tên",
    "code": "mã",
    "parent": "đơn vị cấp trên",
    "contacts": "người liên hệ",
    "meeting": "cuộc họp",
    "directives": "nhiệm vụ",
    "new_due_on": "hạn mới",
    "link_action": "thao tác",
    "acting_email": "e-mail người làm thay",
    "officer_email": "e-mail cán bộ",
    "approved": "đồng ý",
    "decision_note": "ghi chú quyết định",
    "previous_due_on": "hạn trước",
    "login": "tên đăng nhập",
    "email": "e-mail",
    "occurrence": "kỳ",
    "recurs_from": "lặp từ nhiệm vụ",
    "account_role": "vai trò",
}
#: Keys that say nothing new on a line that already names the directive and unit.
_HIDDEN = {"directive", "unit", "from", "to", "key", "path", "client", "link_subject", "detail"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VALUE_ENUMS: dict[str, type[Enum]] = {
    "role": Role,
    "reason": LinkRefusal,
    "action": CommandName,
    "link_action": CommandName,
    "kind": NoticeKind,
    "account_role": AccountRole,
}


def action_label(action: str) -> str:
    try:
        return label(AuditAction(action))
    except ValueError:  # an action recorded by a newer version: show it as stored
        return action


#: Keys whose values are unit codes: shown as the units' names when they are known.
_UNIT_KEYS = {"lead", "support", "from_unit", "to_unit"}
#: What an escalation is about, as what is late (the step's own label, "hoàn thành đúng hạn",
#: would read as done on time).
_STALLED = {
    StepKind.ACKNOWLEDGEMENT: "chậm xác nhận tiếp nhận",
    StepKind.PROGRESS: "chậm báo cáo tiến độ",
    StepKind.DEADLINE: "quá hạn hoàn thành",
}
#: A unit's part in a directive (the assignment event's `role`).
_PARTS = {"lead": "chủ trì", "support": "phối hợp"}


def _value(key: str, value: object, names: dict[str, str] | None = None) -> str:
    if key in _UNIT_KEYS and names:
        if isinstance(value, str):
            return names.get(value, value)
        if isinstance(value, list):
            return ", ".join(names.get(str(v), str(v)) for v in value) or "-"
    if key == "role" and isinstance(value, str) and value in _PARTS:
        return _PARTS[value]
    enum = _VALUE_ENUMS.get(key)
    if enum is not None and isinstance(value, str):
        try:
            return label(enum(value))
        except ValueError:
            pass
    if key == "step" and isinstance(value, str):
        kind = value.split(":", 1)[0]
        try:
            return _STALLED[StepKind(kind)]
        except ValueError:
            return value
    if isinstance(value, bool):
        return "có" if value else "không"
    if key == "percent" and isinstance(value, int):
        return f"{value}%"
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value) or "-"
    if isinstance(value, dict):  # a contact: who they are to the unit, and their name or address
        who = value.get("name") or value.get("email") or ""
        role = value.get("role")
        return f"{_value('role', role) if isinstance(role, str) else ''} {who}".strip() or "-"
    return str(value)


def _joined_deadline(details: dict[str, object]) -> dict[str, object]:
    """A new directive's deadline as given ("10 ngày làm việc") beside the day it came to,
    on one item: "hạn: 23/03/2021 (10 ngày làm việc)", not "hạn: … · thời hạn: …"."""
    due, given = details.get("due_on"), details.get("deadline")
    if not isinstance(due, str) or not isinstance(given, str) or not _ISO_DATE.match(due):
        return details
    day = date.fromisoformat(due).strftime("%d/%m/%Y")
    shown = day if given.strip() in (due, day, "") else f"{day} ({given.strip()})"
    return {k: v for k, v in details.items() if k != "deadline"} | {"due_on": shown}


def describe(
    action: str,
    details: dict[str, object],
    names: dict[str, str] | None = None,
    *,
    with_label: bool = True,
) -> str:
    """One event: what happened, the state it moved (if it moved one) and its details (unit
    codes shown as names, where `names` knows them). Without its label where a column
    already shows it."""
    parts = [action_label(action)] if with_label else []
    moved_from, moved_to = details.get("from"), details.get("to")
    if isinstance(moved_from, str) and isinstance(moved_to, str) and moved_from != moved_to:
        try:
            before, after = AssignmentState(moved_from), AssignmentState(moved_to)
            parts.append(f"{label(before)} → {label(after)}")
        except ValueError:
            pass
    for key, value in _joined_deadline(details).items():
        if key in _HIDDEN or value in (None, "", [], {}):
            continue
        shown = "vai trò" if key == "role" and value in _PARTS else _KEYS_VI.get(key, key)
        parts.append(f"{shown}: {_value(key, value, names)}")
    return " · ".join(parts)


#: What a coordinator must look at: an attempt that changed nothing, a notice never delivered.
WARNINGS = frozenset(
    {
        AuditAction.DIRECTIVE_INPUT_REFUSED.value,
        AuditAction.DIRECTIVE_INPUT_STALE.value,
        AuditAction.LINK_REFUSED.value,
        AuditAction.NOTICE_GIVEN_UP.value,
    }
)
#: The coordinator's own attempts that the rules refused (the status artifact leads with them).
REFUSED_INPUTS = frozenset(
    {AuditAction.DIRECTIVE_INPUT_REFUSED.value, AuditAction.DIRECTIVE_INPUT_STALE.value}
)


@dataclass(frozen=True)
class StoryLine:
    seq: int
    action: str
    text: str
    #: The reason of a refused attempt ("" for anything else).
    reason: str = ""
    unit: str = ""
    unit_name: str = ""
    occurred_at: str = ""
    #: The meeting an event of no directive belongs to ("" if none).
    meeting: str = ""
    #: Who did it, as the audit names them.
    actor: str = ""

    @property
    def warning(self) -> bool:
        return self.action in WARNINGS

    @property
    def refused_input(self) -> bool:
        return self.action in REFUSED_INPUTS


def story_since(
    ctx: ServiceContext, directive_code: str, after_seq: int, upto: int | None = None
) -> list[StoryLine]:
    """The directive's events after `after_seq` (up to `upto`, the version a pass read: what
    lands while it runs is the next pass's to tell, not told twice), one Vietnamese line
    each: when, which unit, what happened, who did it ("16/03/2026 09:12 · Xã Hải Tiến · Đã
    tiếp nhận · … · bởi …")."""
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        query = select(AuditEvent).where(
            AuditEvent.directive_id == directive.id, AuditEvent.seq > after_seq
        )
        if upto is not None:
            query = query.where(AuditEvent.seq <= upto)
        events = list(session.execute(query.order_by(AuditEvent.seq)).scalars())
        names: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
    return [_line(event, names) for event in events]


#: What a person does to a directive (a unit's report, a coordinator's decision, a refusal).
ACTED = frozenset(
    {
        AuditAction.ACKNOWLEDGED,
        AuditAction.PROGRESS_REPORTED,
        AuditAction.REPORTED_DONE,
        AuditAction.CLOSED,
        AuditAction.SENT_BACK,
        AuditAction.CANCELLED,
        AuditAction.REASSIGNED,
        AuditAction.EXTENSION_REQUESTED,
        AuditAction.EXTENSION_APPROVED,
        AuditAction.EXTENSION_REFUSED,
        AuditAction.DIRECTIVE_INPUT_REFUSED,
    }
)


def last_acted(ctx: ServiceContext, directive_code: str) -> StoryLine | None:
    """The latest thing a person did to the directive (who, what, when), if any."""
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        event = session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.directive_id == directive.id,
                AuditEvent.action.in_([a.value for a in ACTED]),
            )
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
        if event is None:
            return None
        names: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
    return _line(event, names)


def office_story_since(ctx: ServiceContext, after_seq: int, limit: int = 1000) -> list[StoryLine]:
    """The events of no directive after `after_seq` (units loaded, meetings opened, officers
    delegated, links refused...), oldest first, at most `limit`."""
    with ctx.session_factory() as session:
        events = list(
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.directive_id.is_(None), AuditEvent.seq > after_seq)
                .order_by(AuditEvent.seq)
                .limit(limit)
            ).scalars()
        )
        names: dict[str, str] = dict(session.execute(select(Unit.code, Unit.name)).all())
    return [_line(event, names) for event in events]


def _line(event: AuditEvent, names: dict[str, str]) -> StoryLine:
    unit = event.details.get("unit")
    meeting = event.details.get("meeting")
    when = _when(event.occurred_at)
    who = f"{names.get(unit, unit)} · " if isinstance(unit, str) and unit else ""
    what = describe(event.action, event.details, names)
    reason = event.details.get("reason") if event.action in REFUSED_INPUTS else ""
    return StoryLine(
        event.seq,
        event.action,
        f"{when} · {who}{what} · bởi {event.actor}",
        reason=str(reason or ""),
        unit=unit if isinstance(unit, str) else "",
        unit_name=str(names.get(unit, "")) if isinstance(unit, str) else "",
        occurred_at=event.occurred_at.isoformat(),
        meeting=meeting if isinstance(meeting, str) else "",
        actor=event.actor,
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
