"""Shared fixtures: real databases (a SQLite file and a fresh PostgreSQL database per test),
a real SMTP server on loopback, and a clock that moves without sleeping."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.domain.clock import LOCAL_TZ, ManualClock
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.meetings import meeting_from_file
from tests.helpers import TEST_LINK_SECRET
from tests.smtp import SmtpServer

#: The browser fixtures (`chromium`) for every module that drives Chromium.
pytest_plugins = ["tests.browser"]

DATA = Path(__file__).parent / "data"

# Property tests check what holds, not how fast: Hypothesis's default 200 ms deadline per
# example is a wall-clock assertion, and fails on a busy 2-core machine.
hypothesis_settings.register_profile("followup", deadline=None)
hypothesis_settings.load_profile("followup")
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


def create_postgres_database(*, template: str | None = None) -> str:
    """A new, uniquely named PostgreSQL database (a copy of `template`'s if given)."""
    name = f"followup_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_ready: None) -> Iterator[str]:
    """An empty PostgreSQL database, not migrated (for the tests of migrating itself)."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


# Migrating takes 1-5 s and a test often 0.05 s: each test process migrates one database of
# each kind once and every test gets a copy of it (a file copy, `CREATE DATABASE … TEMPLATE`).
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "followup.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_ready: None) -> Iterator[str]:
    url = create_postgres_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


#: Why a test runs on PostgreSQL as well as SQLite: what the two databases do differently.
POSTGRES_MATTERS = {
    "locking": "row locks and SKIP LOCKED: two processes at once",
    "constraints": "a unique key or ON CONFLICT decides who wins",
    "triggers": "the audit table refuses UPDATE and DELETE",
    "migrations": "each migration runs on both",
    "types": "timestamps, JSON and text come back as they were written",
    "sql": "queries whose SQL differs by dialect (dates, grouping, case)",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test on `database_url` runs on SQLite; one marked `postgres_matters(reason)` runs
    on PostgreSQL too, the reason one of POSTGRES_MATTERS."""
    if "database_url" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("postgres_matters")
    params: list[Any] = ["sqlite"]
    if marker is not None:
        reasons = set(marker.args)
        if not reasons or not reasons <= POSTGRES_MATTERS.keys():
            raise pytest.UsageError(
                f"{metafunc.definition.nodeid}: postgres_matters takes reasons among "
                f"{sorted(POSTGRES_MATTERS)}, not {sorted(reasons)}"
            )
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    metafunc.parametrize("database_url", params, indirect=True)


@pytest.fixture
def migrated_postgres_url(postgres_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database of its own, for a test that only means PostgreSQL."""
    url = create_postgres_database(template=postgres_template)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own: a SQLite file, or a PostgreSQL database (see
    `pytest_generate_tests`), copied from the test process's migrated template."""
    if request.param == "sqlite":
        path = tmp_path / "followup.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    yield request.getfixturevalue("migrated_postgres_url")


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
    from followup.services.write.units import load_units_file

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


#: Modules run first, longest first (as measured on two cores; the demo's test runs the demo
#: unless CI gave it the output of one): with tests spread over processes (`make test` runs
#: `pytest -n auto --dist loadscope --no-loadscope-reorder`, keeping this order), the suite
#: ends when its longest module does, so the long ones must not be left for last.
_FIRST = (
    "tests/test_demo.py",
    "tests/flows/test_directive_flow.py",
    "tests/flows/test_meeting_review.py",
    "tests/flows/test_prefect_ui.py",
    "tests/desk/",
    "tests/flows/",
    "tests/integration/test_dispatch_crash.py",
    "tests/test_demo_stops.py",
    "tests/integration/test_outage.py",
    "tests/integration/test_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        on_databases = {"database_url", "postgres_url", "migrated_postgres_url"}
        if item.get_closest_marker("postgres_matters") and not fixtures & on_databases:
            raise pytest.UsageError(
                f"{item.nodeid}: postgres_matters needs a database fixture (database_url)"
            )

    def rank(item: pytest.Item) -> int:
        return next(
            (i for i, prefix in enumerate(_FIRST) if item.nodeid.startswith(prefix)), len(_FIRST)
        )

    items.sort(key=rank)  # stable: the order within each rank is kept
