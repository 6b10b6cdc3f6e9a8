"""Prefect's server on a real SQLite file: transactions that read, then write, at the same
time. Begun as Prefect begins them, all but one fail at once with "database is locked" (the
503 a coordinator's Resume met); begun IMMEDIATE, as the desk makes them, each waits its turn
and every write lands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from prefect.server.database.configurations import AioSqliteConfiguration
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL, temporary_settings

from followup.desk.sqlite_writes import begin_sqlite_transactions_immediate

WRITERS = 6


async def _read_then_write(path: Path) -> tuple[int, list[str]]:
    """Rows written and the errors met by `WRITERS` transactions that each read, pause, then
    write, all at once."""
    config = AioSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{path}")
    engine = await config.engine()
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS state (n INTEGER)"))
    errors: list[str] = []

    async def writer(n: int) -> None:
        session = await config.session(engine)
        async with session:
            try:
                async with config.begin_transaction(session):
                    await session.execute(sa.text("SELECT count(*) FROM state"))
                    await asyncio.sleep(0.05)  # another writer commits meanwhile
                    await session.execute(sa.text("INSERT INTO state VALUES (:n)"), {"n": n})
            except sa.exc.OperationalError as exc:
                errors.append(str(exc.orig))

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT count(*) FROM state"))).scalar_one()
    await engine.dispose()
    return rows, errors


@pytest.fixture
def restore_prefect(monkeypatch: pytest.MonkeyPatch) -> None:
    """The change is made for the whole process (the desk's): undone after the test."""
    monkeypatch.setattr(
        AioSqliteConfiguration, "begin_transaction", AioSqliteConfiguration.begin_transaction
    )


def test_transactions_that_read_then_write_fail_as_prefect_begins_them(
    tmp_path: Path, restore_prefect: None
) -> None:
    rows, errors = asyncio.run(_read_then_write(tmp_path / "prefect.db"))
    assert errors, "the race did not happen: the test proves nothing"
    assert all("database is locked" in e for e in errors), errors
    assert rows == WRITERS - len(errors)


def test_begun_immediate_every_write_waits_its_turn_and_lands(
    tmp_path: Path, restore_prefect: None
) -> None:
    assert begin_sqlite_transactions_immediate() is True
    assert begin_sqlite_transactions_immediate() is True  # once, however often it is asked
    rows, errors = asyncio.run(_read_then_write(tmp_path / "prefect.db"))
    assert errors == []
    assert rows == WRITERS


def test_prefect_on_postgresql_is_left_as_it_is(restore_prefect: None) -> None:
    original = AioSqliteConfiguration.begin_transaction
    url = "postgresql+asyncpg://127.0.0.1:5432/prefect"
    with temporary_settings({PREFECT_API_DATABASE_CONNECTION_URL: url}):
        assert begin_sqlite_transactions_immediate() is False
    assert AioSqliteConfiguration.begin_transaction is original
