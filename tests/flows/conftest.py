"""A real Prefect server on PostgreSQL with `followup serve`, and a context beside it: one
of each per test process (starting them takes about 15 s). Every test opens directives of
its own, with codes of their own, so the tests share them without seeing each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from followup.services.context import ServiceContext
from tests.prefect_stack import PrefectStack, started_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres_ready: None) -> Iterator[PrefectStack]:
    with started_stack(tmp_path_factory.mktemp("prefect")) as running:
        yield running


@pytest.fixture(autouse=True)
def prefect_api(stack: PrefectStack) -> Iterator[None]:
    """This process's Prefect client talks to the stack's server during a flows test only:
    the other tests of the same process must not wake runs on it."""
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        yield


@pytest.fixture(scope="session")
def ctx(stack: PrefectStack) -> Iterator[ServiceContext]:
    context = stack.context()
    yield context
    context.close()
