"""The open-meeting form offers the units of our database as a list to choose from.

Prefect draws a deployment's form from its parameter schema. The schema of the flow's code
knows no units, so the lead and supporting units become choices ("UBND xã Hải Tiến
(xa-hai-tien)", read back as the code) when `followup serve` registers the deployment and
again whenever units are loaded. With no units yet, the fields stay free text.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.input import RunInput, read_flow_run_input
from pydantic import ConfigDict, Field, create_model

from followup.config import Settings
from followup.orchestration.names import OPEN_MEETING_FLOW
from followup.orchestration.resume_form import stamped_actor
from followup.orchestration.runs import UNREACHABLE, prefect_configured
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import (
    DirectiveInput,
    MeetingInput,
    unit_choice,
)
from followup.services.write.units import unit_names

log = logging.getLogger(__name__)

OPEN_MEETING = f"{OPEN_MEETING_FLOW}/{OPEN_MEETING_FLOW}"


#: Prefect titles a flow's parameters with their names; the form shows these instead.
TITLES = {
    "meeting": "Cuộc họp",
    "directives": "Các nhiệm vụ",
    "notice_text": "Thông báo kết luận (để máy soạn nhiệm vụ)",
}
#: The key a drafted meeting waits under for the coordinator's review; a form sent back
#: with problems waits again under this key and its number ("xem-lai-ban-nhap-2"…).
REVIEW_KEY = "xem-lai-ban-nhap"


def review_key(attempt: int) -> str:
    return REVIEW_KEY if attempt == 1 else f"{REVIEW_KEY}-{attempt}"


def answered_reviews() -> int:
    """How many review forms of the current run have been sent (0 before the first): the
    run's inputs under "suspended-<key>-response", the keys one after the other."""
    count = 0
    while read_flow_run_input(f"suspended-{review_key(count + 1)}-response") is not None:
        count += 1
    return count


def refused_note(problems: list[str]) -> str:
    """The reasons a reviewed form was sent back, as the form shows them above its fields."""
    lines = "\n\n".join(f"- {p}" for p in problems)
    return (
        f"**Chưa mở được cuộc họp: {len(problems)} chỗ cần sửa.** Các sửa đổi của bạn được "
        f"giữ nguyên bên dưới; sửa những chỗ này rồi gửi lại:\n\n{lines}"
    )


class ReviewedMeeting(RunInput):
    """Bản nháp cuộc họp do máy soạn: sửa nếu cần rồi gửi để mở cuộc họp."""

    meeting: MeetingInput = Field(title="Cuộc họp")
    directives: list[DirectiveInput] = Field(min_length=1, title="Các nhiệm vụ")
    #: Who sends the reviewed form: stamped by the desk, never drawn (see `stamped_actor`).
    actor: str = Field(default="", max_length=255)

    model_config = ConfigDict(json_schema_extra=stamped_actor)

    @classmethod
    def with_initial_data(
        cls,
        description: str | None = None,
        notes: dict[str, str] | None = None,
        units: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> type[Self]:
        """Prefect's own drops each field's title (the form would say "Meeting"): keep them.
        The resume dialog does not show the run's description, only the fields': the review
        table goes above the first field too, and `notes` (by field) beside their field.
        With `units` (code, name), the lead and supporting units are chosen among them."""
        fields: dict[str, Any] = {}
        for index, (key, value) in enumerate(kwargs.items()):
            original = cls.model_fields[key]
            annotation: Any = original.annotation
            if key == "directives" and units:
                annotation = list[_directive_choosing(units)]  # type: ignore[misc]
            about = description if index == 0 and description else original.description
            if notes and key in notes:
                about = notes[key] + (f"\n\n{about}" if about else "")
            fields[key] = (
                annotation,
                Field(default=value, title=original.title, description=about),
            )
        model = create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            model._description = description
        return model


#: What the unit fields say when they offer our units as a list.
LEAD_HELP = "Chọn trong danh sách đơn vị."
SUPPORT_HELP = "Chọn một hoặc nhiều đơn vị."


def _choose_among(fields: dict[str, Any], choices: list[str]) -> None:
    """Make the lead and supporting units of a directive's schema (`fields`, its properties)
    a choice among `choices`, whichever schema it is: the deployment's form, a review form's,
    or one a review form already saved."""
    fields["lead"] = {
        "title": fields["lead"].get("title", "lead"),
        "description": LEAD_HELP,
        "type": "string",
        "enum": choices,
    }
    fields["support"] |= {
        "description": SUPPORT_HELP,
        "items": {"type": "string", "enum": choices},
    }


def _directive_choosing(units: list[tuple[str, str]]) -> type[DirectiveInput]:
    """A directive whose lead and supporting units the form offers as a list of our units
    by name. Prefect's server checks a submitted form against this list too, so a unit we
    do not have is refused before the run wakes."""
    choices = [unit_choice(code, name) for code, name in units]

    def offered(schema: dict[str, Any]) -> None:
        _choose_among(schema["properties"], choices)

    config = ConfigDict(**DirectiveInput.model_config, json_schema_extra=offered)
    return type(DirectiveInput.__name__, (DirectiveInput,), {"model_config": config})


def with_unit_choices(schema: dict[str, Any], units: list[tuple[str, str]]) -> dict[str, Any]:
    """A copy of the open-meeting parameter schema with Vietnamese titles, whose unit fields
    choose among `units` (code, name); free text when there are none."""
    changed = copy.deepcopy(schema)
    for name, title in TITLES.items():
        if name in changed.get("properties", {}):
            changed["properties"][name]["title"] = title
    stamped_actor(changed)
    fields = changed.get("definitions", {}).get("DirectiveInput", {}).get("properties", {})
    if not units or "lead" not in fields or "support" not in fields:
        return changed
    _choose_among(fields, [unit_choice(code, name) for code, name in units])
    return changed


def _offer_to_waiting_reviews(
    client: SyncPrefectClient, deployment: UUID, units: list[tuple[str, str]]
) -> int:
    """Offer `units` in the review form of every open-meeting run waiting for its review, so
    a unit added while a draft waits can be chosen in it. Returns how many forms changed."""
    choices = [unit_choice(code, name) for code, name in units]
    waiting = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
        ),
    )
    changed = 0
    for run in waiting:
        pause_key = run.state.state_details.pause_key if run.state else None
        if not pause_key or not pause_key.startswith(REVIEW_KEY):
            continue
        key = f"suspended-{pause_key}-schema"
        try:
            schema = json.loads(client.read_flow_run_input(run.id, key))
        except ObjectNotFound:
            continue
        fields = schema.get("definitions", {}).get("DirectiveInput", {}).get("properties", {})
        if "enum" not in fields.get("lead", {}) or fields["lead"]["enum"] == choices:
            continue
        _choose_among(fields, choices)
        # Prefect keeps one value per key: the new list replaces the old one.
        client.delete_flow_run_input(run.id, key)
        client.create_flow_run_input(run.id, key, json.dumps(schema))
        changed += 1
    return changed


def refresh_unit_choices(ctx: ServiceContext) -> str:
    """Offer the current units in the open-meeting form of the Prefect server, and in the
    review forms waiting there. Returns what happened, in one sentence; Prefect being
    unreachable is said, never raised."""
    if not prefect_configured():
        return "Chưa đặt PREFECT_API_URL: biểu mẫu mở cuộc họp không được cập nhật."
    units = unit_names(ctx)
    try:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(OPEN_MEETING)
            schema = with_unit_choices(deployment.parameter_openapi_schema or {}, units)
            client.update_deployment(
                deployment.id, DeploymentUpdate(parameter_openapi_schema=schema)
            )
            reviews = _offer_to_waiting_reviews(client, deployment.id, units) if units else 0
    except ObjectNotFound:
        return "Prefect chưa có deployment mở cuộc họp ('followup serve' chưa chạy)."
    except UNREACHABLE as exc:
        log.warning("followup: Prefect không nhận danh sách đơn vị: %s", exc)
        return f"Không cập nhật được biểu mẫu mở cuộc họp trên Prefect: {exc}"
    if not units:
        return "Chưa có đơn vị nào: biểu mẫu mở cuộc họp để nhập mã đơn vị."
    waiting = f"; {reviews} bản nháp đang chờ xem lại được cập nhật" if reviews else ""
    return f"Biểu mẫu mở cuộc họp trên Prefect: {len(units)} đơn vị để chọn{waiting}."


def offer_units_when_served(settings: Settings, timeout: float = 120) -> threading.Thread:
    """Once `followup serve` has registered its deployments (it rewrites their schemas each
    time it starts), offer the units in the open-meeting form."""
    started = datetime.now(UTC)

    def offer() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with get_client(sync_client=True) as client:
                    deployment = client.read_deployment_by_name(OPEN_MEETING)
                if deployment.updated is not None and deployment.updated >= started:
                    break
            except (ObjectNotFound, *UNREACHABLE):
                pass
            time.sleep(1)
        try:
            ctx = ServiceContext.from_settings(settings)
        except Exception:  # a thread's failure must not pass in silence
            log.exception("followup: không mở được cơ sở dữ liệu để lấy danh sách đơn vị")
            return
        try:
            log.info("followup: %s", refresh_unit_choices(ctx))
        except Exception:
            log.exception("followup: không đưa được danh sách đơn vị vào biểu mẫu mở cuộc họp")
        finally:
            ctx.close()

    thread = threading.Thread(target=offer, name="followup-unit-choices", daemon=True)
    thread.start()
    return thread
