"""The demo's local Prefect setup, pointed at a test database and a test SMTP server."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import certifi
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun
from sqlalchemy import make_url

from followup.config import Settings
from followup.db.migrate import upgrade
from followup.demo.local_prefect import LocalPrefect
from followup.services.context import ServiceContext
from followup.services.write.units import load_units_file
from tests.conftest import DATA, create_postgres_database, drop_postgres_database
from tests.helpers import TEST_LINK_SECRET
from tests.smtp import SmtpServer

#: The project root (the tests run from a checkout; followup itself does not need one).
ROOT = Path(__file__).resolve().parents[1]


#: One TLS context for every client the tests open. Prefect builds one per client, loading the
#: CA bundle each time (about 40 ms of CPU), and the tests open hundreds while they poll runs.
_TLS = ssl.create_default_context(cafile=certifi.where())


def prefect_client() -> SyncPrefectClient:
    """A synchronous client of the current Prefect API (close it: use it in `with`)."""
    return get_client(sync_client=True, httpx_settings={"verify": _TLS})


def asyncpg_url(url: str) -> str:
    """The URL of a PostgreSQL database as Prefect's server opens it (asyncpg)."""
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


class PrefectStack(LocalPrefect):
    def __init__(
        self,
        home: Path,
        database_url: str,
        smtp: SmtpServer,
        *,
        prefect_database_url: str | None = None,
    ) -> None:
        server = (
            {"PREFECT_API_DATABASE_CONNECTION_URL": asyncpg_url(prefect_database_url)}
            if prefect_database_url
            else {}
        )
        super().__init__(
            home,
            **server,
            FOLLOWUP_DATABASE_URL=database_url,
            FOLLOWUP_LINK_SECRET=TEST_LINK_SECRET,
            FOLLOWUP_SMTP_PORT=str(smtp.port),
            FOLLOWUP_SMTP_TIMEOUT_SECONDS="2",
            FOLLOWUP_SMTP_RETRY_BASE_SECONDS="1",
        )
        self.database_url = database_url
        self.smtp = smtp

    def context(self) -> ServiceContext:
        """A context on the stack's database, with the test units loaded (close it after)."""
        context = ServiceContext.from_settings(
            Settings(database_url=self.database_url, link_secret=TEST_LINK_SECRET)
        )
        load_units_file(context, DATA / "units.toml", actor="test")
        return context

    def run(self, run_id: str) -> FlowRun:
        with prefect_client() as client:
            return client.read_flow_run(UUID(run_id))

    def wait_for_run(
        self, run_id: str, check: Callable[[FlowRun], bool], timeout: float = 90
    ) -> FlowRun:
        deadline = time.monotonic() + timeout
        last: FlowRun | None = None
        while time.monotonic() < deadline:
            last = self.run(run_id)
            if check(last):
                return last
            time.sleep(0.3)
        state = last.state if last else None
        raise TimeoutError(f"run {run_id} never got there; last {state!r}\n{self.serve_log()}")


@contextmanager
def started_stack(home: Path, **env: str) -> Iterator[PrefectStack]:
    """A Prefect server with its UI and `followup serve`, both databases on PostgreSQL (as in
    production: its flows run several times faster than on the embedded SQLite file), a test
    SMTP server, and `env` added to every process; all of it stopped and dropped after."""
    url = create_postgres_database()
    prefect_url = create_postgres_database()
    smtp = SmtpServer()
    smtp.start()
    stack = PrefectStack(home, url, smtp, prefect_database_url=prefect_url)
    stack.extra_env |= env
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
