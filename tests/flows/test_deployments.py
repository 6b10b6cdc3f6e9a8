"""The deployments `followup serve` offers and the ones prefect.yaml declares are the same."""

from __future__ import annotations

from pathlib import Path

import yaml
from prefect.utilities.importtools import import_object

from followup.config import Settings
from followup.deployments import deployments, prefect_yaml

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_is_generated_from_the_definitions() -> None:
    """prefect.yaml is what `python -m followup.deployments` writes, and it names the same
    deployments, entrypoints and schedules `followup serve` serves."""
    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    assert text == prefect_yaml(Settings.model_construct())
    declared = yaml.safe_load(text)
    served = deployments(Settings(schedules_enabled=True))
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
            assert mine["interval"] == theirs.schedule.interval.total_seconds()


def test_open_meeting_form_has_vietnamese_fields() -> None:
    served = {d.name: d for d in deployments(Settings())}
    schema = served["open-meeting"]._parameter_openapi_schema.model_dump()
    assert set(schema["properties"]) == {"meeting", "directives", "actor"}
    assert schema["required"] == ["meeting", "directives"]
    directive = schema["definitions"]["DirectiveInput"]["properties"]
    assert directive["lead"]["title"] == "Đơn vị chủ trì"
    assert directive["deadline"]["title"] == "Thời hạn"
    assert schema["definitions"]["MeetingInput"]["properties"]["held_on"]["title"] == "Ngày họp"
