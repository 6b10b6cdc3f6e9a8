"""A local Prefect server (`followup desk`: Prefect's server behind our sign-in) and
`followup serve`, as subprocesses: the demo's embedded setup.

Loopback only, analytics off, its own PREFECT_HOME (and SQLite database) in a folder of ours.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from followup.deployments import QUIET, SERVER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPrefect:
    def __init__(self, home: Path, *, port: int | None = None, **env: str) -> None:
        self.home = home
        self.port = port or free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env
        self.server: subprocess.Popen[bytes] | None = None
        self.serving: subprocess.Popen[bytes] | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process of this setup (ours replaced, not inherited)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLLOWUP_"))}
        own = {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "FOLLOWUP_SCHEDULES_ENABLED": "false",
            "FOLLOWUP_CATCH_UP_ON_START": "false",  # the demo and tests wake runs themselves
            # Each process stops when this one dies, even by SIGKILL (see `cli.common`).
            "FOLLOWUP_DIE_WITH_PARENT": str(os.getpid()),
        }
        return base | QUIET | SERVER | own | self.extra_env | extra

    def auth(self) -> dict[str, str]:
        """The service's Authorization header, when sign-in is on."""
        credential = self.env().get("PREFECT_API_AUTH_STRING")
        if not credential:
            return {}
        return {"Authorization": "Basic " + base64.b64encode(credential.encode()).decode()}

    def start_server(self, *, ui: bool = True, timeout: float = 120) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / "server.log").open("ab")
        self.server = subprocess.Popen(  # noqa: S603 - fixed command, loopback only
            [
                sys.executable,
                "-m",
                "followup",
                "desk",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env(PREFECT_SERVER_UI_ENABLED="true" if ui else "false"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait(
            lambda: httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200,
            timeout,
            "the Prefect server did not start (see server.log)",
        )

    def start_serving(self, *, timeout: float = 90, **extra: str) -> None:
        log = (self.home / "serve.log").open("ab")
        self.serving = subprocess.Popen(
            [sys.executable, "-m", "followup", "serve"],
            env=self.env(**extra),
            cwd=self.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def deployed() -> bool:
            response = httpx.post(
                f"{self.api_url}/deployments/filter", json={}, headers=self.auth(), timeout=2
            )
            return len(response.json()) >= 4

        self.wait(deployed, timeout, "followup serve did not register its deployments")

    def kill_serving(self) -> None:
        """SIGKILL the serving process and every flow run it started (its process group)."""
        if self.serving is not None:
            os.killpg(self.serving.pid, signal.SIGKILL)
            self.serving.wait(timeout=10)
            self.serving = None

    def stop(self) -> None:
        if self.serving is not None:
            os.killpg(self.serving.pid, signal.SIGTERM)
            try:
                self.serving.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.serving.pid, signal.SIGKILL)
            self.serving = None
        if self.server is not None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server = None

    def serve_log(self) -> str:
        path = self.home / "serve.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    @staticmethod
    def wait(check: Callable[[], bool], timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.3)
        raise TimeoutError(message)
