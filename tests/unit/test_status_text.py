"""What a directive's run shows in Prefect (Markdown) shows titles and names literally."""

from __future__ import annotations

import html
import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from followup.domain.states import AssignmentState
from followup.orchestration.status_text import literal, waiting_for
from followup.services.reporting.reports import DirectiveState, UnitRow

NASTY = "<script>alert(1)</script> {{ 7*7 }} **đậm** [x](http://a.vn) `mã` # 1. - _a_ | b"


def shown(markdown: str) -> str:
    """The text a reader sees once Markdown is rendered (tags dropped, entities read)."""
    rendered = MarkdownIt("commonmark").render(markdown)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


def test_a_title_full_of_markup_shows_as_typed() -> None:
    assert shown(literal(NASTY)) == " ".join(NASTY.split())


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=80))
def test_any_text_shows_as_typed(text: str) -> None:
    assert shown(literal(text)) == " ".join(text.split())


def test_the_waiting_text_shows_titles_and_names_literally() -> None:
    state = DirectiveState(
        directive_id=1,
        code="MC-01",
        title=NASTY,
        version=3,
        consumed=0,
        units=(
            UnitRow(
                unit_code="xa-hai-tien",
                unit_name="UBND <b>xã</b> **Hải Tiến**",
                is_lead=True,
                state=AssignmentState.ASSIGNED,
                due_on=date(2021, 3, 31),
                status=None,
                percent=None,
            ),
        ),
    )
    text = shown(waiting_for(state))
    assert " ".join(NASTY.split()) in text
    assert "UBND <b>xã</b> **Hải Tiến**" in text
    assert "xa-hai-tien" in text
