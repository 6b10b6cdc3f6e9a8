"""A real headless Chromium (Debian's package, driven by Playwright) and the commune pages
served by a real uvicorn on loopback."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from followup.config import Settings
from followup.services.context import ServiceContext
from followup.web.app import serving
from tests.smtp import free_port

CHROMIUM = os.environ.get("FOLLOWUP_TEST_CHROMIUM") or shutil.which("chromium") or ""
REQUIRE_BROWSER = os.environ.get("FOLLOWUP_TEST_REQUIRE_BROWSER") == "1"
#: As the environment notes say: without these, Chromium keeps calling out of a closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Prefect's run graph is drawn with WebGL, which Chromium without a GPU draws on the CPU:
#: half of the browser's CPU in the desk tests, for a picture no test reads. Screenshots
#: taken for the docs (FOLLOWUP_SCREENSHOTS set) draw it.
if not os.environ.get("FOLLOWUP_SCREENSHOTS"):
    FLAGS.append("--disable-3d-apis")


@pytest.fixture(scope="module")
def chromium_process() -> Iterator[Browser]:
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in the
    thread while it is open, and later tests that call asyncio.run() must not see it."""
    if not CHROMIUM or not Path(CHROMIUM).exists():
        message = "Chromium is not installed (apt-get install chromium); browser tests need it"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (FOLLOWUP_TEST_REQUIRE_BROWSER=1: they are mandatory)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def chromium(chromium_process: Browser) -> Iterator[Browser]:
    """The browser, with every page a test opened closed after it: an open Prefect UI page
    keeps polling the server and redrawing, and left open it was the suite's largest use of
    the CPU (more than the flow runs themselves)."""
    yield chromium_process
    for context in chromium_process.contexts:
        context.close()


def WebServer(settings: Settings, ctx: ServiceContext) -> AbstractContextManager[None]:
    """`followup web` in a thread on the port of `settings.base_url` (see `web.app.serving`)."""
    port = int(settings.base_url.rsplit(":", 1)[1])
    return serving(settings.model_copy(update={"web_host": "127.0.0.1", "web_port": port}), ctx)


def web_base_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


#: Each table's width beyond what its box shows (the UI hides the scroll bar of a table
#: wider than the page, so a column past the edge is simply not seen).
HIDDEN_WIDTHS = """() => [...document.querySelectorAll('table')].flatMap((table) => {
    let box = table.parentElement;
    while (box && !['auto', 'scroll', 'hidden'].includes(getComputedStyle(box).overflowX)) {
        box = box.parentElement;
    }
    const right = table.getBoundingClientRect().right;
    const cut = Math.max(box ? box.scrollWidth - box.clientWidth : 0, right - innerWidth);
    return cut > 1 ? [`${table.innerText.split('\\n')[0]}: ${Math.round(cut)} px`] : [];
})"""


def hidden_widths(page: Page) -> list[str]:
    """What the artifact's tables hide past their edge (none when they fit)."""
    return list(page.evaluate(HIDDEN_WIDTHS))
