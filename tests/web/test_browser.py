"""The pages in a real Chromium: a phone-sized screen, the form, the result, the language."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from followup.config import Settings
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.meetings import meeting_from_file
from tests.browser import WebServer, web_base_url
from tests.conftest import TEST_LINK_SECRET, make_context
from tests.helpers import HAI_TIEN
from tests.web.conftest import links_in


@pytest.fixture
def site(database_url: str, clock: object, tmp_path: Path) -> Iterator[ServiceContext]:
    """The test organisation and meeting, with links pointing at a live server."""
    from followup.services.write.units import load_units_file
    from tests.conftest import DATA

    base = web_base_url()
    ctx = make_context(database_url, clock, base_url=base)  # type: ignore[arg-type]
    settings = Settings(
        database_url=database_url,
        link_secret=TEST_LINK_SECRET,
        base_url=base,
        evidence_dir=tmp_path / "evidence",
    )
    load_units_file(ctx, DATA / "units.toml", actor="test")
    execute(ctx, meeting_from_file(DATA / "meeting.toml", actor="test"))
    with WebServer(settings, ctx):
        yield ctx
    ctx.close()


def assignment_links(ctx: ServiceContext, recipient: str = "vanphong.haitien") -> dict[str, str]:
    from sqlalchemy import select

    from followup.db.models import Notice

    with ctx.session_factory() as session:
        body = session.execute(
            select(Notice.body_text).where(
                Notice.kind == "assignment", Notice.recipient_email.startswith(recipient)
            )
        ).scalar_one()
    base = ctx.base_url
    return {k: base + v for k, v in links_in(body).items()}


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(8000)
    yield page
    context.close()


def test_acknowledge_on_a_phone(site: ServiceContext, phone: Page) -> None:
    links = assignment_links(site)
    phone.goto(links["acknowledge"])
    heading = phone.get_by_role("heading", level=1)
    assert "Sửa chữa kênh mương, đê biển" in heading.inner_text()
    # The directive text is shown as text, angle brackets and all.
    assert "<trước>" in phone.locator(".text").inner_text()
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    note = phone.get_by_label("Ghi chú (không bắt buộc)")
    note.fill("Đã phân công đồng chí Hồng theo dõi")
    shots = os.environ.get("FOLLOWUP_SCREENSHOT_DIR")
    if shots:
        phone.screenshot(path=str(Path(shots) / "confirm-page.png"), full_page=True)
    phone.get_by_role("button", name="Xác nhận tiếp nhận").click()
    assert "Đã ghi nhận" in phone.get_by_role("status").inner_text()
    with site.session_factory() as session:
        from followup.services.queries import lock_assignment

        assert lock_assignment(session, HAI_TIEN).state == ("acknowledged")
    # Back in the e-mail, the same link now says it was used.
    phone.goto(links["acknowledge"])
    assert "đã được dùng" in phone.get_by_role("alert").inner_text()


def test_english_and_required_fields(site: ServiceContext, phone: Page) -> None:
    links = assignment_links(site)
    phone.goto(links["view"] + "&lang=en")
    assert phone.locator("html").get_attribute("lang") == "en"
    phone.get_by_role("link", name="Acknowledge").click()
    phone.get_by_role("button", name="Acknowledge").click()
    assert "Recorded" in phone.get_by_role("heading", level=1).inner_text()
    phone.get_by_role("link", name="See the unit's assignments").click()
    phone.get_by_role("link", name="Report progress").click()
    # The browser itself holds back an empty required field: nothing is sent.
    phone.get_by_role("button", name="Send the progress report").click()
    assert phone.get_by_label("Share done (%)").evaluate("e => e.validity.valueMissing")
    phone.get_by_label("Share done (%)").fill("35")
    phone.get_by_label("What was done, difficulties, proposals").fill("Nạo vét 1,2 km kênh")
    phone.get_by_role("button", name="Send the progress report").click()
    assert "35%" in phone.get_by_role("status").inner_text()


def test_two_links_opened_from_webmail_both_act(site: ServiceContext, chromium: Browser) -> None:
    """A link clicked in webmail opens in a tab of its own, arriving from another site. The
    second one opened must not take the first tab's confirmation away from it."""
    first = assignment_links(site)["acknowledge"]
    second = assignment_links(site, "vanphong.haixuan")["acknowledge"]
    context = chromium.new_context()
    try:
        context.route(
            "http://webmail.test/**",
            lambda route: route.fulfill(
                content_type="text/html; charset=utf-8",
                body=f'<a id="mot" href="{first}" target="_blank">1</a>'
                f'<a id="hai" href="{second}" target="_blank">2</a>',
            ),
        )
        context.set_default_timeout(8000)
        mail = context.new_page()
        mail.goto("http://webmail.test/hop-thu")
        tabs = []
        for link in ("#mot", "#hai"):
            with context.expect_page() as opened:
                mail.click(link)
            tab = opened.value
            tab.wait_for_load_state()
            tabs.append(tab)
        for tab in tabs:  # the first tab opened is sent first
            tab.get_by_role("button", name="Xác nhận tiếp nhận").click()
            assert "Đã ghi nhận" in tab.get_by_role("status").inner_text()
    finally:
        context.close()
