"""One change to one assignment, as every handler makes it: lock, move, record, commit.

Each change is one transaction: the state change, its audit event, its notices and the
receipt of what carried it in (a link's nonce, a flow run's input) are written together, or
nothing is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from followup.db.inserts import insert_once
from followup.db.models import (
    Assignment,
    EvidenceContent,
    ExtensionRequest,
    FlowInput,
    ProgressReport,
)
from followup.db.session import UnitOfWork
from followup.domain.clock import local_date
from followup.domain.errors import StaleInputError, ValidationError
from followup.domain.policy import Role
from followup.domain.states import AssignmentState
from followup.domain.text import nfc
from followup.domain.vocabulary import AuditAction, NoticeKind
from followup.services.context import ServiceContext
from followup.services.notices import notify
from followup.services.queries import changed_since, directive_version, lock_assignment
from followup.services.refs import AssignmentRef, EvidenceFile
from followup.services.tracking import move, reschedule
from followup.services.write.results import AssignmentView, Receipt

MAX_NOTE = 4000


def view_of(session: Session, a: Assignment) -> AssignmentView:
    """The detached summary of an assignment just committed (its version read after the
    commit numbered it)."""
    version = directive_version(session, a.directive_id)
    return AssignmentView(
        id=a.id,
        directive_id=a.directive_id,
        directive_code=a.directive.code,
        unit_code=a.unit.code,
        state=AssignmentState(a.state),
        due_on=a.due_on,
        last_percent=a.last_percent,
        directive_version=version,
    )


def clean_text(value: str | None, *, field: str, required: bool = False) -> str:
    """Free text as we keep it: NFC, one kind of line break, no control characters other
    than line breaks and tabs, trimmed, at most MAX_NOTE characters."""
    text = nfc(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()
    if required and not text:
        raise ValidationError(f"Cần nhập {field}.")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"{field.capitalize()} dài quá {MAX_NOTE} ký tự ({len(text)}).")
    return text


def check_percent(percent: int | None) -> int:
    if percent is None:
        raise ValidationError("Cần nhập phần trăm tiến độ (0–100).")
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError(
            f"Phần trăm tiến độ phải là số nguyên từ 0 đến 100, nhận '{percent}'."
        )
    return percent


@dataclass(frozen=True)
class ConsumedInput:
    """A flow run's resume input this action carries out: recorded in the same transaction,
    under a unique (directive, pause key), so it can never be applied twice."""

    pause_key: str
    action: str
    directive_id: int
    #: The directive version the answer was given against: checked here, in the action's
    #: own transaction with the assignment locked, so no change lands between check and act.
    based_on: int | None = None

    def write(self, session: Session, assignment_id: int, now: datetime) -> None:
        if self.based_on is not None and changed_since(session, self.directive_id, self.based_on):
            raise StaleInputError("nhiệm vụ đã thay đổi sau khi biểu mẫu được mở")
        session.add(
            FlowInput(
                directive_id=self.directive_id,
                pause_key=self.pause_key,
                action=self.action,
                outcome="applied",
                detail="",
                consumed_at=now,
            )
        )


@dataclass
class Change:
    """One action in progress: the locked assignment, the state it left, the moment."""

    ctx: ServiceContext
    uow: UnitOfWork
    a: Assignment
    previous: str
    now: datetime
    #: What the action returns, set once committed.
    view: AssignmentView | None = None

    def audit(self, action: AuditAction, *, actor: str, **details: object) -> None:
        a = self.a
        self.uow.record(
            action,
            actor=actor,
            directive_id=a.directive_id,
            assignment_id=a.id,
            details={
                "directive": a.directive.code,
                "unit": a.unit.code,
                "from": self.previous,
                "to": a.state,
                **details,
            },
        )

    def notify(self, kind: NoticeKind, *, occasion: str, extra: dict[str, Any]) -> None:
        notify(self.ctx, self.uow, self.a, kind, role=Role.OFFICER, occasion=occasion, extra=extra)

    def lapse_extension_requests(self) -> None:
        """The work ended (closed or cancelled): a request still pending can no longer be
        decided, or approving it later would rewrite whether the work was on time."""
        self.uow.session.execute(
            update(ExtensionRequest)
            .where(
                ExtensionRequest.assignment_id == self.a.id,
                ExtensionRequest.status == "pending",
            )
            .values(
                status="lapsed",
                decided_at=self.now,
                decided_by="followup",
                decision_note=f"assignment {self.a.state}",
            )
        )

    def returned(self) -> AssignmentView:
        """What the handler returns, once the block has committed."""
        if self.view is None:  # only reachable if the block swallowed its own exception
            raise RuntimeError("the action did not commit")
        return self.view

    def reschedule(self) -> None:
        reschedule(self.ctx, self.a, local_date(self.now))

    def report(
        self,
        kind: str,
        percent: int,
        note: str,
        actor: str,
        evidence: EvidenceFile | None = None,
    ) -> None:
        self.uow.session.add(
            ProgressReport(
                assignment_id=self.a.id,
                kind=kind,
                percent=percent,
                note=note,
                actor=actor,
                reported_at=self.now,
                evidence_sha256=evidence.sha256 if evidence else None,
                evidence_name=evidence.name if evidence else None,
                evidence_type=evidence.content_type if evidence else None,
                evidence_size=evidence.size if evidence else None,
            )
        )
        if evidence is not None:
            self._keep(evidence)

    def _keep(self, evidence: EvidenceFile) -> None:
        """The file's bytes, once per content, committed with the report that names them."""
        if not evidence.content:
            raise ValueError("an evidence file reached the report without its content")
        # The same file sent twice at once (two units, one scan) is kept once, not refused.
        insert_once(
            self.uow.session,
            EvidenceContent,
            "sha256",
            [
                {
                    "sha256": evidence.sha256,
                    "content_type": evidence.content_type,
                    "size": evidence.size,
                    "content": evidence.content,
                    "stored_at": self.now,
                }
            ],
        )


@contextmanager
def changing(
    ctx: ServiceContext,
    ref: AssignmentRef | int,
    target: AssignmentState | None,
    receipt: Receipt | None = None,
) -> Iterator[Change]:
    """Lock the assignment, move it to `target` (None: the state stays), let the caller record
    what else changed, then commit it all in one transaction (or nothing, if anything raised)."""
    with ctx.uow() as uow:
        a = lock_assignment(uow.session, ref)
        now = ctx.clock.now()
        if receipt is not None:
            receipt.write(uow.session, a.id, now)
        previous = move(a, target) if target is not None else a.state
        change = Change(ctx, uow, a, previous, now)
        yield change
        uow.commit()
        change.view = view_of(uow.session, a)  # before the session closes
