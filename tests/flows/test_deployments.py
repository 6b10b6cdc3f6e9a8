"""The deployments `followup serve` offers and the ones prefect.yaml declares are the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from prefect.utilities.importtools import import_object
from pydantic import ValidationError as PydanticValidationError

from followup.config import Settings
from followup.deployments import deployments, prefect_yaml
from followup.orchestration.meeting_form import with_unit_choices
from followup.services.intake.meeting_files import DirectiveInput, MeetingInput

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_is_generated_from_the_definitions() -> None:
    """prefect.yaml is what `python -m followup.deployments` writes, and it names the same
    deployments, entrypoints and schedules `followup serve` serves."""
    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    assert text == prefect_yaml(Settings.model_construct())
    declared = yaml.safe_load(text)
    served = deployments(Settings(schedules_enabled=True, coordinator_unit="ubnd-tp"))
    by_name = {d.name: d for d in served}
    assert {d["name"] for d in declared["deployments"]} == set(by_name)
    for entry in declared["deployments"]:
        # A module path, which a worker with followup installed imports: no checkout needed.
        flow = import_object(entry["entrypoint"])
        assert flow.name == by_name[entry["name"]].flow_name
        schedules = entry.get("schedules", [])
        served_schedules = by_name[entry["name"]].schedules
        assert len(schedules) == len(served_schedules)
        for mine, theirs in zip(schedules, served_schedules, strict=True):
            if "cron" in mine:  # the digest: a time of day, in Vietnam
                assert (mine["cron"], mine["timezone"]) == (
                    theirs.schedule.cron,
                    theirs.schedule.timezone,
                )
            else:
                assert mine["interval"] == theirs.schedule.interval.total_seconds()
    assert by_name["daily-digest"].schedules, "the digest runs on its own"


def test_the_digest_is_not_scheduled_without_a_coordinating_unit() -> None:
    """Without FOLLOWUP_COORDINATOR_UNIT the digest would run each morning and send the
    coordinators nothing: `followup serve` serves it unscheduled (and says so in its log)."""
    by_name = {d.name: d for d in deployments(Settings(schedules_enabled=True))}
    assert not by_name["daily-digest"].schedules
    assert by_name["escalation-sweep"].schedules  # the rest keep theirs


def test_open_meeting_form_has_vietnamese_fields() -> None:
    served = {d.name: d for d in deployments(Settings())}
    schema = served["open-meeting"]._parameter_openapi_schema.model_dump()
    assert set(schema["properties"]) == {"meeting", "directives", "notice_text", "actor"}
    # As registered, the form draws no name field: the desk stamps the signed-in person.
    offered = with_unit_choices(schema, [])
    assert set(offered["properties"]) == {"meeting", "directives", "notice_text"}
    assert "^actor$" in offered["patternProperties"]
    # Directives typed in, or a conclusion notice pasted for a draft to review.
    assert schema["required"] == ["meeting"]
    directive = schema["definitions"]["DirectiveInput"]["properties"]
    assert directive["lead"]["title"] == "Đơn vị chủ trì"
    assert directive["deadline"]["title"] == "Thời hạn"
    held_on = schema["definitions"]["MeetingInput"]["properties"]["held_on"]
    assert held_on["title"] == "Ngày họp"
    # Typed as dd/mm/yyyy in a text box, not picked in the browser's US-style date picker.
    assert held_on["type"] == "string"
    assert "format" not in held_on
    assert directive["priority"]["enum"] == ["thường", "cao", "khẩn"]
    assert directive["priority"]["default"] == "thường"


def test_the_form_words_are_read_back_as_stored_values() -> None:
    meeting = MeetingInput(code="M-1", title="Họp", held_on=" 09/03/2021 ")
    assert meeting.held_on == date(2021, 3, 9)
    assert MeetingInput(code="M-1", title="Họp", held_on="2021-03-09").held_on == meeting.held_on
    with pytest.raises(PydanticValidationError, match="dd/mm/yyyy"):
        MeetingInput(code="M-1", title="Họp", held_on="03/31/2021")
    base = {"code": "A-1", "title": "Việc", "text": "Làm", "lead": "xa-hai-tien", "deadline": "5"}
    assert DirectiveInput(**base).priority == "normal"
    assert DirectiveInput(**base, priority="khẩn").priority == "urgent"
    assert DirectiveInput(**base, priority="high").priority == "high"  # files keep working
    with pytest.raises(PydanticValidationError):
        DirectiveInput(**base, priority="gấp lắm")


def test_the_form_offers_units_by_name_and_reads_back_their_codes() -> None:
    served = {d.name: d for d in deployments(Settings())}
    schema = served["open-meeting"]._parameter_openapi_schema.model_dump()
    units = [("xa-hai-tien", "UBND xã Hải Tiến"), ("phong-nn", "Phòng Nông nghiệp")]
    offered = with_unit_choices(schema, units)
    assert offered["properties"]["directives"]["title"] == "Các nhiệm vụ"  # not "directives"
    fields = offered["definitions"]["DirectiveInput"]["properties"]
    choices = ["UBND xã Hải Tiến (xa-hai-tien)", "Phòng Nông nghiệp (phong-nn)"]
    assert fields["lead"]["enum"] == choices
    assert fields["support"]["items"]["enum"] == choices
    assert "enum" not in schema["definitions"]["DirectiveInput"]["properties"]["lead"]  # a copy
    # With no units yet the unit fields stay free text (a code typed in).
    bare = with_unit_choices(schema, [])["definitions"]["DirectiveInput"]["properties"]
    assert "enum" not in bare["lead"]
    # What the form sends is read back as the codes; files keep naming codes.
    base = {"code": "A-1", "title": "Việc", "text": "Làm", "deadline": "5"}
    chosen = DirectiveInput(**base, lead=choices[0], support=[choices[1], "xa-hai-xuan"])
    assert (chosen.lead, chosen.support) == ("xa-hai-tien", ["phong-nn", "xa-hai-xuan"])
    # Anything else is a name, resolved against the units when the meeting is opened.
    assert DirectiveInput(**base, lead="Hải Tiến").lead == "Hải Tiến"
