"""Serve every deployment on one host against PREFECT_API_URL (`followup serve`).

Users with work pools deploy the same entrypoints with `prefect deploy` (see prefect.yaml).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from prefect import serve

from followup.config import Settings
from followup.flows.directive import DEPLOYMENT_NAME, directive_flow
from followup.flows.maintenance import (
    dispatch_outbox_flow,
    escalation_sweep_flow,
    open_meeting_flow,
)


def deployments(settings: Settings) -> list[Any]:
    def every(minutes: int) -> timedelta | None:
        return timedelta(minutes=minutes) if settings.schedules_enabled else None

    return [
        directive_flow.to_deployment(
            name=DEPLOYMENT_NAME, description="Một lượt theo dõi cho mỗi nhiệm vụ."
        ),
        open_meeting_flow.to_deployment(
            name="open-meeting",
            description="Điền thông tin cuộc họp và các nhiệm vụ để giao việc.",
        ),
        escalation_sweep_flow.to_deployment(
            name="escalation-sweep", interval=every(settings.sweep_every_minutes)
        ),
        dispatch_outbox_flow.to_deployment(
            name="dispatch-outbox", interval=every(settings.dispatch_every_minutes)
        ),
    ]


#: Prefect reports usage home by default; there is no internet here and no reason to. Flow
#: runs inherit these from the serving process. A value the operator set wins.
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
}


def serve_all(settings: Settings) -> None:
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)  # the one place we write Prefect's environment
    serve(*deployments(settings), limit=settings.serve_limit)
