"""What the commune pages show, read in one session each and handed back detached: the
assignment a link opens, a unit's open work, and the few facts behind a refusal. Frozen
dataclasses and plain reads, with no knowledge of links' signatures or of HTTP, so other
readers (reports) can share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from followup.db.models import Assignment, Directive, ExtensionRequest, UsedLink
from followup.domain.states import TERMINAL_STATE_VALUES, AssignmentState
from followup.domain.status import FourWay, assignment_status
from followup.links import LinkAction, link_actions
from followup.services.context import ServiceContext
from followup.services.queries import assignment_options, get_unit
from followup.services.reporting.reports import assignment_dates
from followup.services.write.delegations import acting_as
from followup.services.write.extensions import pending_request


@dataclass(frozen=True)
class AssignmentPage:
    """One assignment as its confirmation page shows it."""

    assignment_id: int
    directive_id: int
    directive_code: str
    directive_title: str
    directive_text: str
    meeting_title: str
    meeting_held_on: date
    unit_id: int
    unit_code: str
    unit_name: str
    unit_language: str
    is_lead: bool
    state: AssignmentState
    due_on: date
    original_due_on: date
    percent: int | None
    status: FourWay | None
    extension_requested: date | None


@dataclass(frozen=True)
class LinkOpening:
    """What a single-use link opens, read at once: whether it was used (then nothing else is
    read), its assignment (None if since removed) and who acts through it today (None if
    its recipient no longer acts for the unit)."""

    used: bool
    page: AssignmentPage | None = None
    actor: str | None = None


@dataclass(frozen=True)
class UnitItem:
    """One open assignment on a unit's page, with the actions its viewer may take now, in
    the order the buttons appear."""

    page: AssignmentPage
    actions: tuple[LinkAction, ...]


@dataclass(frozen=True)
class UnitOverview:
    unit_id: int
    unit_code: str
    unit_name: str
    language: str
    items: tuple[UnitItem, ...]


def assignment_page(session: Session, assignment_id: int, today: date) -> AssignmentPage | None:
    a = session.execute(
        select(Assignment).where(Assignment.id == assignment_id).options(*assignment_options())
    ).scalar_one_or_none()
    if a is None:
        return None
    pending = pending_request(session, a.id)
    return _page(a, pending.requested_due_on if pending else None, today)


def _page(a: Assignment, extension_requested: date | None, today: date) -> AssignmentPage:
    """The page of an assignment loaded with `assignment_options()`."""
    return AssignmentPage(
        assignment_id=a.id,
        directive_id=a.directive_id,
        directive_code=a.directive.code,
        directive_title=a.directive.title,
        directive_text=a.directive.text,
        meeting_title=a.directive.meeting.title,
        meeting_held_on=a.directive.meeting.held_on,
        unit_id=a.unit_id,
        unit_code=a.unit.code,
        unit_name=a.unit.name,
        unit_language=a.unit.language,
        is_lead=a.is_lead,
        state=AssignmentState(a.state),
        due_on=a.due_on,
        original_due_on=a.original_due_on,
        percent=a.last_percent,
        status=assignment_status(assignment_dates(a), today),
        extension_requested=extension_requested,
    )


def load_assignment_page(ctx: ServiceContext, assignment_id: int) -> AssignmentPage | None:
    with ctx.session_factory() as session:
        return assignment_page(session, assignment_id, ctx.today())


def link_used(session: Session, nonce: str) -> bool:
    return bool(session.execute(select(exists().where(UsedLink.nonce == nonce))).scalar())


def open_link(
    ctx: ServiceContext, *, nonce: str, assignment_id: int, recipient: str
) -> LinkOpening:
    with ctx.session_factory() as session:
        if link_used(session, nonce):
            return LinkOpening(used=True)
        today = ctx.today()
        page = assignment_page(session, assignment_id, today)
        if page is None:
            return LinkOpening(used=False)
        return LinkOpening(False, page, acting_as(session, page.unit_id, recipient, today))


def refusal_target(ctx: ServiceContext, assignment_id: int) -> tuple[int, int] | None:
    """(directive id, assignment id) of an assignment a refused link named, if it exists."""
    with ctx.session_factory() as session:
        row = session.get(Assignment, assignment_id)
        return None if row is None else (row.directive_id, row.id)


def unit_overview(ctx: ServiceContext, unit_code: str, *, viewer: str, today: date) -> UnitOverview:
    """The unit's open assignments, soonest due first. Actions are offered only to someone
    who acts for the unit today: the city leader, a former contact or an acting officer
    whose range has ended see the list, nothing more. NotFoundError for an unknown unit."""
    with ctx.session_factory() as session:
        unit = get_unit(session, unit_code)
        found = session.execute(
            select(Assignment)
            .join(Directive, Directive.id == Assignment.directive_id)
            .where(Assignment.unit_id == unit.id, Assignment.state.not_in(TERMINAL_STATE_VALUES))
            .options(*assignment_options())
            .order_by(Assignment.due_on, Directive.code)
        ).scalars()
        may_act = acting_as(session, unit.id, viewer, today) is not None
        asked = _pending_extensions(session, unit.id)
        items = tuple(_unit_item(a, asked.get(a.id), today, may_act=may_act) for a in found)
        return UnitOverview(
            unit_id=unit.id,
            unit_code=unit.code,
            unit_name=unit.name,
            language=unit.language,
            items=items,
        )


def _pending_extensions(session: Session, unit_id: int) -> dict[int, date]:
    """The date each of the unit's assignments asks to move to, in one query."""
    rows = session.execute(
        select(ExtensionRequest.assignment_id, ExtensionRequest.requested_due_on)
        .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
        .where(Assignment.unit_id == unit_id, ExtensionRequest.status == "pending")
    )
    return {row.assignment_id: row.requested_due_on for row in rows}


def _unit_item(a: Assignment, pending: date | None, today: date, *, may_act: bool) -> UnitItem:
    page = _page(a, pending, today)
    offered = tuple(
        action
        for action in link_actions(page.state)
        if may_act and not (action is LinkAction.EXTENSION and pending is not None)
    )
    return UnitItem(page, offered)
