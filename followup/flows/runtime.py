"""One service context per process for flow runs (flow runs are processes of their own)."""

from __future__ import annotations

from functools import cache

from followup.config import Settings
from followup.services.context import ServiceContext


@cache
def settings() -> Settings:
    return Settings()


@cache
def context() -> ServiceContext:
    return ServiceContext.from_settings(settings())
