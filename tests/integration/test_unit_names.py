"""Units are found by their code or by their name as people type it:
whole or in part, with or without diacritics; a name that fits several lists them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from followup.db.models import Assignment, AuditEvent, Directive, Unit
from followup.domain.errors import FollowupError
from followup.domain.text import fold
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.queries import get_unit
from followup.services.refs import AssignmentRef
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, OpenMeeting


def test_fold_drops_marks_and_case() -> None:
    assert fold("UBND xã Hải Đông") == "ubnd xa hai dong"
    assert fold("  Hải   Tiến ") == fold("hai tien") == "hai tien"
    assert fold("Phòng Nông nghiệp và Phát triển nông thôn") == (
        "phong nong nghiep va phat trien nong thon"
    )
    assert fold("xa-hai-tien") == "xa hai tien"


@pytest.mark.parametrize(
    "typed",
    ["xa-hai-tien", "UBND xã Hải Tiến", "ubnd xa hai tien", "hai tien", "Hai Tien", "Hải Tiến"],
)
@pytest.mark.postgres_matters("sql")
def test_a_unit_is_found_by_code_or_name(loaded: ServiceContext, typed: str) -> None:
    with loaded.session_factory() as session:
        assert get_unit(session, typed).code == "xa-hai-tien"


def test_an_ambiguous_or_unknown_name_says_so(loaded: ServiceContext) -> None:
    with loaded.session_factory() as session, pytest.raises(FollowupError) as many:
        get_unit(session, "hai")
    assert "UBND xã Hải Tiến (xa-hai-tien)" in str(many.value)
    assert "UBND xã Hải Xuân (xa-hai-xuan)" in str(many.value)
    with loaded.session_factory() as session, pytest.raises(FollowupError, match="Không có"):
        get_unit(session, "hai tie")  # a part of a word is not a name


def test_an_action_names_the_unit_by_name(loaded: ServiceContext) -> None:
    execute(loaded, Acknowledge(target=AssignmentRef("T-01", "hai tien"), actor="x"))
    with loaded.session_factory() as session:
        state = session.execute(
            select(Assignment.state)
            .join(Directive, Assignment.directive_id == Directive.id)
            .join(Unit, Assignment.unit_id == Unit.id)
            .where(Directive.code == "T-01", Unit.code == "xa-hai-tien")
        ).scalar_one()
    assert state == "acknowledged"


def test_a_meeting_names_units_by_name_and_the_audit_keeps_codes(loaded: ServiceContext) -> None:
    meeting = MeetingFile(
        meeting=MeetingInput(code="M-NAMES", title="Họp", held_on="09/03/2021"),
        directives=[
            DirectiveInput(
                code="N-01",
                title="Việc",
                text="Làm",
                lead="Hai Xuan",
                support=["phòng nông nghiệp"],
                deadline="30 ngày làm việc",
            )
        ],
    )
    execute(loaded, OpenMeeting(meeting=meeting, actor="x"))
    with loaded.session_factory() as session:
        details = session.execute(
            select(AuditEvent.details)
            .where(AuditEvent.action == "directive.created")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar_one()
    assert (details["lead"], details["support"]) == ("xa-hai-xuan", ["phong-nn"])
    same_twice = meeting.model_copy(
        update={
            "meeting": MeetingInput(code="M-TWICE", title="Họp", held_on="09/03/2021"),
            "directives": [
                meeting.directives[0].model_copy(
                    update={"code": "N-02", "support": ["xa-hai-xuan"]}
                )
            ],
        }
    )
    with pytest.raises(FollowupError, match="vừa chủ trì vừa phối hợp"):
        execute(loaded, OpenMeeting(meeting=same_twice, actor="x"))
