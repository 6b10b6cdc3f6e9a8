"""Shared fixtures: real databases (a SQLite file and a fresh PostgreSQL database per test),
a real SMTP server on loopback, and a clock that moves without sleeping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.domain.clock import LOCAL_TZ, ManualClock
from followup.services.bus import execute
from followup.services.context import ServiceContext
from followup.services.meetings import meeting_from_file
from tests.helpers import TEST_LINK_SECRET
from tests.smtp import SmtpServer

DATA = Path(__file__).parent / "data"
ADMIN_URL = os.environ.get(
    "FOLLOWUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("FOLLOWUP_TEST_REQUIRE_POSTGRES") == "1"


def _admin_dsn() -> str:
    url = make_url(ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(_admin_dsn(), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_ready() -> None:
    problem = _postgres_available()
    if problem is None:
        return
    message = f"PostgreSQL at {ADMIN_URL} is unreachable: {problem}"
    if REQUIRE_POSTGRES:
        pytest.fail(message + " (FOLLOWUP_TEST_REQUIRE_POSTGRES=1: these tests are mandatory)")
    pytest.skip(message)


def create_postgres_database() -> str:
    name = f"followup_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_ready: None) -> Iterator[str]:
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'followup.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    upgrade(url)
    yield url


START = datetime(2021, 3, 9, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_context(url: str, clock: ManualClock, **overrides: Any) -> ServiceContext:
    overrides.setdefault("link_secret", TEST_LINK_SECRET)
    settings = Settings(database_url=url, **overrides)
    return ServiceContext.from_settings(settings, clock=clock)


@pytest.fixture
def ctx(database_url: str, clock: ManualClock) -> Iterator[ServiceContext]:
    context = make_context(database_url, clock)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def loaded(ctx: ServiceContext) -> ServiceContext:
    """The test organisation and meeting (two directives, three assignments)."""
    from followup.services.units import load_units_file

    load_units_file(ctx, DATA / "units.toml", actor="test")
    execute(ctx, meeting_from_file(DATA / "meeting.toml", actor="test"))
    return ctx


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


#: Modules run first, longest first: with tests spread over processes (`make test` runs
#: `pytest -n auto --dist loadscope`), the suite ends when its longest module does.
_FIRST = ("tests/test_demo.py", "tests/flows/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, prefix in enumerate(_FIRST) if item.nodeid.startswith(prefix)), len(_FIRST)
        )

    items.sort(key=rank)  # stable: the order within each rank is kept
