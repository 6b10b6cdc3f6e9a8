"""Inputs that reach a directive through its run (a coordinator's form, a wake), each
applied exactly once.

An input arrives under a key unique within its directive, given against a version of the
directive (its latest audit sequence number). It is recorded under that key with a unique
constraint, in the same transaction as its effect, so a rerun, a crash or a second worker can
never apply it twice; an input given against a version the directive has since left is
recorded as stale and ignored. How keys are made is the orchestrator's business (see
`followup.orchestration.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from followup.db.models import FlowInput
from followup.domain.errors import FollowupError, StaleInputError
from followup.domain.vocabulary import AuditAction, InputOutcome, label
from followup.services.context import ServiceContext
from followup.services.queries import (
    changed_since,
    consumed_count,
    directive_version,
    get_directive,
)
from followup.services.refs import AssignmentRef
from followup.services.write.bus import execute
from followup.services.write.change import ConsumedInput
from followup.services.write.commands import AssignmentCommand


def position(ctx: ServiceContext, directive_id: int) -> tuple[int, int]:
    """Where a directive's story stands: (its version, how many inputs it has consumed)."""
    with ctx.session_factory() as session:
        return directive_version(session, directive_id), consumed_count(session, directive_id)


def consumed_keys(ctx: ServiceContext, directive_code: str) -> set[str]:
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        return set(
            session.execute(
                select(FlowInput.pause_key).where(FlowInput.directive_id == directive.id)
            ).scalars()
        )


@dataclass(frozen=True)
class RunInput:
    """One input as it reached the run: its key, the version it was given against (None if
    its key says nothing of it), and the command it carries (None: only a wake)."""

    key: str
    based_on: int | None
    command: AssignmentCommand | None

    @property
    def action(self) -> str:
        return self.command.name.value if self.command else "wake"

    @property
    def unit(self) -> str:
        target = self.command.target if self.command else None
        return target.unit_code if isinstance(target, AssignmentRef) else ""


def apply_input(ctx: ServiceContext, directive_code: str, item: RunInput) -> InputOutcome:
    """Carry out one input once; returns what became of it."""
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        directive_id = directive.id
        already = session.execute(
            select(FlowInput.outcome).where(
                FlowInput.directive_id == directive_id, FlowInput.pause_key == item.key
            )
        ).scalar_one_or_none()
        stale = item.based_on is None or changed_since(session, directive_id, item.based_on)
    if already is not None:
        return InputOutcome.DUPLICATE
    if item.command is None:
        return _record(ctx, directive_id, item, InputOutcome.WAKE, "")
    stale_detail = (
        f"Thao tác '{label(item.command.name)}' cho đơn vị '{item.unit}' bị bỏ qua: "
        "nhiệm vụ đã thay đổi sau khi biểu mẫu được mở; hãy xem lại tình trạng rồi gửi lại."
    )
    if stale:
        return _record(ctx, directive_id, item, InputOutcome.STALE, stale_detail)
    receipt = ConsumedInput(
        pause_key=item.key,
        action=item.action,
        directive_id=directive_id,
        based_on=item.based_on,
    )
    try:
        # The run itself reconciles next: no need to wake it.
        execute(ctx, item.command, receipt=receipt, wake=False)
    except IntegrityError:
        return InputOutcome.DUPLICATE  # another run of the flow applied it a moment ago
    except StaleInputError:  # a change landed after the first look: checked again, locked
        return _record(ctx, directive_id, item, InputOutcome.STALE, stale_detail)
    except FollowupError as exc:
        return _record(ctx, directive_id, item, InputOutcome.REFUSED, str(exc))
    return InputOutcome.APPLIED


#: The inputs that changed nothing but are kept on the record (a wake is not).
_AUDITED = {
    InputOutcome.STALE: AuditAction.DIRECTIVE_INPUT_STALE,
    InputOutcome.REFUSED: AuditAction.DIRECTIVE_INPUT_REFUSED,
}


def _record(
    ctx: ServiceContext, directive_id: int, item: RunInput, outcome: InputOutcome, detail: str
) -> InputOutcome:
    """Consume an input that changed nothing (a wake, a stale or refused command); the stale
    and refused ones are audited, so the coordinator's attempt is on the record."""
    try:
        with ctx.uow() as uow:
            uow.session.add(
                FlowInput(
                    directive_id=directive_id,
                    pause_key=item.key,
                    action=item.action,
                    outcome=outcome.value,
                    detail=detail,
                    consumed_at=ctx.clock.now(),
                )
            )
            audited = _AUDITED.get(outcome)
            if audited is not None and item.command is not None:
                uow.record(
                    audited,
                    actor=item.command.actor,
                    directive_id=directive_id,
                    details={
                        "key": item.key,
                        "action": item.action,
                        "unit": item.unit,
                        "reason": detail,
                    },
                )
            uow.commit()
    except IntegrityError:
        return InputOutcome.DUPLICATE
    return outcome


def input_detail(ctx: ServiceContext, directive_code: str, key: str) -> str:
    """Why an input changed nothing (its refusal or staleness sentence; "" otherwise)."""
    with ctx.session_factory() as session:
        directive = get_directive(session, directive_code)
        detail = session.execute(
            select(FlowInput.detail).where(
                FlowInput.directive_id == directive.id, FlowInput.pause_key == key
            )
        ).scalar_one_or_none()
    return detail or ""
