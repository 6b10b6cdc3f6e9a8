"""All configuration, read once from the environment (prefix FOLLOWUP_) and passed down.

Nothing else in followup reads os.environ.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from followup.clock_file import FileClock
from followup.domain.calendar import CalendarAdjustments, WorkingCalendar, parse_adjustments
from followup.domain.clock import Clock, SystemClock
from followup.domain.errors import FollowupError
from followup.domain.policy import EscalationPolicy
from followup.links import NO_LINK_KEY_MESSAGE, LinkSigner, check_secret


def absolute_sqlite_url(url: str) -> str:
    """`sqlite:///relative.db` → `sqlite:////cwd/relative.db`; other URLs unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite://" or ":memory:" in url:
        return url
    path, query = url[len(prefix) :], ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    if path.startswith("/") or path.startswith("file:"):
        return url
    return prefix + str(Path(path).expanduser().absolute()) + query


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///followup.db",
        description="SQLAlchemy URL; default a SQLite file in the working directory.",
    )
    language: Literal["vi", "en"] = "vi"
    org_name: str | None = Field(
        default=None,
        description="Who signs the notices; default the units file's root unit's name.",
    )

    mail_from: str = "theodoi-nhiemvu@mongcai.example"
    mail_from_name: str | None = Field(
        default=None,
        description="The sender's display name; default 'Theo dõi nhiệm vụ - <root unit>'.",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = 30.0
    smtp_concurrency: int = Field(default=4, ge=1, le=64)
    smtp_batch_size: int = Field(default=20, ge=1, le=1000)
    smtp_retry_base_seconds: float = Field(default=30.0, ge=0)
    smtp_retry_max_seconds: float = Field(
        default=300.0,
        ge=1,
        description="The longest wait between two tries of one notice: after an outage,"
        " delivery resumes within one dispatch period of the server's return.",
    )
    smtp_give_up_after_hours: float = Field(
        default=72.0,
        gt=0,
        description="A notice not delivered this long after it was written, and tried at"
        " least five times, is given up on: audited, shown as not delivered, and re-queued"
        " by 'followup notices requeue'.",
    )

    clock_file: Path | None = Field(
        default=None,
        description="Simulated time (demo, tests): a file holding an ISO timestamp; "
        "default the system clock.",
    )
    sweep_every_minutes: int = Field(default=10, ge=1)
    dispatch_every_minutes: int = Field(default=5, ge=1)
    digest_cron: str = Field(
        default="0 7 * * *",
        description="When the daily digest runs (cron, Vietnam time): coordinators every day, "
        "leaders on the weekday below.",
    )
    leader_digest_weekday: int = Field(
        default=0, ge=0, le=6, description="The leaders' weekly digest day (0 = Monday)."
    )
    actor: str | None = Field(
        default=None,
        description="Who the audit names for what this machine's 'followup' commands do (a "
        "person's name); none: the operating-system user. '--actor' overrides it.",
    )
    sign_in_proxy_header: str | None = Field(
        default=None,
        description="Behind a single sign-on proxy: the header that names the signed-in "
        "person's login (e.g. X-Forwarded-User); none: people sign in with their account's "
        "password in the Prefect UI's prompt.",
    )
    sign_in_trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"],
        description="Addresses (or networks) the sign-on proxy's header is believed from.",
    )
    coordinator_unit: str | None = Field(
        default=None,
        description="The coordinating unit (the city office) whose officer and head get the "
        "daily digest; none: only leaders get digests.",
    )
    flood_season_starts: str = Field(
        default="31/05",
        pattern=r"^\s*\d{1,2}/\d{1,2}\s*$",
        description="The day (dd/mm) a drafted “trước mùa mưa bão” deadline falls on.",
    )
    draft_default_deadline: str = Field(
        default="30 ngày làm việc",
        description="The deadline a drafted directive gets when its text names none (flagged).",
    )
    schedules_enabled: bool = Field(
        default=True, description="Off in tests and the demo, which drive sweeps themselves."
    )
    run_heartbeat_seconds: int = Field(
        default=30,
        ge=30,  # Prefect's own minimum
        description="How often a directive's run tells Prefect it is alive (a heartbeat event).",
    )
    run_dead_after_seconds: int = Field(
        default=100,
        ge=1,
        description="A run 'running' with no heartbeat or state change for this long is taken "
        "for dead (its process was killed) and replaced by the sweep or 'followup repair'. "
        "More than three heartbeats, so a live but busy run is never taken for dead.",
    )
    catch_up_on_start: bool = Field(
        default=True,
        description="'followup serve' replaces the runs a killed predecessor left behind, "
        "once they have been silent for the dead-after span (off in tests that drive it).",
    )
    serve_limit: int | None = Field(default=None, description="Most flow runs at once.")
    calendar_dir: Path | None = Field(
        default=None, description="Folder of per-year TOML files adding days off / working days."
    )
    link_secret: SecretStr | None = Field(
        default=None,
        description="Signs the links in e-mails (at least 32 random characters). Notices, "
        "'followup web' and 'followup serve' refuse to work without one.",
    )
    link_secret_previous: SecretStr | None = Field(
        default=None,
        description="After rotating LINK_SECRET: the secret it replaced, so the links already "
        "e-mailed keep working. Remove it once LINK_VALID_DAYS have passed (and never set it "
        "if the old secret leaked).",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The address of the commune pages ('followup web') as communes reach it; "
        "the links in e-mails start with it.",
    )
    link_valid_days: int = Field(default=30, ge=1, le=365)
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    evidence_dir: Path = Field(
        default=Path("evidence"), description="Where evidence files sent with reports are kept."
    )
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    ack_within_days: int = 2
    progress_every_days: int = 10
    progress_grace_days: int = 2
    reminder_before_days: int = 2
    ladder_delays: list[int] = Field(default_factory=lambda: [0, 2, 3])

    @field_validator("link_secret", "link_secret_previous")
    @classmethod
    def _real_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                check_secret(value.get_secret_value())
            except FollowupError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("phải bắt đầu bằng http:// hoặc https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _absolute_sqlite(cls, value: str) -> str:
        """A relative SQLite path is made absolute against the folder the command started
        in, before any process is started with it (flow runs work in other folders)."""
        return absolute_sqlite_url(value)

    @field_validator("clock_file", "calendar_dir", "evidence_dir", "smtp_ca_file")
    @classmethod
    def _absolute_path(cls, value: Path | None) -> Path | None:
        return value.expanduser().absolute() if value is not None else None

    @field_validator("org_name", "mail_from_name", "actor")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("không được để trống")
        return value

    @model_validator(mode="after")
    def _heartbeat_before_death(self) -> Settings:
        if self.run_dead_after_seconds <= self.run_heartbeat_seconds:
            raise ValueError(
                "FOLLOWUP_RUN_DEAD_AFTER_SECONDS phải lớn hơn FOLLOWUP_RUN_HEARTBEAT_SECONDS, "
                "nếu không một lượt đang chạy giữa hai nhịp tim sẽ bị coi là đã chết"
            )
        return self

    @property
    def run_dead_after(self) -> timedelta:
        return timedelta(seconds=self.run_dead_after_seconds)

    def signer(self) -> LinkSigner:
        """The link signer; a missing secret is refused in one sentence."""
        if self.link_secret is None:
            raise FollowupError(NO_LINK_KEY_MESSAGE)
        previous = self.link_secret_previous
        return LinkSigner(
            self.link_secret.get_secret_value(),
            (previous.get_secret_value(),) if previous is not None else (),
        )

    def clock(self) -> Clock:
        return FileClock(self.clock_file) if self.clock_file else SystemClock()

    def policy(self) -> EscalationPolicy:
        return EscalationPolicy.with_delays(
            self.ladder_delays,
            ack_within_days=self.ack_within_days,
            progress_every_days=self.progress_every_days,
            progress_grace_days=self.progress_grace_days,
            reminder_before_days=self.reminder_before_days,
        )

    def calendar(self) -> WorkingCalendar:
        adjustments = CalendarAdjustments()
        for path in _calendar_files(self.calendar_dir):
            adjustments = adjustments.merge(
                parse_adjustments(path.read_text(encoding="utf-8"), source=str(path))
            )
        return WorkingCalendar(adjustments)


def _calendar_files(folder: Path | None) -> list[Path]:
    shipped = sorted((Path(__file__).parent / "data" / "calendar").glob("*.toml"))
    own = sorted(folder.glob("*.toml")) if folder else []
    return shipped + own
