"""`followup health` as a monitoring system runs it, against the real parts: the test stack's
PostgreSQL database, its Prefect server and its SMTP server, then with each broken in turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Completed

from followup.demo.local_prefect import free_port
from followup.orchestration.names import SWEEP_FLOW
from followup.services.context import ServiceContext
from tests.flows.helpers import cli, crashed_run, new_directive
from tests.prefect_stack import PrefectStack

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]


def _parts(stack: PrefectStack, **env: str) -> tuple[int, dict[str, tuple[str, str]]]:
    done = cli(stack, "health", "--json", **env)
    assert done.returncode in (0, 1, 2), done.stderr
    parts = {c["part"]: (c["status"], c["detail"]) for c in json.loads(done.stdout)}
    return done.returncode, parts


def test_health_says_each_part_and_exits_with_the_worst(
    stack: PrefectStack, ctx: ServiceContext
) -> None:
    with get_client(sync_client=True) as client:  # a sweep that has just finished
        sweep = client.read_deployment_by_name(f"{SWEEP_FLOW}/{SWEEP_FLOW}")
        client.create_flow_run_from_deployment(sweep.id, state=Completed())
    code, parts = _parts(stack)
    assert parts["Cơ sở dữ liệu"][0] == "ok", parts
    assert "(mới nhất)" in parts["Cơ sở dữ liệu"][1]
    assert parts["Máy chủ thư"] == ("ok", f"127.0.0.1:{stack.smtp.port} nhận kết nối")
    assert parts["Prefect API"][0] == "ok"
    assert parts["Lượt quét đôn đốc"][0] == "ok", parts
    assert "phút trước" in parts["Lượt quét đôn đốc"][1]
    assert code == max({"ok": 0, "warning": 1, "critical": 2}[s] for s, _ in parts.values())

    # A directive whose run crashed is named until a sweep replaces it.
    crashed = new_directive(ctx, "xa-hai-tien")
    crashed_run(ctx, crashed)
    code, parts = _parts(stack)
    status, detail = parts["Lượt theo dõi nhiệm vụ"]
    assert (status, code >= 1) == ("warning", True), parts
    assert crashed in detail
    assert "followup repair" in detail

    # The mail server down: critical, and the other parts are still checked.
    code, parts = _parts(stack, FOLLOWUP_SMTP_PORT=str(free_port()))
    assert code == 2
    assert parts["Máy chủ thư"][0] == "critical"
    assert "không kết nối được tới 127.0.0.1" in parts["Máy chủ thư"][1]
    assert parts["Prefect API"][0] == "ok"


def test_health_of_a_database_never_migrated_is_critical_in_one_line(
    stack: PrefectStack, tmp_path: Path
) -> None:
    done = cli(stack, "health", FOLLOWUP_DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "NGHIÊM TRỌNG Cơ sở dữ liệu: chưa có bảng nào: chạy 'followup db upgrade'" in (
        done.stdout
    )
    assert "Traceback" not in done.stderr
