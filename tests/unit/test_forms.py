# ruff: noqa: PT017 - a property test accepts either outcome and checks whichever it got
"""Form parsing on the commune pages, property-based: a clean value or one clear sentence,
never a crash, never a value outside its range."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.domain.errors import ValidationError
from followup.domain.states import AssignmentState
from followup.links import ACTION_LINKS, LinkAction, LinkSigner, link_actions
from followup.web.acting import BUILDERS
from followup.web.forms import MAX_NOTE, parse_date, parse_percent, parse_text
from followup.web.i18n import strings


@given(st.integers(min_value=0, max_value=100), st.sampled_from(["{}", " {} ", "{}%", "{} %"]))
def test_every_percent_in_range_reads_back(value: int, shape: str) -> None:
    assert parse_percent(shape.format(value)) == value


@given(st.text(max_size=30))
def test_any_percent_text_is_a_value_in_range_or_a_sentence(raw: str) -> None:
    try:
        value = parse_percent(raw)
    except ValidationError as exc:
        assert "từ 0 đến 100" in str(exc)
    else:
        assert 0 <= value <= 100
        assert str(value) in raw


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_dates_read_back_in_both_shapes(day: date) -> None:
    assert parse_date(day.isoformat(), field="ngày") == day
    assert parse_date(day.strftime("%d/%m/%Y"), field="ngày") == day


@given(st.text(max_size=40))
def test_any_date_text_is_a_date_or_a_sentence(raw: str) -> None:
    try:
        parse_date(raw, field="ngày đề nghị gia hạn")
    except ValidationError as exc:
        assert "không hợp lệ" in str(exc)


@given(st.text(max_size=MAX_NOTE + 50))
def test_notes_come_back_nfc_trimmed_and_printable(raw: str) -> None:
    try:
        text = parse_text(raw, field="ghi chú", required=True)
    except ValidationError as exc:
        assert "Cần nhập" in str(exc) or "dài quá" in str(exc)
        return
    assert text == text.strip()
    assert unicodedata.is_normalized("NFC", text)
    assert all(ch in "\n\t" or ch.isprintable() for ch in text)
    assert "\r" not in text
    assert 0 < len(text) <= MAX_NOTE


def test_decomposed_vietnamese_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Đã nạo vét kênh")
    assert parse_text(decomposed, field="ghi chú", required=True) == "Đã nạo vét kênh"


@given(
    subject=st.integers(min_value=1, max_value=2**31),
    recipient=st.emails(),
    action=st.sampled_from(list(LinkAction)),
)
def test_link_claims_round_trip_with_their_recipient(
    subject: int, recipient: str, action: LinkAction
) -> None:
    from datetime import UTC, datetime, timedelta

    signer = LinkSigner("r" * 40)
    now = datetime(2021, 3, 9, tzinfo=UTC)
    token = signer.sign(subject, action, expires_at=now + timedelta(days=1), recipient=recipient)
    claims = signer.verify(token, action=action, now=now)
    assert (claims.subject_id, claims.recipient) == (subject, recipient)
    assert signer.peek(token) == claims
    if action is LinkAction.VIEW:
        assert claims.unit_id == subject
        with pytest.raises(ValueError, match="unit"):
            _ = claims.assignment_id
    else:
        assert claims.assignment_id == subject


@pytest.mark.parametrize("action", ACTION_LINKS)
def test_each_action_link_is_one_entry_with_its_command_its_form_and_its_texts(
    action: LinkAction,
) -> None:
    """A unit's action link is declared once (`LinkAction`): it names its command and the
    states it is offered in; the pages build that command from its form and have its texts
    in both languages."""
    assert action.command is not None
    assert action.offered_in
    values = {"note": "Đã làm", "percent": "40", "until": "30/06/2021", "reason": "Mưa bão"}
    command = BUILDERS[action](7, "Lê Thị Hồng", values, None)
    assert command.name == action.command
    assert command.target == 7
    for lang in ("vi", "en"):
        texts = strings(lang)
        for key in (f"{action}_title", f"{action}_button", f"thanks_{action}", f"action_{action}"):
            assert texts.get(key), (lang, key)
    # Offered only where the unit may act, never once the work is finished.
    assert not action.offered_in & {AssignmentState.CLOSED, AssignmentState.CANCELLED}
    assert action in link_actions(next(iter(action.offered_in)))
    assert set(BUILDERS) == set(ACTION_LINKS)
    assert LinkAction.VIEW not in ACTION_LINKS


def test_an_answer_is_checked_against_the_form_its_author_opened() -> None:
    from followup.orchestration.resume_form import answered_against

    assert answered_against("v12-i3", {"action": "x"}) == 12  # no word from the desk
    assert answered_against("v12-i3", {"opened_under": "v9-i2"}) == 9  # an older form
    assert answered_against("v12-i3", '{"opened_under": "v9-i2"}') == 9  # stored as text
    assert answered_against("v12-i3", {"opened_under": "v15-i4"}) == 12  # never a newer one
    assert answered_against("v12-i3", {"opened_under": "rubbish"}) == 12
    assert answered_against("review-1", {}) is None
    assert answered_against("v12-i3", "{not json") == 12
    assert answered_against("v12-i3", '["a list"]') == 12


def test_the_desk_remembers_the_form_each_person_opened_on_each_run() -> None:
    from followup.desk.forms_opened import FORGET_AFTER_SECONDS, FormsOpened

    run = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    form = b'{"patternProperties": {"^opened_under$": {"type": "string"}}}'
    resume = f"/api/flow_runs/{run}/resume"

    def schema(key: str) -> str:
        return f"/api/flow_runs/{run}/input/suspended-{key}-schema"

    forms = FormsOpened(most=2)
    forms.saw("an", schema("v7-i1"), form, 0.0)
    forms.saw("an", f"/api/flow_runs/{run}/input/suspended-v7-i1-description", form, 0.0)
    forms.saw("an", schema("v9-i2"), form, 5.0)  # a second tab: the older form is kept
    forms.saw("binh", schema("v8-i1"), b'{"patternProperties": {"^actor$": {}}}', 0.0)
    assert forms.answered("an", resume, 10.0) == "v7-i1"
    assert forms.answered("an", resume, 11.0) is None  # forgotten with the answer
    assert forms.answered("binh", resume, 10.0) is None  # a form with no room for the stamp
    forms.saw("an", schema("v9-i2"), form, 20.0)
    assert forms.answered("an", resume, 20.0 + FORGET_AFTER_SECONDS) is None  # left too long
    for person in ("an", "binh", "chi"):
        forms.saw(person, schema("v9-i2"), form, 30.0)
    assert forms.answered("an", resume, 31.0) is None  # the oldest of more than `most`
    assert forms.answered("chi", resume, 31.0) == "v9-i2"
