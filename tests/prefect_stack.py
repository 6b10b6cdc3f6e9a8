"""A real Prefect server and a real `followup serve`, started as a person would start them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent


class PrefectStack:
    def __init__(self, home: Path, database_url: str, smtp_port: int) -> None:
        self.home = home
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.database_url = database_url
        self.smtp_port = smtp_port
        self.server: subprocess.Popen[bytes] | None = None
        self.serving: subprocess.Popen[bytes] | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLLOWUP_"))}
        return (
            env
            | {
                "PREFECT_HOME": str(self.home),
                "PREFECT_API_URL": self.api_url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_UI_ENABLED": "false",
                "PREFECT_RUNNER_POLL_FREQUENCY": "1",
                "PREFECT_LOGGING_LEVEL": "INFO",
                "FOLLOWUP_DATABASE_URL": self.database_url,
                "FOLLOWUP_SCHEDULES_ENABLED": "false",
                "FOLLOWUP_SMTP_PORT": str(self.smtp_port),
                "FOLLOWUP_SMTP_TIMEOUT_SECONDS": "2",
                "FOLLOWUP_SMTP_RETRY_BASE_SECONDS": "1",
            }
            | extra
        )

    def start_server(self, timeout: float = 90) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / "server.log").open("ab")
        self.server = subprocess.Popen(  # noqa: S603 - fixed command, loopback only
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait(
            lambda: httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200,
            timeout,
            "the Prefect server did not start",
        )

    def start_serving(self, timeout: float = 60, **extra: str) -> None:
        log = (self.home / "serve.log").open("ab")
        self.serving = subprocess.Popen(
            [sys.executable, "-m", "followup", "serve"],
            env=self.env(**extra),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def deployed() -> bool:
            response = httpx.post(f"{self.api_url}/deployments/filter", json={}, timeout=2)
            return len(response.json()) >= 4

        self._wait(deployed, timeout, "followup serve did not register its deployments")

    def kill_serving(self) -> None:
        """SIGKILL the serving process and every flow run it started (its process group)."""
        if self.serving is not None:
            os.killpg(self.serving.pid, signal.SIGKILL)
            self.serving.wait(timeout=10)
            self.serving = None

    def stop(self) -> None:
        self.kill_serving()
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server = None

    def logs(self) -> str:
        path = self.home / "serve.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    @staticmethod
    def _wait(check: Callable[[], bool], timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(message)

    def run(self, run_id: str) -> FlowRun:
        with get_client(sync_client=True) as client:
            return client.read_flow_run(UUID(run_id))

    def wait_for_run(
        self, run_id: str, check: Callable[[FlowRun], bool], timeout: float = 90
    ) -> FlowRun:
        deadline = time.monotonic() + timeout
        last: FlowRun | None = None
        while time.monotonic() < deadline:
            last = self.run(run_id)
            if check(last):
                return last
            time.sleep(0.3)
        state = last.state if last else None
        raise TimeoutError(f"run {run_id} never got there; last state {state!r}\n{self.logs()}")
