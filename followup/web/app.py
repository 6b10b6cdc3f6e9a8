"""The commune pages (FastAPI + Jinja2), assembled: what a unit opens from its e-mail.

- GET /a/{assignment}/{action}?t=… shows the directive and a form (`routes.confirm`).
- POST to the same address acts once (`routes.act`, `acting`).
- GET /u/{unit}?t=… lists the unit's open assignments with fresh action links
  (`routes.unit`).

A refused link (forged, expired, replayed, another unit's, wrong action), a failed CSRF check
and a refused evidence file each get a clear page, a 4xx and an audit event (`refusals`).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from followup.config import Settings
from followup.domain.errors import FollowupError
from followup.services.context import ServiceContext
from followup.web.deps import WebDeps
from followup.web.limits import LimitBody
from followup.web.routes import act, confirm, errors, health, unit


def create_app(settings: Settings, ctx: ServiceContext | None = None) -> FastAPI:
    """The app; `ctx` (tests, the demo) shares a context, else one is made from settings."""
    deps = WebDeps.build(settings, ctx)
    app = FastAPI(title="followup — commune pages", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    for router in (health.router, confirm.router, act.router, unit.router):
        app.include_router(router)
    errors.install(app)
    return app


def asgi(settings: Settings, ctx: ServiceContext | None = None) -> ASGIApp:
    """The app behind the body-size limit: what `followup web` serves."""
    app = create_app(settings, ctx)
    deps: WebDeps = app.state.deps
    return LimitBody(app, deps.body_limit)


@contextmanager
def serving(settings: Settings, ctx: ServiceContext | None = None) -> Iterator[None]:
    """`followup web` in a thread of this process, on `settings.web_host:web_port`, for as
    long as the block runs (the demo, the browser tests, the benchmark). The thread sees
    the caller's context, so a temporary PREFECT_API_URL reaches the nudges."""
    server = uvicorn.Server(
        uvicorn.Config(
            asgi(settings, ctx),
            host=settings.web_host,
            port=settings.web_port,
            log_level="warning",
            access_log=False,
        )
    )
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(server.run,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise FollowupError(
                f"Không mở được trang cho đơn vị ở {settings.base_url} (cổng đang bận?); "
                "đặt FOLLOWUP_WEB_PORT sang cổng khác."
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
