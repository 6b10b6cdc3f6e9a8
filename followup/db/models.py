"""Typed models. Relationships are lazy="raise": every load says what it needs up front."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from followup.db.base import Base, UTCDateTime


class Unit(Base):
    """A commune/ward, a city department, or the city leadership."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # commune | department | leadership
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", lazy="raise")
    contacts: Mapped[list[UnitContact]] = relationship(
        back_populates="unit", lazy="raise", cascade="all, delete-orphan"
    )


class UnitContact(Base):
    """A person a unit's notices go to, by role: officer in charge, head, leader in charge."""

    __tablename__ = "unit_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # officer | head | leader
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320))

    unit: Mapped[Unit] = relationship(back_populates="contacts", lazy="raise")


class Meeting(Base):
    """A working session that ended with directives (buổi làm việc / hội nghị)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    held_on: Mapped[date] = mapped_column(Date)
    chair: Mapped[str] = mapped_column(String(255), default="")
    notice_number: Mapped[str] = mapped_column(String(64), default="")
    source_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Directive(Base):
    """One directive of a meeting, given to one lead unit and any supporting units."""

    __tablename__ = "directives"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(64), default="")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    due_on: Mapped[date] = mapped_column(Date)
    original_due_on: Mapped[date] = mapped_column(Date)
    #: The Prefect flow run that follows this directive (None until one is started).
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(lazy="raise")
    lead_unit: Mapped[Unit] = relationship(lazy="raise")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="directive", lazy="raise")


class Assignment(Base):
    """One directive × one unit: the track that moves through the states of `domain.states`."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("directive_id", "unit_id"),
        CheckConstraint(
            "state IN ('assigned','acknowledged','in_progress','reported_done','sent_back',"
            "'closed','cancelled')",
            name="state_known",
        ),
        CheckConstraint("last_percent BETWEEN 0 AND 100", name="percent_range"),
        # The sweep's query: what needs a look on or before a day. Finished work has NULL.
        Index("ix_assignments_next_check_on", "next_check_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="assigned")
    due_on: Mapped[date] = mapped_column(Date)
    original_due_on: Mapped[date] = mapped_column(Date)
    extension_approved: Mapped[bool] = mapped_column(default=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_percent: Mapped[int | None] = mapped_column(Integer)
    reported_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_on: Mapped[date | None] = mapped_column(Date)
    escalation_step: Mapped[str | None] = mapped_column(String(64))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    reminder_sent_for: Mapped[date | None] = mapped_column(Date)
    progress_requested_for: Mapped[date | None] = mapped_column(Date)
    next_check_on: Mapped[date | None] = mapped_column(Date)

    directive: Mapped[Directive] = relationship(back_populates="assignments", lazy="raise")
    unit: Mapped[Unit] = relationship(lazy="raise")


class ProgressReport(Base):
    """A unit's report: progress (percent + note) or completion."""

    __tablename__ = "progress_reports"
    __table_args__ = (CheckConstraint("percent BETWEEN 0 AND 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # progress | done
    percent: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(255))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: An evidence file sent with the report: its bytes are in `evidence_contents` under
    #: this SHA-256 (see web/evidence.py).
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_type: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None] = mapped_column(Integer)


class EvidenceContent(Base):
    """The bytes of an evidence file, kept once per content (its SHA-256), in the database:
    a backup of the database holds the evidence with the audit trail that vouches for it, and
    every web host serves the same files."""

    __tablename__ = "evidence_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExtensionRequest(Base):
    """A unit asks for a later deadline; a coordinator approves or refuses it. The
    assignment keeps its original deadline for statistics either way."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','refused','lapsed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    current_due_on: Mapped[date] = mapped_column(Date)
    requested_due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(255))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Delegation(Base):
    """A unit's officer in charge is away: an acting officer receives the notices meant for
    the officer between two dates (inclusive), and acts through the links in them."""

    __tablename__ = "delegations"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    acting_name: Mapped[str] = mapped_column(String(255))
    acting_email: Mapped[str] = mapped_column(String(320))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Append-only, hash-chained record of a change. Never updated, never deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_directive", "directive_id", "seq"),
        Index("ix_audit_events_assignment", "assignment_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64), index=True)
    directive_id: Mapped[int | None] = mapped_column(Integer)
    assignment_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RecurringDirective(Base):
    """A directive that repeats (every month, quarter or year): its first occurrence is the
    directive it names; `services.escalation.recurring` opens the next one, as a directive of
    its own, when the period of its deadline begins."""

    __tablename__ = "recurring_directives"

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), unique=True)
    every: Mapped[str] = mapped_column(String(8))  # month | quarter | year
    #: The day of the first deadline: later deadlines fall on it (or the period's last day).
    day: Mapped[int] = mapped_column(Integer)
    until: Mapped[date | None] = mapped_column(Date)
    #: The next occurrence's deadline; None once the repetition has ended.
    next_due: Mapped[date | None] = mapped_column(Date)
    opened: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssignmentVersion(Base):
    """The audit trail's projection: an assignment's facts (`domain.replay.AssignmentFacts`)
    after each event that moved them, valid from that event's number up to (not including) the
    next one's. Written in the event's own transaction; rebuilt and checked from the trail by
    `db.projection`. A period report reads the versions valid at its chain mark."""

    __tablename__ = "assignment_versions"
    __table_args__ = (
        # The current version of an assignment (the writer's lookup).
        Index("ix_assignment_versions_current", "assignment_id", "seq_to"),
        # The versions valid at an event number (the reports' range).
        Index("ix_assignment_versions_valid", "seq_to", "seq_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(Integer)
    seq_from: Mapped[int] = mapped_column(Integer)
    #: The event that superseded it; `db.projection.CURRENT` while none has.
    seq_to: Mapped[int] = mapped_column(Integer)
    directive_id: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String(64))
    assigned_on: Mapped[date] = mapped_column(Date)
    original_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extension_approved: Mapped[bool] = mapped_column(default=False)
    completed_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    last_action: Mapped[str] = mapped_column(String(64))
    last_action_on: Mapped[date | None] = mapped_column(Date)


class AuditHead(Base):
    """The chain's tip: one row, locked by each appender so the chain stays a line."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class FlowInput(Base):
    """Every input a directive's flow run consumed, wakes included, so none is applied twice
    and none is lost (see docs/architecture.md, the reconciler)."""

    __tablename__ = "flow_inputs"
    __table_args__ = (UniqueConstraint("directive_id", "pause_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"))
    pause_key: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # applied | stale | refused | wake
    detail: Mapped[str] = mapped_column(Text, default="")
    consumed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UsedLink(Base):
    """A single-use action link that was used: its nonce may never act again."""

    __tablename__ = "used_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    action: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """An outgoing e-mail, written in the same transaction as the change that caused it."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_pending", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending','sent','failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("directives.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Account(Base):
    """A person who signs in to the coordinators' desk: what the audit names when they act.
    The password is kept only as an Argon2id hash; a disabled account is kept (the audit
    names it) and refused from then on."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(16))  # coordinator | viewer
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="raise")
