"""The README's first command: the demo runs end to end and its summary holds together.

The demo takes about two minutes. CI runs it once, from the installed wheel
(`.ci/installed-demo`), and hands its output here in FOLLOWUP_TEST_DEMO_OUTPUT (a folder with
`summary.json` and `demo-output/`); without it, this test runs the demo itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer


def _demo(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """The demo's JSON summary and its output folder: the one CI ran, or a new run."""
    done = os.environ.get("FOLLOWUP_TEST_DEMO_OUTPUT")
    if done:
        folder = Path(done)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return summary, folder / "demo-output"
    out = tmp_path / "demo"
    result = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "followup", "demo", "--json", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


@pytest.mark.slow
def test_demo_json_summary(tmp_path: Path) -> None:
    summary, out = _demo(tmp_path)
    assert summary["ok"] is True
    assert summary["audit_ok"] is True
    assert summary["directives"] >= 10
    # Every kind of notice was sent at least once.
    assert set(summary["emails_by_kind"]) == {
        "assignment",
        "ack_receipt",
        "reminder",
        "escalation",
        "escalations",
        "progress_request",
        "closure",
        "send_back",
        "digest",
    }
    # The last morning: the coordinators' digest, the leaders' weekly one, and the sweep's
    # city overview on Prefect.
    assert summary["digests"]["coordinator"] >= 1
    assert summary["digests"]["leader"] >= 1
    assert summary["overview_url"].endswith("/artifacts/key/tong-hop-thanh-pho")
    assert summary["emails_failed"] == 0
    # The scenario is deterministic: these are its four-way counts on 9 April 2021.
    assert summary["totals"] == {
        "done_on_time": 30,
        "done_late": 5,
        "open_on_time": 7,
        "overdue": 11,
    }
    assert sum(summary["totals"].values()) == summary["assignments"]
    # One Prefect run per directive: finished ones completed, the rest wait on our state.
    assert summary["flow_runs"] == {"Completed": 5, "Suspended": 7}
    # The runs took part: each was woken and reconciled several times in the month, and at
    # least one run's passes tell an acknowledgement, an escalation and a closure in order.
    passes = summary["passes"]
    assert len(passes["per_run"]) == summary["directives"]
    # Prefect's server on its SQLite file kept every write: none refused as "database is
    # locked" (each one a 503, a Resume a coordinator could lose).
    server_log = (out / "prefect" / "server.log").read_text(encoding="utf-8")
    assert "Prefect trên SQLite: mỗi giao dịch chờ đến lượt ghi" in server_log
    assert server_log.count("database is locked") == 0
    assert min(passes["per_run"].values()) > 1, passes
    assert passes["lifecycle_runs"], passes
    # Every acknowledgement was made by an officer opening the link in the assignment e-mail
    # and pressing the button on the commune page.
    assert summary["acknowledged"] > 40
    assert summary["acted_through_pages"] == summary["acknowledged"]
    assert summary["web_url"].startswith("http://127.0.0.1:")
    assert summary["prefect_ui"].startswith("http://127.0.0.1:")
    van_ninh = next(u for u in summary["status_by_unit"] if u["unit"] == "xa-van-ninh")
    assert van_ninh["done_on_time"] == van_ninh["done_late"] == 0
    assert van_ninh["name"] == "UBND xã Vạn Ninh"

    # The mail folder holds exactly what was sent, each a real message with intact Vietnamese.
    files = sorted((out / "mail").glob("*.eml"))
    assert len(files) == summary["emails_sent"]
    # The city leader's escalations come gathered, one e-mail per sweep, each listing items.
    to_leader = [
        message_from_bytes(f.read_bytes(), policy=policy.default)
        for f in files
        if f.name.endswith("-escalations.eml")
    ]
    assert to_leader, "the silent commune reaches the city leader"
    assert all(str(m["Subject"]).startswith("[Đôn đốc cấp 3]") for m in to_leader)
    assert not [
        f
        for f in files
        if f.name.endswith("-escalation.eml")
        and "cấp 3" in str(message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"])
    ], "no leader escalation goes out alone"
    assert any("Vạn Ninh" in m.get_body(("plain",)).get_content() for m in to_leader)  # type: ignore[union-attr]

    # The links of day 1 still open after the month is over (the demo ends on 9 April).
    first = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    tokens = re.findall(r"[?&]t=([\w.-]+)", first.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert tokens
    for token in tokens:
        _, claims = URLSafeSerializer("unused").loads_unsafe(token)  # reads, not verifies
        assert datetime.fromtimestamp(claims["e"], UTC) > datetime(2021, 5, 1, tzinfo=UTC)
