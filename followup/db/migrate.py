"""Run Alembic from code: `followup db upgrade` and the tests use this, not alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from followup.db.session import make_engine
from followup.domain.errors import FollowupError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def check_ready(url: str) -> None:
    """Refuse, in one sentence that says how to fix it, a database that is not there, has no
    tables or is behind the code: otherwise SQLite silently creates an empty file and the
    first query fails with "no such table"."""
    shown = make_url(url).render_as_string(hide_password=True)
    fix = "chạy 'followup db upgrade' (hoặc sửa FOLLOWUP_DATABASE_URL nếu đường dẫn sai)"
    database = make_url(url).database
    local_file = url.startswith("sqlite") and database and database != ":memory:"
    if local_file and not Path(str(database)).exists():
        raise FollowupError(f"Chưa có cơ sở dữ liệu {shown}: tệp không tồn tại; {fix}.")
    found = current_revision(url)
    if found is None:
        raise FollowupError(f"Cơ sở dữ liệu {shown} chưa được tạo bảng; {fix}.")
    if found != head_revision():
        raise FollowupError(
            f"Cơ sở dữ liệu {shown} ở phiên bản cũ ({found}), phần mềm cần bản mới hơn; {fix}."
        )
