"""The leader's gathered escalation e-mail fits a phone and a 1,000-pixel window in a real
Chromium: each signed link (about 195 characters) is a short anchor, not printed whole."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser

from followup.domain.vocabulary import NoticeKind
from followup.notifications.render import render
from tests.browser import chromium
from tests.unit.test_render import EXTRA, context

__all__ = ["chromium"]

LINK = "https://phuongxa.mongcai.gov.vn/a/" + "x" * 120 + "/view?t=" + "Ab9_" * 10


def _gathered() -> str:
    one = render(
        NoticeKind.ESCALATION,
        "vi",
        context("Tu sửa kênh mương, đê biển trước mùa mưa bão")
        | EXTRA[NoticeKind.ESCALATION]
        | {"level": 3, "links": [("view", LINK)], "links_expire_on": date(2021, 4, 30)},
    )
    assert LINK in one.text  # the item's text carries the whole link
    mail = render(
        NoticeKind.ESCALATIONS,
        "vi",
        {
            "org_name": "Văn phòng HĐND và UBND thành phố Móng Cái",
            "recipient_name": "Vũ Thị Thu Hà",
            "day": date(2021, 3, 19),
            "items": [{"subject": one.subject, "text": one.text}] * 3,
            "links": [],
        },
    )
    assert f'href="{LINK}"' in mail.html  # still there to click
    assert f">{LINK}<" not in mail.html
    return mail.html


@pytest.mark.parametrize("width", [390, 1000])
def test_the_gathered_escalations_fit_the_screen(chromium: Browser, width: int) -> None:
    page = chromium.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_content(_gathered())
    assert page.get_by_text("mở liên kết").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= width
