"""A real headless Chromium (Debian's package, driven by Playwright) and the commune pages
served by a real uvicorn on loopback."""

from __future__ import annotations

import contextvars
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from followup.config import Settings
from followup.services.context import ServiceContext
from followup.web.app import asgi
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


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
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


class WebServer:
    """`followup web` in a thread: the same ASGI app, on a free loopback port."""

    def __init__(self, settings: Settings, ctx: ServiceContext) -> None:
        config = uvicorn.Config(
            asgi(settings, ctx), host="127.0.0.1", port=self.port_of(settings), log_level="warning"
        )
        self.server = uvicorn.Server(config)
        # The server's thread sees the caller's context (a temporary PREFECT_API_URL, say).
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self.server.run,), daemon=True)

    @staticmethod
    def port_of(settings: Settings) -> int:
        return int(settings.base_url.rsplit(":", 1)[1])

    def __enter__(self) -> WebServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the web server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def web_base_url() -> str:
    return f"http://127.0.0.1:{free_port()}"
