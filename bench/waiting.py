"""Many waiting directives on a Prefect server on PostgreSQL: what the server costs while
thousands of directive runs are suspended, and what setting keeps that low.

    uv run python -m bench.waiting [--sizes 1000,5000,20000] [--smoke] [--json FILE]

Suspended runs are made through the API as a directive run leaves itself (state SUSPENDED,
a pause key, no timeout: `suspend_flow_run` as `flows/directive.py` calls it), without a
process each. For each size, the server is started twice on the same database, with
Prefect's defaults and with the pause-expiration service off (followup never sets a pause
timeout, and that service reads every paused run every 5 s to find expired ones), and:
- the CPU the server's processes use while nothing happens (a 20 s window, after 20 s);
- their memory (resident);
- the time to resume one run (the API call a coordinator's action or a wake ends with; the
  median of the next figure's calls);
- the time to wake 1% of them one after another, as a sweep's catch-up would.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Suspended

from bench import common
from bench.scaleout import _create_database, _drop_database
from followup.demo.local_prefect import LocalPrefect
from followup.deployments import SERVER

#: Prefect's own default, which `deployments.SERVER` (what followup starts its servers with)
#: turns off.
DEFAULTS = {"PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "true"}
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _group_usage(pgid: int) -> tuple[float, int]:
    """CPU seconds used so far and resident bytes of every process in a process group."""
    cpu, rss = 0.0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: the process group
                continue
            cpu += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
            rss += int((entry / "statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return cpu, rss


async def _suspend_many(api_url: str, count: int, flow_name: str) -> list[UUID]:
    """`count` runs of the flow, each suspended as a directive run leaves itself."""
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as client:
        flow = await client.post("/flows/", json={"name": flow_name})
        flow.raise_for_status()
        flow_id = flow.json()["id"]
        made: list[UUID] = []
        semaphore = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            state = Suspended(pause_key=f"v1-c0-{i}").model_dump(
                mode="json", include={"type", "name", "message", "state_details"}
            )
            async with semaphore:
                run = await client.post(
                    "/flow_runs/",
                    json={
                        "flow_id": flow_id,
                        "name": f"W-{i:06d}",
                        "parameters": {"directive_code": f"W-{i:06d}"},
                        "state": state,
                    },
                )
                run.raise_for_status()
                made.append(UUID(run.json()["id"]))

        await asyncio.gather(*(one(i) for i in range(count)))
        return made


def _resume(run_ids: list[UUID]) -> list[float]:
    """Resume the runs one after another (one client, warmed up first); each call's time."""
    times = []
    with get_client(sync_client=True) as client:
        client.read_flow_run(run_ids[0])
        for run_id in run_ids:
            start = time.perf_counter()
            client.resume_flow_run(run_id)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--sizes", default="1000,5000,20000")
    p.add_argument("--idle-seconds", type=float, default=20.0)
    bench = common.Bench("waiting", p.parse_args())
    sizes = [200] if bench.smoke else [int(s) for s in bench.args.sizes.split(",")]
    idle = 5.0 if bench.smoke else bench.args.idle_seconds
    database = _create_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _run(bench, Path(tmp), database, sizes, idle)
    finally:
        _drop_database(database)
    bench.finish()


def _run(bench: common.Bench, folder: Path, database: str, sizes: list[int], idle: float) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    waiting: list[UUID] = []
    bench.meta = {"sizes": sizes, "idle_window_s": idle}
    for size in sizes:
        for label, env in (("Prefect's defaults", DEFAULTS), ("pause expirations off", SERVER)):
            server_env: dict[str, Any] = {"PREFECT_API_DATABASE_CONNECTION_URL": url, **env}
            prefect = LocalPrefect(folder / "prefect", **server_env)
            prefect.start_server(ui=False)
            try:
                with temporary_settings({PREFECT_API_URL: prefect.api_url}):
                    if len(waiting) < size:
                        made = asyncio.run(
                            _suspend_many(prefect.api_url, size - len(waiting), "directive")
                        )
                        waiting += made
                    time.sleep(idle)  # let start-up settle
                    assert prefect.server is not None
                    pgid = prefect.server.pid
                    cpu0, _ = _group_usage(pgid)
                    time.sleep(idle)
                    cpu1, rss = _group_usage(pgid)
                    share = (cpu1 - cpu0) / idle
                    woken = max(1, size // 100)
                    calls = _resume(waiting[:woken])
                    one, wake = statistics.median(calls), sum(calls)
                    waiting = waiting[woken:]
            finally:
                prefect.stop()
            print(
                f"{size:>6} waiting, {label:<22}: idle CPU {share:6.1%} of a core, "
                f"{rss / 2**20:6.0f} MiB, resume one {one * 1000:6.1f} ms, "
                f"wake {woken} in {wake:5.2f} s"
            )
            bench.report(common.Figure(f"{size} waiting, {label}: idle CPU", share * 100, "% core"))
            bench.report(common.Figure(f"{size} waiting, {label}: memory", rss / 2**20, "MiB"))
            bench.report(common.Figure(f"{size} waiting, {label}: resume one", one * 1000, "ms"))
            bench.report(common.Figure(f"{size} waiting, {label}: wake 1% ({woken})", wake, "s"))


if __name__ == "__main__":
    main()
