"""What a unit's POST does: one service call, then a nudge to the directive's run.

`carry_out` is the one place a link's action becomes a service call; `nudge_run` the one
place the pages wake Prefect. The route knows neither the services nor the orchestrator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from followup.config import Settings
from followup.links import LinkAction, LinkClaims, LinkUse
from followup.services import actions, extensions
from followup.services.actions import AssignmentView, EvidenceFile
from followup.services.context import ServiceContext
from followup.web import forms
from followup.web.evidence import check, staged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What a unit sent through a genuine, unused action link."""

    action: LinkAction
    claims: LinkClaims
    #: The form's text fields, as typed.
    values: Mapping[str, str]
    #: Who acts, as the audit names them (`services.delegations.acting_as`).
    actor: str
    #: The file sent with a report of completion, as sent (empty if none).
    evidence_data: bytes = b""
    evidence_name: str = ""


def carry_out(
    ctx: ServiceContext, settings: Settings, answer: Answer
) -> tuple[AssignmentView, EvidenceFile | None]:
    """One service call in one transaction, the link's nonce written with it. Free text
    goes to the service as typed: the service cleans and checks it. An evidence file is
    checked (EvidenceRefused) and on disk only once the report naming it has committed."""
    values, actor = answer.values, answer.actor
    receipt = LinkUse(answer.claims)
    ref = answer.claims.assignment_id
    note = values.get("note", "")
    if answer.action is LinkAction.ACKNOWLEDGE:
        return actions.acknowledge(ctx, ref, actor=actor, note=note, consumed=receipt), None
    if answer.action is LinkAction.PROGRESS:
        percent = forms.parse_percent(values.get("percent"))
        view = actions.report_progress(
            ctx, ref, percent=percent, note=note, actor=actor, consumed=receipt
        )
        return view, None
    if answer.action is LinkAction.DONE:
        data, name = answer.evidence_data, answer.evidence_name
        if not (data or name):
            view = actions.report_done(ctx, ref, note=note, actor=actor, consumed=receipt)
            return view, None
        evidence = check(data, name, max_bytes=settings.evidence_max_bytes)
        with staged(data, evidence, settings.evidence_dir) as keep:
            view = actions.report_done(
                ctx, ref, note=note, actor=actor, evidence=evidence, consumed=receipt
            )
            keep()
        return view, evidence
    until = forms.parse_date(values.get("until"), field="ngày đề nghị gia hạn")
    view = extensions.request_extension(
        ctx, ref, until=until, reason=values.get("reason", ""), actor=actor, consumed=receipt
    )
    return view, None


def nudge_run(ctx: ServiceContext, directive_code: str) -> None:
    """Wake the directive's run. The action has committed: whatever goes wrong here, the
    unit's answer stands and `followup repair` or the next sweep catches the run up."""
    from followup.orchestration import nudge  # Prefect is imported only once a page acts

    try:
        result = nudge(ctx, directive_code)
    except Exception:
        log.exception("Could not wake the run of %s after a web action", directive_code)
        return
    if result.outcome == "unreachable":
        log.warning("Prefect unreachable after a web action on %s", directive_code)


def act_and_wake(
    ctx: ServiceContext, settings: Settings, answer: Answer
) -> tuple[AssignmentView, EvidenceFile | None]:
    """The action, then (once it has committed) a nudge to the directive's run."""
    view, evidence = carry_out(ctx, settings, answer)
    nudge_run(ctx, view.directive_code)
    return view, evidence
