"""Engines and the unit of work: one transaction per fact, audit events written with it."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from followup.db.audit import AuditDraft, append_events
from followup.db.outbox import insert_notices
from followup.domain.clock import Clock
from followup.domain.vocabulary import AuditAction


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine whose transactions behave alike on SQLite and PostgreSQL.

    SQLite: foreign keys on, WAL, a busy timeout, and BEGIN IMMEDIATE so that two writers
    queue for the lock instead of failing half-way with "database is locked".
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL survives an application crash (only power loss can lose the
            # last commits) and spares an fsync per commit: the dispatcher commits per message.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            reads = connection.get_execution_options().get(_READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


#: The execution option that makes a SQLite transaction a reader's (see `reading`).
_READ_ONLY = "followup_read_only"


def reading(session: Session) -> Session:
    """Make the session's transaction read one snapshot of the database, and write nothing:
    a check that reads the trail and then its head must not see a commit land in between
    (PostgreSQL: REPEATABLE READ; each statement would otherwise see the latest commits).
    On SQLite a deferred transaction reads a snapshot too (WAL) and takes no lock, so a long
    check or report does not hold the writers back. Call it before the session's first
    query."""
    bind = session.get_bind()
    options: dict[str, Any] = (
        {"isolation_level": "REPEATABLE READ"}
        if bind.dialect.name == "postgresql"
        else {_READ_ONLY: True}
    )
    session.connection(execution_options=options)
    return session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """Owns one transaction. `record()` collects audit events and `notify()` outbox rows;
    `commit()` writes them in the same transaction as the change, or nothing at all is written.
    Collecting them keeps a batch (the sweep's) to a few statements instead of one per row."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._factory = session_factory
        self.clock = clock
        self._events: list[AuditDraft] = []
        self._notices: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        self.session = self._factory()
        self._events = []
        self._notices = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()  # a no-op after commit; undoes everything otherwise
        self.session.close()
        self._events = []
        self._notices = []

    def record(
        self,
        action: AuditAction,
        *,
        actor: str,
        directive_id: int | None = None,
        assignment_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._events.append(
            AuditDraft(
                occurred_at=self.clock.now(),
                actor=actor,
                action=action,
                directive_id=directive_id,
                assignment_id=assignment_id,
                details=details or {},
            )
        )

    def notify(self, notice: dict[str, Any]) -> None:
        """Queue an outbox row (built by `followup.notifications.outbox.notice_row`)."""
        self._notices.append(notice)

    def commit(self) -> None:
        self.session.flush()
        insert_notices(self.session, self._notices)
        if self._events:
            append_events(self.session, self._events)
        self.session.commit()
        self._events = []
        self._notices = []
