"""What every service needs, wired once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from followup.config import Settings
from followup.db.organisation import NO_ORGANISATION, root_unit_name
from followup.db.session import UnitOfWork, make_engine, make_session_factory
from followup.domain.calendar import WorkingCalendar
from followup.domain.clock import Clock, local_date
from followup.domain.errors import FollowupError
from followup.domain.policy import EscalationPolicy
from followup.links import NO_LINK_KEY_MESSAGE, LinkSigner
from followup.services.ports import NoWaker, RunWaker


@dataclass
class ServiceContext:
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    calendar: WorkingCalendar
    policy: EscalationPolicy
    #: Who signs the notices, if a setting names it; else the root unit (`organisation()`).
    org_name: str | None
    default_language: str
    message_id_domain: str
    #: Signs the links in notices; None if FOLLOWUP_LINK_SECRET is unset (notices refuse).
    signer: LinkSigner | None = None
    base_url: str = "http://127.0.0.1:8080"
    link_valid_days: int = 30
    #: Wakes a directive's run after a command commits (see `services.write.bus.execute`).
    waker: RunWaker = field(default_factory=NoWaker)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None, waker: RunWaker | None = None
    ) -> ServiceContext:
        engine = make_engine(settings.database_url)
        return cls(
            engine=engine,
            session_factory=make_session_factory(engine),
            clock=clock or settings.clock(),
            calendar=settings.calendar(),
            policy=settings.policy(),
            org_name=settings.org_name,
            default_language=settings.language,
            message_id_domain=settings.mail_from.rpartition("@")[2] or "localhost",
            signer=settings.signer() if settings.link_secret is not None else None,
            base_url=settings.base_url,
            link_valid_days=settings.link_valid_days,
            waker=waker or NoWaker(),
        )

    def organisation(self, session: Session | None = None) -> str:
        """Who signs the notices: the setting, else the units file's root unit (looked up
        until there is one: units may be loaded after this context was made). Inside a
        transaction, pass its session: on SQLite a second one would wait for its lock."""
        if self.org_name is None:
            if session is not None:
                found = root_unit_name(session)
            else:
                with self.session_factory() as own:
                    found = root_unit_name(own)
            if found is None:
                raise FollowupError(NO_ORGANISATION)
            self.org_name = found
        return self.org_name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.clock)

    def link_signer(self) -> LinkSigner:
        if self.signer is None:
            raise FollowupError(NO_LINK_KEY_MESSAGE)
        return self.signer

    def today(self) -> date:
        return local_date(self.clock.now())

    def close(self) -> None:
        self.engine.dispose()
