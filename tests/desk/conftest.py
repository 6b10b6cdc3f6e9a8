"""The desk with sign-in on: a Prefect server behind `followup desk`'s gate, `followup serve`
with the service credential, and two people (a coordinator and a viewer)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import AddAccount
from tests.prefect_stack import PrefectStack, started_stack


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
    credentials = {"PREFECT_SERVER_API_AUTH_STRING": SERVICE, "PREFECT_API_AUTH_STRING": SERVICE}
    with started_stack(tmp_path_factory.mktemp("desk"), **credentials) as running:
        yield running


@pytest.fixture(autouse=True)
def service_api(desk: PrefectStack) -> Iterator[None]:
    """This process's Prefect client is the service (as the CLI and `followup web` are)."""
    with temporary_settings({PREFECT_API_URL: desk.api_url, PREFECT_API_AUTH_STRING: SERVICE}):
        yield


@pytest.fixture(scope="session")
def ctx(desk: PrefectStack) -> Iterator[ServiceContext]:
    context = desk.context()
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
