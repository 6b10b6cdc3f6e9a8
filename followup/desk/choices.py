"""The open-meeting form's units: kept when its deployment is registered again, and read
as codes or names when a run is started by the API or the CLI.

`prefect deploy` and `followup serve` register each deployment with the parameter schema of
its flow's signature, where a unit is free text; `followup units load` then rewrites the form
so a unit is chosen by name from the database. Without this layer every redeploy would undo
that until the next load. The desk sees the registration itself (a POST to
`/api/deployments/`, or a PATCH of a deployment that exists), so it writes the current units
into the schema of a deployment of the open-meeting form before Prefect stores it: deploying
never wipes the choices, whoever deploys and from wherever.

The choices read "name (code)", which is what the UI sends. A script or `prefect deployment
run` names a unit by its code or its name: the desk writes the choice for it before Prefect
checks the parameters, and a script's start with mistakes (in the form, or that opening the
meeting would refuse) is answered 422 naming every one of them, before any run exists
(Prefect itself names only one form field, in English). A start from the UI is sent on: the
open-meeting flow sends a meeting with mistakes back to the coordinator as a form to correct.
A reviewed meeting a script sends to its waiting run is read the same way, then checked by
Prefect against the review form's list of units.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, TypeGuard

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from followup.config import Settings
from followup.desk.bodies import (
    from_the_ui,
    prefect_client,
    read_body,
    refuse,
    replay,
    with_length,
)
from followup.desk.meeting_check import as_choices, form_problems, problems_of_parameters
from followup.desk.signin import Refused
from followup.orchestration.meeting_form import with_unit_choices
from followup.services.context import ServiceContext
from followup.services.write.units import unit_names

log = logging.getLogger("followup.desk")

#: Registering a deployment: created (POST), or updated when it exists (PATCH).
_REGISTER = re.compile(r"^/api/deployments/?$")
_UPDATE = re.compile(r"^/api/deployments/[0-9a-fA-F-]{36}$")
_START = re.compile(r"^/api/deployments/([0-9a-fA-F-]{36})/create_flow_run$")
#: Sending a waiting run its form: the reviewed meeting of an open-meeting run, among others.
_RESUME = re.compile(r"^/api/flow_runs/[0-9a-fA-F-]{36}/resume$")


def _object(body: bytes) -> dict[str, Any] | None:
    try:
        values = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return None
    return values if isinstance(values, dict) else None


def is_meeting_form(schema: object) -> TypeGuard[dict[str, Any]]:
    """Whether a parameter schema is the open-meeting form's (a meeting and its directives,
    each directive with a lead and support units), whatever the deployment is called."""
    if not isinstance(schema, dict):
        return False
    definitions = schema.get("definitions") or {}
    directive = definitions.get("DirectiveInput", {}).get("properties", {})
    return "MeetingInput" in definitions and {"lead", "support"} <= set(directive)


class UnitChoices:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._ctx: ServiceContext | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope.get("path", ""), scope.get("method")
        start = _START.match(path) if method == "POST" else None
        resume = method == "POST" and _RESUME.match(path)
        registers = (method == "POST" and _REGISTER.match(path)) or (
            method == "PATCH" and _UPDATE.match(path)
        )
        if scope["type"] != "http" or not (start or resume or registers):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive)
            if start is not None:
                body = await self._read_units(scope, start.group(1), body)
            elif resume:
                body = await self._reviewed(body)
            else:
                body = await self._offered(body)
        except Refused as refused:
            await refuse(send, refused)
            return
        await self.app(with_length(scope, len(body)), replay(body, receive), send)

    async def _read_units(self, scope: Scope, deployment_id: str, body: bytes) -> bytes:
        """A start of the open-meeting form with its units written as the form's choices;
        `Refused`, naming every wrong field, when the parameters do not fit the form."""
        values = _object(body)
        parameters = values.get("parameters") if values is not None else None
        if values is None or not isinstance(parameters, dict):
            return body
        schema = await self._schema_of(scope, deployment_id)
        if not is_meeting_form(schema):
            return body
        try:
            units = await anyio.to_thread.run_sync(self._units)
        except Exception as exc:  # Prefect's own check still applies
            log.warning("Không lấy được danh sách đơn vị để đọc mã đơn vị (%s).", exc)
            units = []
        values["parameters"] = as_choices(parameters, units)
        if from_the_ui(scope):
            # The UI's form checks the fields itself, and a meeting it starts that opening
            # would refuse is sent back to the coordinator as a form to correct (the
            # open-meeting flow), not answered with an error the dialog cannot show.
            return json.dumps(values, ensure_ascii=False).encode()
        problems = form_problems(values["parameters"], schema)
        if not problems:
            problems = await anyio.to_thread.run_sync(
                self._opening_problems, values["parameters"], schema
            )
        if problems:
            raise Refused(422, "Không mở được cuộc họp. " + " ".join(problems))
        return json.dumps(values, ensure_ascii=False).encode()

    async def _reviewed(self, body: bytes) -> bytes:
        """A reviewed meeting sent to its waiting run with its units written as the form's
        choices, so a script may name them by code or name as it does when it starts one;
        Prefect then checks them against the form's list (any other run's input passes)."""
        values = _object(body)
        reviewed = values.get("run_input") if values is not None else None
        if (
            values is None
            or not isinstance(reviewed, dict)
            or not {"meeting", "directives"} <= set(reviewed)
        ):
            return body
        try:
            units = await anyio.to_thread.run_sync(self._units)
        except Exception as exc:  # Prefect's own check still applies
            log.warning("Không lấy được danh sách đơn vị để đọc mã đơn vị (%s).", exc)
            return body
        values["run_input"] = as_choices(reviewed, units)
        return json.dumps(values, ensure_ascii=False).encode()

    def _opening_problems(self, parameters: dict[str, Any], schema: dict[str, Any]) -> list[str]:
        """What opening the meeting would refuse (deadlines, units, codes), all at once,
        before a run is created: a script is told in its answer, not by a failed run."""
        if self._ctx is None:
            self._ctx = ServiceContext.from_settings(self.settings)
        return problems_of_parameters(self._ctx, parameters, schema)

    async def _schema_of(self, scope: Scope, deployment_id: str) -> object:
        """The deployment's parameter schema, asked of Prefect with the request's own
        credential (the service's, behind the gate)."""
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), ""
        )
        async with prefect_client(self.app, authorization) as client:
            found = await client.get(f"/api/deployments/{deployment_id}")
        if found.status_code != 200:
            return None  # Prefect answers the start itself
        return found.json().get("parameter_openapi_schema")

    async def _offered(self, body: bytes) -> bytes:
        values = _object(body)
        schema = values.get("parameter_openapi_schema") if values is not None else None
        if values is None or not is_meeting_form(schema):
            return body
        try:
            units = await anyio.to_thread.run_sync(self._units)
        except Exception as exc:  # a registration must not fail for want of the unit list
            log.warning(
                "Không lấy được danh sách đơn vị cho biểu mẫu mở cuộc họp (%s); biểu mẫu để "
                "nhập mã đơn vị cho đến lần 'followup units load' sau.",
                exc,
            )
            return body
        values["parameter_openapi_schema"] = with_unit_choices(schema, units)
        log.info("Biểu mẫu mở cuộc họp: %d đơn vị để chọn.", len(units))
        return json.dumps(values, ensure_ascii=False).encode()

    def _units(self) -> list[tuple[str, str]]:
        if self._ctx is None:
            self._ctx = ServiceContext.from_settings(self.settings)
        return unit_names(self._ctx)
