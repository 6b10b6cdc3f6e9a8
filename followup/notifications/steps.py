"""Which lifecycle step each notice belongs to: a directive run's step task sends its own."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_

from followup.db.models import Notice
from followup.domain.escalation import StepKind
from followup.domain.lifecycle import LifecycleStep
from followup.domain.vocabulary import NoticeKind

S = LifecycleStep
_STEP_OF_KIND: dict[NoticeKind, LifecycleStep] = {
    NoticeKind.ASSIGNMENT: S.ASSIGNMENT,
    NoticeKind.REASSIGNED_AWAY: S.ASSIGNMENT,
    NoticeKind.ACK_RECEIPT: S.ACKNOWLEDGEMENT,
    NoticeKind.REMINDER: S.PROGRESS,
    NoticeKind.PROGRESS_REQUEST: S.PROGRESS,
    NoticeKind.EXTENSION_DECIDED: S.PROGRESS,
    NoticeKind.CLOSURE: S.CLOSURE,
    NoticeKind.SEND_BACK: S.CLOSURE,
}
#: An escalation's dedupe key names its stalled step: `a<id>:escalation:escalation:<kind>:…`;
#: a stalled acknowledgement is the acknowledgement step's, any other the progress step's.
_ACK_ESCALATION = f"%:escalation:{StepKind.ACKNOWLEDGEMENT.value}:%"


#: Notices of the office, about no one directive's step (sent by the outbox deployment).
OFFICE_KINDS = frozenset({NoticeKind.DIGEST, NoticeKind.ESCALATIONS})


def step_of(kind: NoticeKind, dedupe_key: str) -> LifecycleStep | None:
    """The lifecycle step a notice belongs to (None: an office notice, no step's)."""
    if kind in OFFICE_KINDS:
        return None
    if kind is NoticeKind.ESCALATION:
        ack = f":escalation:{StepKind.ACKNOWLEDGEMENT.value}:" in dedupe_key
        return S.ACKNOWLEDGEMENT if ack else S.PROGRESS
    return _STEP_OF_KIND[kind]


def of_step(step: LifecycleStep) -> ColumnElement[bool]:
    """The notices of one step, as a condition on the outbox (the same rule as `step_of`)."""
    kinds = [kind.value for kind, owner in _STEP_OF_KIND.items() if owner is step]
    escalation = Notice.kind == NoticeKind.ESCALATION.value
    acknowledging = Notice.dedupe_key.like(_ACK_ESCALATION)
    if step is S.ACKNOWLEDGEMENT:
        return or_(Notice.kind.in_(kinds), and_(escalation, acknowledging))
    if step is S.PROGRESS:
        return or_(Notice.kind.in_(kinds), and_(escalation, not_(acknowledging)))
    return Notice.kind.in_(kinds)
