"""The desk with sign-in on: a Prefect server behind `followup desk`'s gate, `followup serve`
with the service credential, and two people (a coordinator and a viewer)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import AddAccount
from followup.services.write.units import load_units_file
from tests.browser import chromium
from tests.conftest import DATA, TEST_LINK_SECRET, create_postgres_database, drop_postgres_database
from tests.prefect_stack import PrefectStack
from tests.smtp import SmtpServer

__all__ = ["chromium"]


@dataclass(frozen=True)
class Account:
    login: str
    password: str
    name: str
    role: str

    @property
    def credential(self) -> str:
        return f"{self.login}:{self.password}"

    @property
    def header(self) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(self.credential.encode()).decode()}


COORDINATOR = Account("an.nv", "kenh-muong-2026-an", "Nguyễn Văn An", "coordinator")
VIEWER = Account("xem.lt", "de-bien-2026-xem!", "Lê Thị Xem", "viewer")
SERVICE = "followup-service:" + secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory, postgres_ready: None) -> Iterator[PrefectStack]:
    url = create_postgres_database()
    prefect_url = create_postgres_database()
    smtp = SmtpServer()
    smtp.start()
    stack = PrefectStack(
        tmp_path_factory.mktemp("desk"), url, smtp, prefect_database_url=prefect_url
    )
    stack.extra_env |= {
        "PREFECT_SERVER_API_AUTH_STRING": SERVICE,
        "PREFECT_API_AUTH_STRING": SERVICE,
    }
    try:
        upgrade(url)
        stack.start_server(ui=True)
        stack.start_serving()
        yield stack
    finally:
        stack.stop()
        smtp.stop()
        drop_postgres_database(url)
        drop_postgres_database(prefect_url)


@pytest.fixture(autouse=True)
def service_api(desk: PrefectStack) -> Iterator[None]:
    """This process's Prefect client is the service (as the CLI and `followup web` are)."""
    with temporary_settings({PREFECT_API_URL: desk.api_url, PREFECT_API_AUTH_STRING: SERVICE}):
        yield


@pytest.fixture(scope="session")
def ctx(desk: PrefectStack) -> Iterator[ServiceContext]:
    context = ServiceContext.from_settings(
        Settings(database_url=desk.database_url, link_secret=TEST_LINK_SECRET)
    )
    load_units_file(context, DATA / "units.toml", actor="test")
    for person in (COORDINATOR, VIEWER):
        execute(
            context,
            AddAccount(
                login=person.login,
                person=person.name,
                unit_code="ubnd-tp",
                role=person.role,
                password=person.password,
                actor="test",
            ),
        )
    yield context
    context.close()
