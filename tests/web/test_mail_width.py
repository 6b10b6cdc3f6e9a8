"""E-mails in a real Chromium at a phone's 390 px and a 1,000-pixel window: the leader's
gathered escalations show each signed link (about 195 characters) as a short anchor, and the
digest's chart is bars with names and numbers that fit."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from followup.domain.status import FourWay
from followup.domain.vocabulary import NoticeKind, label
from followup.notifications.chart import HEX, bar_segments
from followup.notifications.render import render
from tests.unit.test_render import EXTRA, context

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


def _digest() -> str:
    rows = [
        ("UBND xã Quảng Nghĩa", {FourWay.DONE_ON_TIME: 4, FourWay.OVERDUE: 2}),
        (
            "UBND xã Hải Tiến",
            {FourWay.DONE_ON_TIME: 2, FourWay.DONE_LATE: 1, FourWay.OPEN_ON_TIME: 3},
        ),
        ("UBND xã Vạn Ninh", {FourWay.OPEN_ON_TIME: 1, FourWay.OVERDUE: 4}),
        ("Phòng Nông nghiệp và Phát triển nông thôn", {FourWay.OPEN_ON_TIME: 1}),
    ]
    largest = max(sum(c.values()) for _n, c in rows)
    return render(
        NoticeKind.DIGEST,
        "vi",
        {
            "org_name": "Văn phòng HĐND và UBND thành phố Móng Cái",
            "recipient_name": "Vũ Thị Thu Hà",
            "audience": "coordinator",
            "day": date(2021, 3, 22),
            "since": date(2021, 3, 19),
            "until": date(2021, 3, 21),
            "kinds": [{"colour": HEX[k], "label": label(k)} for k in FourWay],
            "rows": [
                {
                    "name": name,
                    "bar": bar_segments(counts, largest),
                    "counts": [counts.get(k, 0) for k in FourWay],
                    "total": sum(counts.values()),
                    "rate": "-",
                }
                for name, counts in rows
            ],
            "totals": {"counts": [6, 1, 5, 6], "total": 18, "rate": "33,3%"},
            "became_overdue": [],
            "closed": [],
            "extensions": [],
            "chain_seq": 42,
            "chain_hash": "ab" * 32,
            "links": [],
        },
    ).html


@pytest.mark.parametrize("width", [390, 1000])
def test_the_digest_chart_reads_on_its_own_and_fits(
    chromium: Browser, width: int, tmp_path: Path
) -> None:
    page = chromium.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_content(_digest())
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Each bar is named and carries its numbers, in the kinds' colours.
    page.get_by_text("UBND xã Vạn Ninh (tổng 5)").wait_for()
    overdue = page.locator(f'td[title="{label(FourWay.OVERDUE)}: 4"]')
    assert overdue.inner_text() == "4"
    assert overdue.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"
    shots = Path(os.environ.get("FOLLOWUP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shots / f"digest-email-{width}.png", full_page=True)
