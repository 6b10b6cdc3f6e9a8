"""Suspension keys of a directive's run: `v{version}-i{consumed}`.

Every key must be new (a key already resumed returns its stored input at once), so it is
built from both the directive's version (its latest audit sequence number) and the number of
inputs the directive has consumed, wakes included.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from uuid import UUID

from prefect.exceptions import ObjectNotFound

from followup.services.context import ServiceContext
from followup.services.write.run_inputs import position

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun, FlowRunInput

_KEY = re.compile(r"^v(\d+)-i(\d+)$")
RESPONSE = re.compile(r"^suspended-(v\d+-i\d+)-response$")


def pause_key(version: int, consumed: int) -> str:
    return f"v{version}-i{consumed}"


def version_of(key: str) -> int | None:
    """The directive version a key was made for; None for a key we did not make."""
    match = _KEY.match(key)
    return int(match.group(1)) if match else None


def expected_pause_key(ctx: ServiceContext, directive_id: int) -> str:
    """The key a run of this directive suspends under right now."""
    return pause_key(*position(ctx, directive_id))


#: How many inputs one request asks Prefect's server for (it answers oldest first).
INPUT_PAGE = 500


def every_input(
    client: SyncPrefectClient,
    run_id: UUID,
    prefix: str,
    *,
    exclude: set[str] | frozenset[str] = frozenset(),
    page: int = INPUT_PAGE,
) -> list[FlowRunInput]:
    """All of a run's inputs under `prefix` but `exclude`, oldest first, however many: each
    pass leaves three (the form, its text, the answer), and one page would hide the newest
    of a run that has waited through hundreds of passes."""
    found: list[FlowRunInput] = []
    skip = set(exclude)
    while True:
        more = client.filter_flow_run_input(
            run_id, key_prefix=prefix, limit=page, exclude_keys=skip
        )
        found += more
        if len(more) < page:
            return found
        skip |= {item.key for item in more}


#: How far back `lineage` follows the runs a run replaced.
LINEAGE_DEPTH = 10


def lineage(client: SyncPrefectClient, run_id: UUID) -> list[FlowRun]:
    """The run and the runs it replaced, oldest first. A replacement is started with its
    predecessor named in its idempotency key (`directive:<code>:after:<run id>`, see
    `runs.start_run`); a predecessor deleted from Prefect ends the line."""
    line = [client.read_flow_run(run_id)]
    for _ in range(LINEAGE_DEPTH):
        try:
            before = UUID((line[-1].idempotency_key or "").rpartition(":after:")[2])
            line.append(client.read_flow_run(before))
        except (ValueError, ObjectNotFound):  # "after:none", another's key, or deleted
            break
    return line[::-1]
