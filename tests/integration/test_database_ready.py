"""A wrong database path or an unmigrated database is refused in one sentence that says how
to fix it, and nothing is created where the path pointed (SQLite would make an empty file
and the command fail later with "no such table")."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from followup.db.migrate import (
    alembic_config,
    check_ready,
    current_revision,
    head_revision,
    upgrade,
)
from followup.db.session import make_engine
from followup.domain.errors import FollowupError
from tests.helpers import run_cli, run_cli_process


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sai' / 'followup.db'}"
    result = run_cli("status", url=url)
    assert result.returncode == 1
    assert "tệp không tồn tại" in result.stderr
    assert "followup db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "sai").exists()


def test_an_empty_sqlite_file_says_it_has_no_tables(tmp_path: Path) -> None:
    path = tmp_path / "followup.db"
    path.touch()
    result = run_cli("ack", "T-01", "xa-hai-tien", url=f"sqlite:///{path}")
    assert result.returncode == 1
    assert "chưa được tạo bảng" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.postgres
def test_an_unmigrated_postgres_database_is_refused_then_accepted(postgres_url: str) -> None:
    with pytest.raises(FollowupError, match="chưa được tạo bảng"):
        check_ready(postgres_url)
    result = run_cli_process("status", url=postgres_url)
    assert result.returncode == 1
    assert "chưa được tạo bảng" in result.stderr
    upgrade(postgres_url)
    check_ready(postgres_url)  # migrated: no error
    assert run_cli("status", url=postgres_url).returncode == 0


@pytest.mark.postgres
def test_a_database_behind_or_ahead_of_the_code_is_refused(postgres_url: str) -> None:
    upgrade(postgres_url, "0006")
    with pytest.raises(FollowupError, match=r"phiên bản cũ \(0006\)"):
        check_ready(postgres_url)
    upgrade(postgres_url)
    assert current_revision(postgres_url) == head_revision()
    engine = make_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(FollowupError, match="mới hơn phần mềm này"):
            check_ready(postgres_url, engine)
    finally:
        engine.dispose()


def test_the_head_read_from_file_names_is_alembics() -> None:
    """`check_ready` reads the head from the migrations' file names, without Alembic."""
    config = alembic_config("sqlite://")
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()
