"""Settings: every path is made absolute once, against the folder the command started in,
so the processes that run flows (in other folders) open the same files."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from followup.config import Settings, absolute_sqlite_url


def test_relative_paths_become_absolute_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        database_url="sqlite:///demo-output/followup.db",
        clock_file=Path("demo-output/clock.txt"),
        calendar_dir=Path("lich"),
    )
    assert settings.database_url == f"sqlite:///{tmp_path}/demo-output/followup.db"
    assert settings.clock_file == tmp_path / "demo-output" / "clock.txt"
    assert settings.calendar_dir == tmp_path / "lich"
    assert settings.evidence_dir == tmp_path / "evidence"  # the default, too


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/followup/followup.db",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://followup@db.internal/followup",
    ],
)
def test_absolute_and_other_urls_are_kept(url: str) -> None:
    assert absolute_sqlite_url(url) == url


def test_a_query_string_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite_url("sqlite:///a.db?timeout=5") == f"sqlite:///{tmp_path}/a.db?timeout=5"


def test_a_run_cannot_be_taken_for_dead_between_two_heartbeats() -> None:
    with pytest.raises(ValueError, match="FOLLOWUP_RUN_DEAD_AFTER_SECONDS phải lớn hơn"):
        Settings(run_heartbeat_seconds=60, run_dead_after_seconds=60)
    assert (
        Settings(run_heartbeat_seconds=30, run_dead_after_seconds=31).run_dead_after.seconds == 31
    )


def test_the_desk_dates_its_log_lines_in_vietnam_time() -> None:
    """The people reading the desk's log live in UTC+7, whatever zone the host runs in."""
    from followup.desk.server import VietnamTime

    record = logging.LogRecord("followup.desk", logging.INFO, __file__, 1, "xin chào", None, None)
    record.created = datetime(2026, 12, 6, 1, 30, tzinfo=UTC).timestamp()
    assert VietnamTime("%(asctime)s %(message)s").format(record) == (
        "2026-12-06 08:30:00+0700 xin chào"
    )


def test_the_sample_settings_file_names_only_settings_that_exist(tmp_path: Path) -> None:
    """docs/deploy/followup.env.example: every FOLLOWUP_ name in it is a setting (a renamed
    setting fails here, not on a province's host), and its example link secret is refused
    until someone replaces it."""
    sample = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "followup.env.example"
    names = {
        line.lstrip("#").split("=", 1)[0]
        for line in sample.read_text(encoding="utf-8").splitlines()
        if line.lstrip("#").startswith("FOLLOWUP_")
    }
    known = {f"FOLLOWUP_{name.upper()}" for name in Settings.model_fields}
    assert names, "the sample names no setting"
    assert names <= known, names - known
    with pytest.raises(ValueError, match="FOLLOWUP_LINK_SECRET"):
        Settings(_env_file=sample)  # type: ignore[call-arg]
    edited = sample.read_text(encoding="utf-8").replace(
        "CHANGE-ME-at-least-32-random-characters", "k" * 48
    )
    (tmp_path / "followup.env").write_text(edited, encoding="utf-8")
    loaded = Settings(_env_file=tmp_path / "followup.env")  # type: ignore[call-arg]
    assert loaded.coordinator_unit == "vp-ubnd"
    assert loaded.database_url.startswith("postgresql+psycopg://")
