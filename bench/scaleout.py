"""A province's topology on one machine: a Prefect server on PostgreSQL, a process work pool,
the deployments of `prefect.yaml` (`prefect deploy --all`), two workers, and followup's
database on PostgreSQL. Then a meeting of `--directives` directives is opened, half of its
units acknowledge from the CLI and a quarter from the commune pages, and one worker is
killed (SIGKILL, with the runs it is executing) in the middle of that pass.

    uv run python -m bench.scaleout [--directives 50] [--smoke] [--json FILE]

It ends (after `followup repair` replaces the runs that died with the worker) by checking
what must hold, and exits non-zero if any does not:
- every directive's run is suspended on the key of its current state;
- every notice is sent, and no Message-ID reached the mail server twice;
- no audit event is doubled (the same action on the same assignment with the same details).
Printed: the time until every run of the meeting was suspended, the time for the pass of
actions, and the time from the kill until everything was whole again.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from bench import common
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.db.models import AuditEvent, Directive, Notice
from followup.demo.local_prefect import LocalPrefect, free_port
from followup.demo.mailsink import MailSink
from followup.orchestration.keys import expected_pause_key
from followup.services.context import ServiceContext
from followup.web.app import serving

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "followup" / "demo" / "data"
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
COMMUNES = ["xa-quang-nghia", "xa-hai-tien", "xa-hai-dong", "xa-van-ninh", "xa-hai-xuan"]
LINK_SECRET = "bench-secret-only-for-the-benchmarks-0123456789abcdef"  # noqa: S105 - bench only
#: A run silent this long is dead (the deployments send a heartbeat every 30 s).
DEAD_AFTER = 45


def _create_database() -> str:
    name = f"followup_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _meeting_file(folder: Path, count: int) -> Path:
    lines = [
        "[meeting]",
        'code = "TINH"',
        'title = "Hội nghị giao ban của tỉnh (đo quy mô)"',
        'held_on = "2026-11-27"',
    ]
    for i in range(count):
        lines += [
            "",
            "[[directives]]",
            f'code = "T-{i:03d}"',
            f'title = "Nhiệm vụ số {i}: rà soát, gia cố đê biển, kênh mương"',
            'text = "Rà soát, gia cố các tuyến đê biển, kênh mương trước mùa mưa bão."',
            f'lead = "{COMMUNES[i % len(COMMUNES)]}"',
            f'support = ["{COMMUNES[(i + 1) % len(COMMUNES)]}"]',
            'deadline = "2099-12-31"',
        ]
    path = folder / "meeting.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Province:
    """The processes of the topology, and the way to wait on them."""

    def __init__(self, folder: Path, database: str, prefect_database: str, smtp_port: int):
        self.folder = folder
        self.database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        self.web_port = free_port()
        self.prefect = LocalPrefect(
            folder / "prefect",
            PREFECT_API_DATABASE_CONNECTION_URL=(
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_database}"
            ),
            FOLLOWUP_DATABASE_URL=self.database_url,
            FOLLOWUP_LINK_SECRET=LINK_SECRET,
            FOLLOWUP_SMTP_PORT=str(smtp_port),
            FOLLOWUP_SMTP_TIMEOUT_SECONDS="5",
            FOLLOWUP_BASE_URL=f"http://127.0.0.1:{self.web_port}",
            FOLLOWUP_RUN_DEAD_AFTER_SECONDS=str(DEAD_AFTER),
        )
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(  # noqa: S603 - our own commands
            list(args), env=self.prefect.env(), cwd=cwd, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:5])} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def followup(self, *args: str) -> str:
        return self.run(sys.executable, "-m", "followup", *args)

    def start_worker(self, name: str) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.workers[name] = subprocess.Popen(  # noqa: S603 - our own command
            [
                *(sys.executable, "-m", "prefect", "worker", "start"),
                *("--pool", "followup", "--name", name, "--type", "process"),
            ],
            env=self.prefect.env(PREFECT_WORKER_QUERY_SECONDS="1"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its flow runs are its process group: killed with it
        )

    def kill_worker(self, name: str) -> int:
        """SIGKILL the worker and every process below it, as a crash of its host would.
        Prefect starts each flow run in a session of its own, so the worker's process group
        alone would leave its runs alive. Returns how many flow-run processes died with it."""
        worker = self.workers.pop(name)
        below = descendants(worker.pid)
        os.killpg(worker.pid, signal.SIGKILL)
        for pid in below:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
        return len(below)

    def stop(self) -> None:
        for name in list(self.workers):
            self.kill_worker(name)
        self.prefect.stop()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, theirs…), read from /proc."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in task.read_text().split()]
                found += children
                stack += children
    return found


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out ({timeout:.0f} s) waiting for {what}")
        time.sleep(0.5)


def _not_suspended(ctx: ServiceContext) -> list[str]:
    """The directives whose run is not suspended on their current state's key."""
    with ctx.session_factory() as session:
        rows = session.execute(select(Directive.id, Directive.code, Directive.flow_run_id)).all()
    waiting = []
    with get_client(sync_client=True) as client:
        for directive_id, code, run_id in rows:
            state = client.read_flow_run(UUID(run_id)).state if run_id else None
            if not (
                state is not None
                and state.is_paused()
                and state.state_details.pause_key == expected_pause_key(ctx, directive_id)
            ):
                waiting.append(code)
    return waiting


def _ack_from_pages(ctx: ServiceContext, codes: list[str], base_url: str) -> int:
    """Acknowledge the lead unit's assignment of each directive from its e-mailed link."""
    with ctx.session_factory() as session:
        bodies = session.execute(
            select(Directive.code, Notice.body_text)
            .join(Notice, Notice.directive_id == Directive.id)
            .where(Notice.kind == "assignment", Directive.code.in_(codes))
        ).all()
    done = 0
    with httpx.Client(timeout=60) as client:
        seen: set[str] = set()
        for code, body in bodies:
            link = re.search(r"https?://\S+/acknowledge\?t=\S+", body)
            if link is None or code in seen:
                continue
            seen.add(code)
            page = client.get(link.group(0))
            token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            action = re.search(r'<form method="post" action="([^"]+)"', page.text)
            if token is None or action is None:
                raise SystemExit(f"not a confirmation page: {page.text[:300]}")
            posted = client.post(
                base_url + action.group(1).replace("&amp;", "&"), data={"csrf": token.group(1)}
            )
            if posted.status_code != 200:
                raise SystemExit(f"the page refused the acknowledgement: {posted.text[:300]}")
            done += 1
    return done


def _doubled_events(ctx: ServiceContext) -> list[str]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.assignment_id, AuditEvent.details)
        ).all()
    counts = Counter((a, i, repr(sorted(d.items()))) for a, i, d in rows if i is not None)
    return [f"{a} on assignment {i}" for (a, i, _), n in counts.items() if n > 1]


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--directives", type=int, default=50)
    bench = common.Bench("scaleout", p.parse_args())
    count = 10 if bench.smoke else bench.args.directives
    bench.meta = {"directives": count, "units_per_directive": 2, "workers": 2}
    on_topology(lambda province, folder, sink: _run(bench, province, folder, count, sink))
    bench.finish()


def on_topology(run: Callable[[Province, Path, MailSink], None]) -> None:
    """`run` on a fresh topology (two PostgreSQL databases, a mail sink, the Prefect
    server and workers `run` starts); everything is stopped and dropped after, and the
    processes' logs are printed if `run` fails."""
    database, prefect_database = _create_database(), _create_database()
    try:
        with tempfile.TemporaryDirectory() as tmp, MailSink(Path(tmp) / "mail") as sink:
            folder = Path(tmp)
            province = Province(folder, database, prefect_database, sink.port)
            try:
                upgrade(province.database_url)
                run(province, folder, sink)
            except BaseException:
                for log in [*sorted(folder.glob("*.log")), folder / "prefect" / "server.log"]:
                    if log.exists():
                        print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
                raise
            finally:
                province.stop()
    finally:
        _drop_database(database)
        _drop_database(prefect_database)


def _run(bench: common.Bench, province: Province, folder: Path, count: int, sink: MailSink) -> None:
    prefect = province.prefect
    prefect.start_server(ui=False)
    province.run(
        sys.executable, "-m", "prefect", "work-pool", "create", "followup", "--type", "process"
    )
    province.run(sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", cwd=ROOT)
    province.start_worker("worker-1")
    province.start_worker("worker-2")
    province.followup("units", "load", str(DATA / "units.toml"))
    settings = Settings(
        database_url=province.database_url,
        link_secret=LINK_SECRET,
        base_url=f"http://127.0.0.1:{province.web_port}",
        web_port=province.web_port,
        evidence_dir=folder / "evidence",
    )
    ctx = ServiceContext.from_settings(settings)
    os.environ.update(prefect.env())  # the in-process pages wake runs on this server
    with temporary_settings({PREFECT_API_URL: prefect.api_url}), serving(settings, ctx):
        started = time.monotonic()
        province.followup("meeting", "load", str(_meeting_file(folder, count)))
        _wait(lambda: not _not_suspended(ctx), 120 + 6 * count, "every run to suspend")
        opened = time.monotonic() - started
        print(f"meeting of {count} directives opened, every run suspended: {opened:.1f} s")

        codes = [f"T-{i:03d}" for i in range(count)]
        by_cli, by_page = codes[: count // 2], codes[count // 2 : count * 3 // 4]
        started = time.monotonic()
        for n, code in enumerate(by_cli):
            lead = COMMUNES[int(code[2:]) % len(COMMUNES)]
            province.followup("ack", code, lead)
            if n == len(by_cli) // 2:
                # In the middle of the pass, with runs resuming on both workers.
                runs = province.kill_worker("worker-1")
                killed = time.monotonic()
                print(f"worker-1 killed (SIGKILL), and every process below it: {runs}")
        acted = _ack_from_pages(ctx, by_page, settings.base_url)
        if acted != len(by_page):
            raise SystemExit(f"{acted} of {len(by_page)} acknowledged from the pages")
        passed = time.monotonic() - started

        # Runs that died with the worker are silent: `followup repair` replaces them once
        # they have been so for DEAD_AFTER (the escalation sweep does the same every pass).
        def whole() -> bool:
            if not _not_suspended(ctx):
                return True
            if time.monotonic() - killed > DEAD_AFTER:
                province.followup("repair")
            return False

        _wait(whole, 300 + 3 * count, "every run to be suspended on its current state again")
        recovered = time.monotonic() - killed
        province.followup("dispatch")
    ctx_check(ctx, sink)
    ctx.close()
    bench.report(common.Figure(f"open a meeting of {count} directives (2 units each)", opened, "s"))
    bench.report(common.Figure(f"{len(by_cli)} CLI and {len(by_page)} page actions", passed, "s"))
    bench.report(common.Figure("kill -9 of a worker → every run suspended again", recovered, "s"))


def ctx_check(ctx: ServiceContext, sink: MailSink) -> None:
    with ctx.session_factory() as session:
        statuses = Counter(session.execute(select(Notice.status)).scalars())
    if set(statuses) != {"sent"}:
        raise SystemExit(f"notices not all sent: {dict(statuses)}")
    ids = Counter(
        str(message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"])
        for path in sink.saved
    )
    twice = [m for m, n in ids.items() if n > 1]
    if twice:
        raise SystemExit(f"{len(twice)} notices reached the server twice: {twice[:5]}")
    if len(ids) != statuses["sent"]:
        raise SystemExit(f"{statuses['sent']} notices sent, {len(ids)} received")
    doubled = _doubled_events(ctx)
    if doubled:
        raise SystemExit(f"audit events doubled: {doubled[:5]}")
    print(
        f"checked: every run suspended on its current state, {len(ids)} notices sent once "
        "each, no audit event doubled"
    )


if __name__ == "__main__":
    main()
