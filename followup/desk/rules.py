"""Who may send which request to the Prefect API behind the desk: plain rules over a method
and a path, no I/O, so a test can list every route Prefect has and check each.

Three kinds of caller. The service credential (workers, `followup serve`, `web`, the CLI)
may do anything Prefect allows. A viewer reads: every GET, and the POSTs the UI uses to read
(`…/filter`, `…/count`, history and dashboard queries). A coordinator reads and does the two
things a coordinator does on the desk, both stamped with their name: resuming a run with its
form, and starting a run of a deployment. Everything else (deleting, cancelling, editing a
run's state or inputs by hand, changing deployments, pools, blocks or variables) is the
service's, so a person cannot reach around the audit trail through Prefect's own buttons.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Access(StrEnum):
    READ = "read"  # any signed-in person
    RESUME = "resume"  # a coordinator; the form's input is stamped
    START = "start"  # a coordinator; the run's parameters are stamped
    SERVICE = "service"  # the service credential only


#: Paths outside these need no sign-in: Prefect's health probes (GET only).
OPEN = frozenset({"/api/health", "/api/ready"})

_UUID = r"[0-9a-fA-F-]{36}"
_RESUME = re.compile(rf"^/api/flow_runs/{_UUID}/resume$")
_START = re.compile(rf"^/api/deployments/{_UUID}/create_flow_run$")
#: POSTs that only read: the UI's lists, counts, charts and form checks.
_READ_POST = re.compile(
    r"^/api/(.+/)?(filter|count|paginate|history|lateness)$"
    r"|^/api/ui/(flow_runs/count-task-runs|flows/count-deployments|flows/next-runs"
    r"|schemas/validate|task_runs/count|task_runs/dashboard/counts)$"
    r"|^/api/events/count-by/[a-z_]+$"
    r"|^/api/(automations/)?templates/validate$"
    r"|^/api/work_pools/[^/]+/concurrency_status$"
    r"|^/api/work_queues/" + _UUID + r"/concurrency_status$"
)
#: Websockets that only stream out (the UI's live events and logs).
_READ_SOCKETS = frozenset({"/api/events/out", "/api/logs/out"})


def deployment_of(path: str) -> str | None:
    """The deployment id in a start request's path."""
    return path.split("/")[3] if _START.match(path) else None


def access_for(method: str, path: str) -> Access:
    """What a request needs: read, resume, start, or the service credential."""
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return Access.READ
    if method == "POST":
        if _RESUME.match(path):
            return Access.RESUME
        if _START.match(path):
            return Access.START
        if _READ_POST.match(path):
            return Access.READ
    return Access.SERVICE


def socket_access(path: str) -> Access:
    return Access.READ if path in _READ_SOCKETS else Access.SERVICE


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
