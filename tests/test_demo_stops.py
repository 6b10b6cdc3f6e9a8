"""A demo stopped by a signal (a closed terminal, a test's timeout, kill -9) takes its Prefect
server and `followup serve` with it: nothing it started keeps running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _started_by(home: Path) -> list[int]:
    """The processes whose PREFECT_HOME is `home` (what the demo started for its Prefect)."""
    wanted = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _wait(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_demo_leaves_no_process_behind(tmp_path: Path, stop: signal.Signals) -> None:
    out = tmp_path / "demo"
    home = out / "prefect"
    demo = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "followup", "demo", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOLLOWUP_"))},
    )
    try:
        # Its Prefect server is starting (a process with its PREFECT_HOME): stopped now, the
        # demo must take it along, whatever else it has started by then.
        assert _wait(lambda: bool(_started_by(home)), 180), "the demo never started Prefect"
        time.sleep(2)
        demo.send_signal(stop)
        demo.wait(timeout=60)
        assert _wait(lambda: not _started_by(home), 60), f"left running: {_started_by(home)}"
    finally:
        if demo.poll() is None:
            demo.kill()
        for pid in _started_by(home):  # a failed test must not leave them either
            os.kill(pid, signal.SIGKILL)
