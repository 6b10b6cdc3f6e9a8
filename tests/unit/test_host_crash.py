"""What `bench.scaleout` kills when it plays a host crash: a worker's flow runs live in
sessions of their own (Prefect isolates them), so killing the worker's process group leaves
them running; every process below the worker must be killed too."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from bench.scaleout import descendants

SPAWNER = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
    " start_new_session=True)\n"
    "time.sleep(60)\n"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split()[2] != "Z"


def test_a_run_in_its_own_session_survives_its_workers_group_but_not_the_crash() -> None:
    worker = subprocess.Popen([sys.executable, "-c", SPAWNER], start_new_session=True)  # noqa: S603
    below: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not (below := descendants(worker.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(below) == 1
        [run] = below
        assert os.getsid(run) != os.getsid(worker.pid)  # a session of its own
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
        assert _alive(run)  # the group's kill left the run running
        os.kill(run, signal.SIGKILL)  # what kill_worker does for each process below
        deadline = time.monotonic() + 60
        while _alive(run) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(run)
    finally:  # nothing left behind, whatever failed
        for pid in [worker.pid, *below]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=60)
