"""Refused POSTs are on the record, yet change nothing: they do not make a coordinator's
open form stale, and a stranger posting forged links in a loop is audited only a few times
a minute (then logged), so the trail and its lock stay the units' and the office's."""

from __future__ import annotations

from sqlalchemy import select

from followup.db.models import Directive
from followup.domain.vocabulary import InputOutcome
from followup.services.context import ServiceContext
from followup.services.write.commands import Acknowledge
from followup.services.write.run_inputs import RunInput, apply_input, position
from followup.web.deps import FORGED_AUDIT_PER_MINUTE
from tests.helpers import HAI_TIEN
from tests.web.conftest import Web, csrf_of, post_url_of, refused
from tests.web.test_security import alter


def _ack_link(web: Web) -> str:
    return web.links("assignment", "xa-hai-tien")["acknowledge"]


def test_refused_posts_leave_a_coordinators_form_current(loaded: ServiceContext, web: Web) -> None:
    with loaded.session_factory() as session:
        directive_id = session.scalars(select(Directive.id).where(Directive.code == "T-01")).one()
    version, _consumed = position(loaded, directive_id)  # the coordinator opens a form here
    link = _ack_link(web)
    assert web.client.post(alter(link), data={"csrf": "x"}).status_code == 403  # a stranger
    page = web.client.get(link)
    post = post_url_of(page.text)
    assert web.client.post(post, data={"csrf": "het.han"}).status_code == 403  # a lost session
    refused(web, "csrf")
    assert len(web.audit("link.refused")) == 2  # both on the record, in the story...
    assert position(loaded, directive_id)[0] > version
    # ...yet they changed nothing: the form given before them still acts.
    form = RunInput("v-test", version, Acknowledge(target=HAI_TIEN, actor="Văn phòng"))
    assert apply_input(loaded, "T-01", form) is InputOutcome.APPLIED
    # A real change since would have made it stale.
    later = RunInput("v-test-2", version, Acknowledge(target=HAI_TIEN, actor="Văn phòng"))
    assert apply_input(loaded, "T-01", later) is InputOutcome.STALE


def test_forged_posts_in_a_loop_are_audited_a_few_times_a_minute(web: Web) -> None:
    sent = 3 * FORGED_AUDIT_PER_MINUTE
    for number in range(1, sent + 1):
        answer = web.client.post(f"/a/{number}/acknowledge?t=khong-co", data={"csrf": "x"})
        assert answer.status_code == 403
    audited = len(web.audit("link.refused"))
    # One minute's budget, two if the loop ran over the turn of a minute.
    assert FORGED_AUDIT_PER_MINUTE <= audited <= 2 * FORGED_AUDIT_PER_MINUTE < sent
    # A genuine link's refusal is still audited, whatever strangers did this minute.
    page = web.client.get(_ack_link(web))
    token = csrf_of(page.text)
    assert web.client.post(post_url_of(page.text), data={"csrf": token}).status_code == 200
    assert web.client.post(post_url_of(page.text), data={"csrf": token}).status_code == 409
    refused(web, "replayed")
