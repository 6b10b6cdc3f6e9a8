"""What an action link must pass before its page shows or acts: a genuine signature, an
action the pages know, the address it was made for, an unused nonce, work that still
exists and a recipient who still acts for the unit. A check that fails raises a LinkError
naming why; `arrive` turns it into the audited page that refuses the link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from followup.links import LinkAction, LinkClaims, LinkError
from followup.services.read.read_model import AssignmentPage, load_assignment_page, open_link
from followup.web.deps import Deps, WebDeps
from followup.web.refusals import refuse_link


@dataclass(frozen=True)
class Visit:
    """A genuine link at the address it was made for, and what it opened."""

    token: str
    claims: LinkClaims
    action: LinkAction
    page: AssignmentPage
    #: Who acts through the link today, as the audit names them.
    actor: str


async def arrive(
    deps: WebDeps, request: Request, assignment_part: str, action_name: str
) -> Visit | HTMLResponse:
    """The visit an action link makes at /a/{assignment_part}/{action_name}, or the page
    (audited) that refuses it. Nothing of the request's body has been read yet."""
    token = request.query_params.get("t", "")
    assignment_id = number(assignment_part)
    try:
        claims, action = check_link(deps, token, assignment_id, action_name)
        page, actor = await run_in_threadpool(opened, deps, claims)
    except LinkError as exc:
        return await refuse_link(
            deps, request, exc, token, path_assignment=assignment_id, action=action_name
        )
    return Visit(token, claims, action, page, actor)


class Turned(Exception):
    """A link refused at the gate; its page (already audited) is the answer."""

    def __init__(self, page: HTMLResponse) -> None:
        super().__init__("link refused")
        self.page = page


async def visit_of(request: Request, assignment_part: str, action_name: str, deps: Deps) -> Visit:
    """`arrive` as a route's dependency: the visit, or `Turned` with the refusal's page."""
    visit = await arrive(deps, request, assignment_part, action_name)
    if not isinstance(visit, Visit):
        raise Turned(visit)
    return visit


#: A route's visit through an action link (the route's path names the assignment and the
#: action); a refused link never reaches the route.
Arrived = Annotated[Visit, Depends(visit_of)]


def number(text: str) -> int | None:
    """An assignment number from the address; None (a link that fits nothing) otherwise."""
    return int(text) if text.isdigit() and len(text) < 12 else None


def check_link(
    deps: WebDeps, token: str, assignment_id: int | None, action_name: str
) -> tuple[LinkClaims, LinkAction]:
    """The link's claims if it may act on this address; LinkError saying why not. The
    signature is checked first, so a forged token is called forged wherever it points."""
    genuine = deps.signer.peek(token)  # decoded once; checked for the address below
    if genuine is None:
        raise LinkError("forged", "bad signature")
    try:
        action = LinkAction(action_name)
    except ValueError:
        raise LinkError("wrong_action", "unknown action") from None
    if not action.single_use:
        raise LinkError("wrong_action", "not an action")
    claims = deps.signer.admit(genuine, action=action, now=deps.context.clock.now())
    if claims.assignment_id != assignment_id:
        raise LinkError("other_unit", "another assignment")
    return claims, action


def opened(deps: WebDeps, claims: LinkClaims) -> tuple[AssignmentPage, str]:
    """What a genuine link opens, in one read: refused if used, if its work is gone, or
    if its recipient no longer acts for the unit; else the page and who is acting."""
    opening = open_link(
        deps.context,
        nonce=claims.nonce,
        assignment_id=claims.assignment_id,
        recipient=claims.recipient,
    )
    if opening.used:
        raise LinkError("replayed", "used")
    if opening.page is None:  # a genuine link to work that was since removed
        raise LinkError("not_found", f"no assignment {claims.assignment_id}")
    if opening.actor is None:
        raise LinkError("not_recipient", "not a current contact")
    return opening.page, opening.actor


def load_page(deps: WebDeps, assignment_id: int) -> AssignmentPage:
    page = load_assignment_page(deps.context, assignment_id)
    if page is None:
        raise LinkError("not_found", f"no assignment {assignment_id}")
    return page
