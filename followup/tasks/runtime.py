"""One service context per process for flow runs (flow runs are processes of their own)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from followup.config import Settings
from followup.db.migrate import check_ready
from followup.services.context import ServiceContext
from followup.services.ports import RunWaker


@cache
def settings() -> Settings:
    return Settings()


@cache
def context() -> ServiceContext:
    """The context a run's tasks share; commands it executes wake no run (a directive's run
    reconciles itself next), except through `waking_context`. A database that is missing
    or not migrated fails the run at once, saying so (not later with "no such table")."""
    ctx = ServiceContext.from_settings(settings())
    try:
        check_ready(settings().database_url, ctx.engine)
    except Exception:
        ctx.close()  # not cached: a retry in this process would open another engine
        raise
    return ctx


def waking_context(waker: RunWaker) -> ServiceContext:
    """The shared context with a waker: for flows that start or wake other runs."""
    return replace(context(), waker=waker)
