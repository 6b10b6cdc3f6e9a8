"""What a directive's run shows the coordinator on the Prefect UI after each pass.

- its **story**: one log line per audit event since the previous pass (refusals as warnings);
- its **name and tags**: the code and a short title; overdue, waiting for acknowledgement or
  verification, extension asked, the meeting and the lead unit, so the runs list filters them;
- its **status artifact**: a refused attempt first, then what it waits for and one row per unit;
- its **events**: each audit event as a Prefect event (`followup.<action>`), for the Event
  Feed and for a city's own Automations. Our audit stays the source of truth: an event or a
  tag that does not reach Prefect is logged and never fails the pass.
"""

from __future__ import annotations

import logging
import re
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

from followup.domain.status import FourWay
from followup.domain.vocabulary import label
from followup.orchestration.keys import every_input, version_of
from followup.orchestration.lifecycle import ours, run_name, status_tags
from followup.orchestration.overview import (
    SHORT,
    meeting_artifact_key,
    meeting_markdown,
    meeting_view,
)
from followup.orchestration.runs import UNREACHABLE
from followup.orchestration.status_text import literal, refusals, waiting_for
from followup.services.context import ServiceContext
from followup.services.read.story import StoryLine, last_acted, story_since
from followup.services.reporting.reports import DirectiveState
from followup.tasks.events import emit, resource

log = logging.getLogger(__name__)

_PASS_KEY = re.compile(r"^suspended-(v\d+-i\d+)-")


def previous_pass(run_id: str) -> int:
    """The directive version this run's previous pass suspended at (0 on its first pass):
    the story is told from there."""
    with get_client(sync_client=True) as client:
        inputs = every_input(client, UUID(run_id), "suspended-v")
    versions = [
        version_of(match.group(1))
        for item in inputs
        if (match := _PASS_KEY.match(item.key)) is not None
    ]
    return max((v for v in versions if v is not None), default=0)


def show_pass(
    ctx: ServiceContext, state: DirectiveState, *, run_id: str | None, since: int
) -> list[StoryLine]:
    """Log the story since `since`, publish the status, name and tag the run, emit events."""
    lines = story_since(ctx, state.code, since, upto=state.version)
    logger = get_run_logger()
    for line in lines:
        (logger.warning if line.warning else logger.info)(line.text)
    publish_status(state, lines, last_acted(ctx, state.code))
    publish_meeting(ctx, state.meeting_code)
    if run_id is not None:
        try:
            _name_and_tag(run_id, state)
        except UNREACHABLE as exc:
            logger.warning("Không cập nhật được tên và nhãn của lượt: %s", exc)
    for line in lines:
        _emit(state, line)
    return lines


def _name_and_tag(run_id: str, state: DirectiveState) -> None:
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
        kept = [tag for tag in run.tags if not ours(tag)]
        client.update_flow_run(
            UUID(run_id), name=run_name(state), tags=[*kept, *status_tags(state)]
        )


def _emit(state: DirectiveState, line: StoryLine) -> None:
    related = [resource("meeting", state.meeting_code, role="meeting")]
    if line.unit:
        related.append(resource("unit", line.unit, line.unit_name, role="unit"))
    subject = resource("directive", state.code, f"{state.code} · {state.title}")
    emit(line, subject, related, state.code)


def publish_status(
    state: DirectiveState, told: list[StoryLine], latest: StoryLine | None = None
) -> None:
    """The status table: labels only, overdue days and ladder level per unit; a refused
    attempt of the coordinator is its first line, so they see why within one refresh, and
    the latest thing a person did (who and what) follows what the directive waits for."""
    lead_lines = refusals(told)
    meeting = (
        f"Cuộc họp: [{literal(state.meeting_code)}]"
        f"(/artifacts/key/{meeting_artifact_key(state.meeting_code)})"
    )
    acted = f"Thao tác gần nhất: {literal(latest.text)}" if latest is not None else ""
    description = "\n\n".join(filter(None, [*lead_lines, waiting_for(state), acted, meeting]))
    create_table_artifact(
        key=artifact_key(state.code),
        table=status_rows(state),
        description=description,
    )


def status_rows(state: DirectiveState) -> list[dict[str, str]]:
    """One row per unit, in short columns: the UI shows a table artifact as wide as its cells
    (which never wrap) and hides what runs past the page, so a column with nothing in it
    (no unit escalated, no progress reported) is left out, and the four-way is said short."""
    rows = []
    for u in state.units:
        status = SHORT[u.status] if isinstance(u.status, FourWay) else ""
        rows.append(
            {
                "Đơn vị": f"{u.unit_name} ({'chủ trì' if u.is_lead else 'phối hợp'})",
                "Trạng thái": label(u.state),
                "Hạn": u.due_on.strftime("%d/%m/%Y"),
                "Tình trạng": (
                    f"{status} {u.days_late} ngày" if u.status is FourWay.OVERDUE else status
                ),
                "Đôn đốc": (
                    f"cấp {u.escalation_level} ({u.escalated_on:%d/%m})"
                    if u.escalation_level and u.escalated_on is not None
                    else ""
                ),
                "Tiến độ": f"{u.percent}%" if u.percent is not None else "",
            }
        )
    empty = [k for k in ("Đôn đốc", "Tiến độ") if not any(row[k] for row in rows)]
    return [{k: v for k, v in row.items() if k not in empty} for row in rows]


def publish_meeting(ctx: ServiceContext, meeting_code: str) -> None:
    """The meeting's artifact, refreshed by each of its directives' passes: every directive
    with its lead, deadline, open and overdue parts, linked to its run. A new version only
    when the table changed: each of a 200-directive meeting's runs passes once as it opens,
    and would otherwise store 200 copies of one 200-row table (and one per wake after)."""
    view = meeting_view(ctx, meeting_code)
    key = meeting_artifact_key(meeting_code)
    markdown = meeting_markdown(view)
    if _latest_data(key) == markdown:
        return
    create_markdown_artifact(
        key=key,
        markdown=markdown,
        description=f"Cuộc họp {meeting_code}: {len(view.directives)} nhiệm vụ",
    )


def _latest_data(key: str) -> object:
    """What the latest version of the artifact `key` holds (None if there is none)."""
    with get_client(sync_client=True) as client:
        found = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[key])),
            limit=1,
        )
    return found[0].data if found else None


def artifact_key(code: str) -> str:
    return "nhiem-vu-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
