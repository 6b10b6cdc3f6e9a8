"""Prefect's server on its embedded SQLite file: every transaction takes the write lock when
it begins, so two writers wait for each other instead of one failing.

Prefect begins most of its transactions DEFERRED: they read first and take the write lock at
their first write. In WAL mode, SQLite cannot let such a transaction wait for another writer
(the rows it read may have changed meanwhile), so it fails at once with "database is locked",
whatever the busy timeout, and Prefect answers 503. Resuming a run is one of them: the
Resume a coordinator submits, and the runs the sweep wakes, all at once. Begun IMMEDIATE, a
transaction waits its turn for the lock (Prefect's busy timeout, 60 s) and never sees a
stale read. SQLite has one writer at a time either way; reads outside a transaction, most
of the UI's, still run beside the writer. PostgreSQL is left as Prefect configures it.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

log = logging.getLogger("followup.desk")

#: Set on the method once it begins every transaction IMMEDIATE.
_MARK = "_followup_begins_immediate"


def prefect_on_sqlite() -> bool:
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    return url is None or url.get_secret_value().startswith("sqlite")


def begin_sqlite_transactions_immediate() -> bool:
    """Make Prefect's SQLite transactions begin IMMEDIATE in this process (once). Returns
    whether the server's database is SQLite, and so whether it changed anything."""
    if not prefect_on_sqlite():
        return False
    from prefect.server.database.configurations import AioSqliteConfiguration

    original = AioSqliteConfiguration.begin_transaction
    if getattr(original, _MARK, False):
        return True

    def begin_transaction(
        self: AioSqliteConfiguration, session: Any, with_for_update: bool = False
    ) -> AbstractAsyncContextManager[Any]:
        return original(self, session, with_for_update=True)

    setattr(begin_transaction, _MARK, True)
    AioSqliteConfiguration.begin_transaction = begin_transaction  # type: ignore[method-assign,assignment]
    log.info(
        "Prefect trên SQLite: mỗi giao dịch chờ đến lượt ghi, không bị từ chối vì cơ sở dữ "
        "liệu bận."
    )
    return True
