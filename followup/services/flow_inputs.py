"""Coordinator inputs that reach a directive through its Prefect run, applied exactly once.

A run suspends under the key `v{version}-i{consumed}`: the directive's version (its latest
audit sequence number) and how many inputs it has consumed. Every input is recorded under
its key with a unique constraint, in the same transaction as its effect, so a rerun of the
flow, a crash or a second worker can never apply it twice; an input given against a version
the directive has since left is recorded as stale and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from followup.db.models import FlowInput
from followup.domain.errors import FollowupError, ValidationError
from followup.services import actions, extensions
from followup.services.actions import ConsumedInput
from followup.services.context import ServiceContext
from followup.services.loading import AssignmentRef, directive_version, get_directive

_KEY = re.compile(r"^v(\d+)-i(\d+)$")


@dataclass(frozen=True)
class InputRequest:
    action: str
    unit: str = ""
    percent: int | None = None
    note: str = ""
    actor: str = "Điều phối viên (Prefect UI)"


def pause_key(version: int, consumed: int) -> str:
    return f"v{version}-i{consumed}"


def expected_pause_key(ctx: ServiceContext, directive_id: int) -> str:
    """The key a run of this directive suspends under right now."""
    with ctx.session_factory() as session:
        return pause_key(
            directive_version(session, directive_id), consumed_count(session, directive_id)
        )


def consumed_count(session: Any, directive_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(FlowInput)
            .where(FlowInput.directive_id == directive_id)
        ).scalar_one()
    )


def consumed_keys(ctx: ServiceContext, directive_code: str) -> set[str]:
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        return set(
            session.execute(
                select(FlowInput.pause_key).where(FlowInput.directive_id == directive.id)
            ).scalars()
        )


def _call(
    ctx: ServiceContext, request: InputRequest, ref: AssignmentRef, consumed: ConsumedInput
) -> None:
    if request.action == "progress" and request.percent is None:
        raise ValidationError("Cần nhập phần trăm tiến độ (0–100) cho thao tác 'progress'.")
    calls: dict[str, Callable[[], object]] = {
        "acknowledge": lambda: actions.acknowledge(
            ctx, ref, actor=request.actor, note=request.note, consumed=consumed
        ),
        "progress": lambda: actions.report_progress(
            ctx,
            ref,
            percent=request.percent or 0,
            note=request.note,
            actor=request.actor,
            consumed=consumed,
        ),
        "done": lambda: actions.report_done(
            ctx, ref, note=request.note, actor=request.actor, consumed=consumed
        ),
        "close": lambda: actions.close(
            ctx, ref, actor=request.actor, note=request.note, consumed=consumed
        ),
        "send_back": lambda: actions.send_back(
            ctx, ref, reason=request.note, actor=request.actor, consumed=consumed
        ),
        "approve_extension": lambda: extensions.decide_extension(
            ctx, ref, approve=True, note=request.note, actor=request.actor, consumed=consumed
        ),
        "refuse_extension": lambda: extensions.decide_extension(
            ctx, ref, approve=False, note=request.note, actor=request.actor, consumed=consumed
        ),
        "cancel": lambda: actions.cancel(
            ctx, ref, reason=request.note, actor=request.actor, consumed=consumed
        ),
    }
    calls[request.action]()


def apply_input(ctx: ServiceContext, directive_code: str, key: str, request: InputRequest) -> str:
    """Carry out one input; returns its outcome: applied, stale, refused, wake or duplicate."""
    match = _KEY.match(key)
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        directive_id = directive.id
        already = session.execute(
            select(FlowInput.outcome).where(
                FlowInput.directive_id == directive_id, FlowInput.pause_key == key
            )
        ).scalar_one_or_none()
        current = directive_version(session, directive_id)
    if already is not None:
        return "duplicate"
    if request.action == "wake":
        return _record(ctx, directive_id, key, request, "wake", "", audit=False)
    if match is None or int(match.group(1)) != current:
        detail = (
            f"Thao tác '{request.action}' cho đơn vị '{request.unit}' bị bỏ qua: nhiệm vụ đã "
            f"thay đổi (phiên bản {match.group(1) if match else '?'} → {current})."
        )
        return _record(ctx, directive_id, key, request, "stale", detail, audit=True)
    try:
        _call(
            ctx,
            request,
            AssignmentRef(directive_code, request.unit),
            ConsumedInput(pause_key=key, action=request.action, directive_id=directive_id),
        )
    except IntegrityError:
        return "duplicate"  # another run of the flow applied it a moment ago
    except FollowupError as exc:
        return _record(ctx, directive_id, key, request, "refused", str(exc), audit=True)
    return "applied"


def _record(
    ctx: ServiceContext,
    directive_id: int,
    key: str,
    request: InputRequest,
    outcome: str,
    detail: str,
    *,
    audit: bool,
) -> str:
    try:
        with ctx.uow() as uow:
            uow.session.add(
                FlowInput(
                    directive_id=directive_id,
                    pause_key=key,
                    action=request.action,
                    outcome=outcome,
                    detail=detail,
                    consumed_at=ctx.clock.now(),
                )
            )
            if audit:
                uow.record(
                    f"directive.input_{outcome}",
                    actor=request.actor,
                    directive_id=directive_id,
                    details={
                        "key": key,
                        "action": request.action,
                        "unit": request.unit,
                        "reason": detail,
                    },
                )
            uow.commit()
    except IntegrityError:
        return "duplicate"
    return outcome
