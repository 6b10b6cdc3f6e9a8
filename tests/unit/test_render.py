"""Templates: every kind in both languages, escaped, NFC, one-line subjects."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.domain.vocabulary import NoticeKind
from followup.notifications.chart import bar_segments
from followup.notifications.render import (
    LANGUAGES,
    render,
)
from tests.helpers import raw_values_in

EXTRA: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.ASSIGNMENT: {"ack_due_on": date(2021, 3, 11), "progress_every_days": 10},
    NoticeKind.ACK_RECEIPT: {"acknowledged_at": datetime(2021, 3, 10, 2, tzinfo=UTC)},
    NoticeKind.REMINDER: {"working_days_left": 2},
    NoticeKind.ESCALATION: {
        "level": 2,
        "step_kind": "ack",
        "step_due_on": date(2021, 3, 11),
        "days_late": 3,
        "officer_name": "Lê Thị Hồng",
    },
    NoticeKind.PROGRESS_REQUEST: {"progress_due_on": date(2021, 3, 24)},
    NoticeKind.CLOSURE: {"completed_on": date(2021, 3, 30), "on_time": True},
    NoticeKind.SEND_BACK: {"reason": "Thiếu <b>biên bản</b> & ảnh"},
    NoticeKind.REASSIGNED_AWAY: {
        "new_unit_name": "UBND xã <i>Hải Xuân</i>",
        "reason": "Địa bàn <b>thuộc</b> Hải Xuân",
    },
    NoticeKind.EXTENSION_DECIDED: {
        "approved": True,
        "requested_due_on": date(2021, 5, 14),
        "new_due_on": date(2021, 5, 14),
        "previous_due_on": date(2021, 4, 30),
        "decision_note": "Đồng ý <i>lần này</i>",
        "reason": "Mưa <script>lớn</script>",
        "links": [("progress", "https://x.example/a/1/progress?t=a<b"), ("view", "https://x")],
        "links_expire_on": date(2021, 6, 1),
        "acting_for": "Lê <Thị> Hồng",
    },
}


def context(text: str) -> dict[str, Any]:
    return {
        "org_name": "Văn phòng HĐND và UBND thành phố Móng Cái",
        "recipient_name": "Lê Thị Hồng",
        "unit_name": "UBND xã Hải Tiến",
        "unit_code": "xa-hai-tien",
        "is_lead": True,
        "percent": 40,
        "directive": {
            "code": "MC-01",
            "title": "Sửa chữa kênh mương",
            "text": text,
            "due_on": date(2021, 3, 31),
            "original_due_on": date(2021, 3, 31),
            "meeting_title": "Buổi làm việc",
            "meeting_held_on": date(2021, 3, 9),
            "notice_number": "45/TB-UBND",
        },
    }


#: The notices about one assignment (the digest and a leader's gathered escalations have their
#: own contexts and tests below).
ABOUT_ONE = [k for k in NoticeKind if k not in (NoticeKind.DIGEST, NoticeKind.ESCALATIONS)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ABOUT_ONE)
def test_every_notice_renders_escaped_and_nfc(kind: NoticeKind, language: str) -> None:
    # Decomposed input (NFD), as some keyboards and PDFs produce: it must come out NFC.
    text = unicodedata.normalize("NFD", "<script>alert(1)</script> kênh mương loại I & II")
    mail = render(kind, language, context(text) | EXTRA[kind])
    assert mail.subject
    assert "\n" not in mail.subject
    assert "MC-01" in mail.subject
    for part in (mail.subject, mail.text, mail.html):
        assert unicodedata.is_normalized("NFC", part)
    assert "<script>alert" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "kênh mương loại I & II" in mail.text
    if kind is NoticeKind.SEND_BACK:
        assert "&lt;b&gt;biên bản&lt;/b&gt;" in mail.html
    if kind is NoticeKind.REASSIGNED_AWAY:
        assert "UBND xã &lt;i&gt;Hải Xuân&lt;/i&gt;" in mail.html
        assert "Địa bàn &lt;b&gt;thuộc&lt;/b&gt; Hải Xuân" in mail.html
    if kind is NoticeKind.EXTENSION_DECIDED:
        # Links, the acting officer and the unit's reason are all escaped in HTML.
        assert "&lt;script&gt;lớn&lt;/script&gt;" in mail.html
        assert "<script>" not in mail.html
        assert "t=a&lt;b" in mail.html
        assert "Lê &lt;Thị&gt; Hồng" in mail.html
        assert "https://x.example/a/1/progress?t=a<b" in mail.text


@pytest.mark.parametrize("level", [1, 2, 3])
def test_each_escalation_level_reads_differently(level: int) -> None:
    mail = render(
        NoticeKind.ESCALATION, "vi", context("x") | EXTRA[NoticeKind.ESCALATION] | {"level": level}
    )
    assert f"cấp {level}" in mail.subject


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    with pytest.raises(Exception, match="undefined"):
        render(NoticeKind.REMINDER, "vi", context("x"))


SUBJECT_WORDS = [
    "Đôn",
    "đốc",
    "cấp",
    "3",
    "MC-2021",
    "–",
    "Hoàn",
    "thành",
    "kế",
    "hoạch",
    "thu",
    "ngân",
    "sách…",
    "UBND",
    "xã",
    "Vạn",
    "Ninh",
    "chưa",
    "hoàn",
    "thành,",
    "đã",
    "quá",
    "hạn",
    "Phạm",
    "Văn",
    "Tâm",
    "đê",
    "biển",
    "<b>",
    "&",
]


@given(
    words=st.lists(
        st.sampled_from(SUBJECT_WORDS),
        min_size=1,
        max_size=40,
    )
)
def test_subjects_survive_the_wire_space_for_space(words: list[str]) -> None:
    """Python's header folding once dropped spaces between encoded words ("đãquá")."""
    from email import message_from_bytes
    from email import policy as email_policy

    from followup.notifications.message import build_message
    from followup.notifications.outbox import OutgoingMessage, Recipient

    subject = " ".join(w for w in words if w).strip() or "x"
    built = build_message(
        OutgoingMessage(
            id=1,
            kind="reminder",
            claim_token="t",
            attempts=0,
            recipient=Recipient("Lê Thị Hồng", "hong@mongcai.local"),
            subject=subject,
            text="Nội dung " * 40,
            html="<p>Nội dung</p>",
            message_id="<1@mongcai.local>",
            created_at=datetime(2021, 3, 9, tzinfo=UTC),
        ),
        sender_name="Văn phòng",
        sender_email="vp@mongcai.local",
        now=datetime(2021, 3, 9, 1, tzinfo=UTC),
    )
    data = built.as_bytes()
    assert message_from_bytes(data, policy=email_policy.default)["Subject"] == subject
    body_lines = data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 78
    # RFC 2047: each encoded-word of the subject is at most 75 characters, its lines 78.
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject_field = re.search(r"^Subject: .*?(?=\r\n\S)", head, re.M | re.S)
    assert subject_field is not None
    assert all(len(line) <= 78 for line in subject_field.group(0).split("\r\n"))
    assert all(len(w) <= 75 for w in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", head))


@pytest.mark.parametrize("kind", ABOUT_ONE)
def test_no_vietnamese_email_shows_a_raw_value(kind: NoticeKind) -> None:
    """(The raw values are English words: only the Vietnamese text can be checked for them.)"""
    mail = render(kind, "vi", context("Nạo vét kênh") | EXTRA.get(kind, {}))
    shown = re.sub(r"<[^>]+>", " ", mail.html)  # what the reader sees, not the markup
    assert raw_values_in(mail.subject + "\n" + mail.text + "\n" + shown) == []


def _digest_context(text: str) -> dict[str, Any]:
    from followup.domain.status import FourWay
    from followup.domain.vocabulary import label

    return {
        "org_name": "UBND thành phố Móng Cái",
        "recipient_name": "Vũ Thị Thu Hà",
        "audience": "leader",
        "day": date(2021, 3, 22),
        "since": date(2021, 3, 15),
        "until": date(2021, 3, 21),
        "kinds": [
            {"key": k.value, "colour": "#000000", "label": label(k), "label_en": label(k, "en")}
            for k in FourWay
        ],
        "rows": [
            {
                "name": text,
                "bar": bar_segments(
                    {FourWay.DONE_ON_TIME: 1, FourWay.OPEN_ON_TIME: 2, FourWay.OVERDUE: 3}, 6
                ),
                "counts": [1, 0, 2, 3],
                "total": 6,
                "rate": "16,7%",
            }
        ],
        "totals": {"counts": [1, 0, 2, 3], "total": 6, "rate": "16,7%"},
        "became_overdue": [
            {
                "code": "MC-01",
                "title": text,
                "unit": "UBND xã Vạn Ninh",
                "due_on": date(2021, 3, 16),
                "days_late": 2,
                "level": 3,
            }
        ],
        "closed": [
            {
                "code": "MC-02",
                "title": text,
                "unit": "UBND xã Hải Tiến",
                "unit_code": "xa-hai-tien",
                "closed_on": date(2021, 3, 18),
                "on_time": True,
                "has_evidence": True,
            }
        ],
        "extensions": [],
        "chain_seq": 42,
        "chain_hash": "ab" * 32,
        "links": [],
    }


def _escalations_context(text: str) -> dict[str, Any]:
    return {
        "org_name": "UBND thành phố Móng Cái",
        "recipient_name": "Vũ Thị Thu Hà",
        "day": date(2021, 3, 19),
        "items": [
            {"subject": f"[Đôn đốc cấp 3] MC-01 – {text}", "text": f"Nội dung {text}"},
            {"subject": "[Đôn đốc cấp 3] MC-02 – Thu ngân sách", "text": "Nội dung 2"},
        ],
        "links": [],
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "make"),
    [(NoticeKind.DIGEST, _digest_context), (NoticeKind.ESCALATIONS, _escalations_context)],
)
def test_digests_and_gathered_escalations_render_escaped_and_nfc(
    kind: NoticeKind, make: Any, language: str
) -> None:
    text = unicodedata.normalize("NFD", "<script>alert(1)</script> kênh mương loại I & II")
    mail = render(kind, language, make(text))
    assert mail.subject
    assert "\n" not in mail.subject
    for part in (mail.subject, mail.text, mail.html):
        assert unicodedata.is_normalized("NFC", part)
    assert "<script>alert" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "kênh mương loại I & II" in mail.text
    if language == "vi":
        shown = re.sub(r"<[^>]+>", " ", mail.html)
        assert raw_values_in(mail.subject + "\n" + mail.text + "\n" + shown) == []
    if kind is NoticeKind.DIGEST:
        assert 'title="Quá hạn: 3"' in mail.html  # the bars, with their numbers
        assert "followup audit verify --against " + "ab" * 32 in mail.text
        assert "followup evidence get MC-02 xa-hai-tien" in mail.text
    else:
        assert mail.text.count("MC-0") == 2  # each item listed once
        assert "Nội dung 2" in mail.text  # then told in detail


_PERSON = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30
)


_DIRECTIVE = st.fixed_dictionaries(
    {
        "code": _PERSON,
        "title": _PERSON,
        # Lines in any of the ways str.splitlines() breaks them, markup, accents, empty lines.
        "text": st.lists(_PERSON, max_size=4).flatmap(
            lambda lines: st.sampled_from(["\n", "\r\n", "\u2028", "\n\n"]).map(
                lambda sep: sep.join(lines)
            )
        ),
        "meeting_title": _PERSON,
        "notice_number": _PERSON,
    }
)


@pytest.mark.parametrize("language", LANGUAGES)
@given(unit=_PERSON, directive=_DIRECTIVE)
def test_any_names_and_directive_texts_render_escaped_and_nfc(
    language: str, unit: str, directive: dict[str, str]
) -> None:
    """Whatever a unit is called and a directive says (markup, accents in any normal form,
    every kind of line break, empty), the notice is NFC and its HTML holds no tag of theirs."""
    marked = f"{unit}<script>x</script>"
    ctx = context("Nội dung") | EXTRA[NoticeKind.ESCALATION] | {"unit_name": marked}
    ctx["directive"] = ctx["directive"] | directive | {"title": directive["title"] + "<b>"}
    mail = render(NoticeKind.ESCALATION, language, ctx)
    for part in (mail.subject, mail.text, mail.html):
        assert unicodedata.is_normalized("NFC", part)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<b>" not in mail.html  # the templates use none: any would be the title's
    assert unicodedata.normalize("NFC", unit).strip() in mail.text
