"""A real Prefect server on PostgreSQL with `followup serve`, and a context beside it: one
of each per test process (starting them takes about 15 s). Every test opens directives of
its own, with codes of their own, so the tests share them without seeing each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.services.context import ServiceContext
from followup.services.write.units import load_units_file
from tests.browser import chromium
from tests.conftest import (
    DATA,
    TEST_LINK_SECRET,
    create_postgres_database,
    drop_postgres_database,
)
from tests.prefect_stack import PrefectStack
from tests.smtp import SmtpServer

__all__ = ["chromium"]  # the browser fixture, used by the e-mail-to-browser test


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres_ready: None) -> Iterator[PrefectStack]:
    url = create_postgres_database()
    # Prefect's own database on PostgreSQL too, as in production: its flows run several
    # times faster than on the SQLite file of the embedded default.
    prefect_url = create_postgres_database()
    smtp = SmtpServer()
    smtp.start()
    stack = PrefectStack(
        tmp_path_factory.mktemp("prefect"), url, smtp, prefect_database_url=prefect_url
    )
    try:
        upgrade(url)
        stack.start_server(ui=True)  # the coordinator's desk is tested in it
        stack.start_serving()
        yield stack
    finally:
        stack.stop()
        smtp.stop()
        drop_postgres_database(url)
        drop_postgres_database(prefect_url)


@pytest.fixture(autouse=True)
def prefect_api(stack: PrefectStack) -> Iterator[None]:
    """This process's Prefect client talks to the stack's server during a flows test only:
    the other tests of the same process must not wake runs on it."""
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        yield


@pytest.fixture(scope="session")
def ctx(stack: PrefectStack) -> Iterator[ServiceContext]:
    context = ServiceContext.from_settings(
        Settings(database_url=stack.database_url, link_secret=TEST_LINK_SECRET)
    )
    load_units_file(context, DATA / "units.toml", actor="test")
    yield context
    context.close()
