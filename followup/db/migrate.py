"""Run Alembic from code: `followup db upgrade` and the tests use this, not alembic.ini.

Alembic is imported only to migrate: every flow run is a process of its own that checks its
database is ready (`check_ready`), and reading one row needs neither Alembic (90 ms to import)
nor a parse of every migration script.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from followup.db.session import make_engine
from followup.domain.errors import FollowupError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: Migrations are numbered in one line (0001, 0002, …), the file named after its revision:
#: the newest file is the head (a test holds this equal to what Alembic computes).
_SCRIPT = re.compile(r"^(\d{4})_\w+\.py$")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str, engine: Engine | None = None) -> str | None:
    """The revision the database is at; None if it has no tables yet."""
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = connection.execute(text("SELECT version_num FROM alembic_version"))
            return found.scalar_one_or_none()
    finally:
        if own:
            engine.dispose()


def head_revision() -> str:
    """The revision this code needs: its newest migration."""
    return max(
        match.group(1)
        for path in (MIGRATIONS / "versions").iterdir()
        if (match := _SCRIPT.match(path.name))
    )


def check_ready(url: str, engine: Engine | None = None) -> None:
    """Refuse, in one sentence that says how to fix it, a database that is not there, has no
    tables or is behind the code: otherwise SQLite silently creates an empty file and the
    first query fails with "no such table". `engine`: the caller's, to check through."""
    shown = make_url(url).render_as_string(hide_password=True)
    fix = "chạy 'followup db upgrade' (hoặc sửa FOLLOWUP_DATABASE_URL nếu đường dẫn sai)"
    database = make_url(url).database
    local_file = url.startswith("sqlite") and database and database != ":memory:"
    if local_file and not Path(str(database)).exists():
        raise FollowupError(f"Chưa có cơ sở dữ liệu {shown}: tệp không tồn tại; {fix}.")
    found = current_revision(url, engine)
    if found is None:
        raise FollowupError(f"Cơ sở dữ liệu {shown} chưa được tạo bảng; {fix}.")
    head = head_revision()
    if found.isdigit() and int(found) > int(head):
        raise FollowupError(
            f"Cơ sở dữ liệu {shown} ở phiên bản {found}, mới hơn phần mềm này (cần {head}): "
            "hãy cập nhật followup lên bản mới nhất."
        )
    if found != head:
        raise FollowupError(
            f"Cơ sở dữ liệu {shown} ở phiên bản cũ ({found}), phần mềm cần bản mới hơn; {fix}."
        )
