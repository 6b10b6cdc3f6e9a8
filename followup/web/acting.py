"""What a unit's POST does: the link's answer becomes a command, which `execute` carries out
(one transaction) and then wakes the directive's run.

`command_for` is the one place a link's action becomes a command; the route knows neither
the handlers nor the orchestrator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from followup.config import Settings
from followup.links import LinkAction, LinkClaims
from followup.services.context import ServiceContext
from followup.services.refs import EvidenceFile
from followup.services.write.bus import execute
from followup.services.write.commands import (
    Acknowledge,
    AssignmentCommand,
    ReportDone,
    ReportProgress,
    RequestExtension,
)
from followup.services.write.link_uses import LinkUse
from followup.services.write.results import AssignmentView
from followup.web import forms
from followup.web.evidence import check


@dataclass(frozen=True)
class Answer:
    """What a unit sent through a genuine, unused action link."""

    action: LinkAction
    claims: LinkClaims
    #: The form's text fields, as typed.
    values: Mapping[str, str]
    #: Who acts, as the audit names them (`services.write.delegations.acting_as`).
    actor: str
    #: The file sent with a report of completion, as sent (empty if none).
    evidence_data: bytes = b""
    evidence_name: str = ""


#: What each action link's form becomes. Free text goes to the command as typed: its handler
#: cleans and checks it.
Builder = Callable[[int, str, Mapping[str, str], EvidenceFile | None], AssignmentCommand]
BUILDERS: dict[LinkAction, Builder] = {
    LinkAction.ACKNOWLEDGE: lambda target, actor, values, _: Acknowledge(
        target=target, actor=actor, note=values.get("note", "")
    ),
    LinkAction.PROGRESS: lambda target, actor, values, _: ReportProgress(
        target=target,
        actor=actor,
        percent=forms.parse_percent(values.get("percent")),
        note=values.get("note", ""),
    ),
    LinkAction.DONE: lambda target, actor, values, evidence: ReportDone(
        target=target, actor=actor, note=values.get("note", ""), evidence=evidence
    ),
    LinkAction.EXTENSION: lambda target, actor, values, _: RequestExtension(
        target=target,
        actor=actor,
        until=forms.parse_date(values.get("until"), field="ngày đề nghị gia hạn"),
        reason=values.get("reason", ""),
    ),
}


def command_for(answer: Answer, evidence: EvidenceFile | None) -> AssignmentCommand:
    """The command a link's answer carries."""
    build = BUILDERS[answer.action]
    return build(answer.claims.assignment_id, answer.actor, answer.values, evidence)


def act_and_wake(
    ctx: ServiceContext, settings: Settings, answer: Answer
) -> tuple[AssignmentView, EvidenceFile | None]:
    """One command in one transaction, the link's nonce written with it; `execute` then
    wakes the directive's run (a failed wake never undoes the unit's answer). An evidence
    file is checked (EvidenceRefused) and stored with the report that names it."""
    receipt = LinkUse(answer.claims)
    data, name = answer.evidence_data, answer.evidence_name
    if answer.action is not LinkAction.DONE or not (data or name):
        return execute(ctx, command_for(answer, None), receipt=receipt).result, None
    evidence = check(data, name, max_bytes=settings.evidence_max_bytes)
    return execute(ctx, command_for(answer, evidence), receipt=receipt).result, evidence
