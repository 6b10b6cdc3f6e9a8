"""The commune pages under load, next to the same work without HTTP.

    uv run python -m bench.web [--assignments 300] [--smoke] [--json FILE]

One uvicorn (in a thread) serves `followup web` on a SQLite file; one keep-alive client
sends requests one after another, as officers opening their e-mails would. Printed:
- GET /healthz: the floor of a request through uvicorn + FastAPI (the baseline);
- GET of a confirmation page: link verification, a read of the assignment, the page;
- POST of an acknowledgement: CSRF, one transaction (state, audit, notice, link nonce);
- the same acknowledgement called in-process (`services.write.actions.acknowledge`), no HTTP.
"""

from __future__ import annotations

import re
import secrets
import socket
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import select

from bench import common
from followup.config import Settings
from followup.db.migrate import upgrade
from followup.db.models import Notice
from followup.domain.clock import LOCAL_TZ, ManualClock
from followup.services.context import ServiceContext
from followup.services.intake.meeting_files import DirectiveInput, MeetingFile, MeetingInput
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge, OpenMeeting
from followup.services.write.units import load_units_file
from followup.web.app import serving

DATA = Path(__file__).resolve().parent.parent / "followup" / "demo" / "data"
COMMUNES = ["xa-quang-nghia", "xa-hai-tien", "xa-hai-dong", "xa-van-ninh", "xa-hai-xuan"]
SECRET = secrets.token_urlsafe(48)  # a fresh one per run, like the demo


def _setup(folder: Path, assignments: int, port: int) -> tuple[ServiceContext, Settings]:
    from datetime import datetime

    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        link_secret=SECRET,
        base_url=f"http://127.0.0.1:{port}",
        web_port=port,
        evidence_dir=folder / "evidence",
    )
    clock = ManualClock(datetime(2021, 3, 9, 8, tzinfo=LOCAL_TZ))
    ctx = ServiceContext.from_settings(settings, clock=clock)
    load_units_file(ctx, DATA / "units.toml", actor="bench")
    directives = [
        DirectiveInput(
            code=f"B-{i:04d}",
            title=f"Nhiệm vụ đo số {i}: sửa chữa kênh mương, đê biển",
            text="Sửa chữa kênh mương loại I, II và đê biển trước mùa mưa bão. " * 4,
            lead=COMMUNES[i % len(COMMUNES)],
            deadline="2021-06-30",
        )
        for i in range(assignments)
    ]
    meeting = MeetingInput(code="B", title="Buổi làm việc đo tốc độ", held_on="2021-03-09")
    execute(
        ctx, OpenMeeting(meeting=MeetingFile(meeting=meeting, directives=directives), actor="bench")
    )
    return ctx, settings


def _ack_links(ctx: ServiceContext) -> list[str]:
    with ctx.session_factory() as session:
        bodies = session.execute(
            select(Notice.body_text).where(Notice.kind == "assignment").order_by(Notice.id)
        ).scalars()
        return [
            m.group(0)
            for body in bodies
            if (m := re.search(r"https?://\S+/acknowledge\?t=\S+", body)) is not None
        ]


def _timed(samples: list[float], call: object) -> object:
    start = time.perf_counter()
    result = call()  # type: ignore[operator]
    samples.append(time.perf_counter() - start)
    return result


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--assignments", type=int, default=300)
    bench = common.Bench("web", p.parse_args())
    assignments = 20 if bench.smoke else bench.args.assignments
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        ctx, settings = _setup(Path(tmp), assignments, port)
        stack.enter_context(serving(settings, ctx))
        links = _ack_links(ctx)
        half = len(links) // 2
        by_web, by_call = links[:half], links[half:]
        health: list[float] = []
        pages: list[float] = []
        posts: list[float] = []
        calls: list[float] = []
        with httpx.Client(timeout=30) as client:
            for _ in range(len(by_web)):
                _timed(health, lambda: client.get(f"{settings.base_url}/healthz"))
            for link in by_web:
                page = _timed(pages, lambda link=link: client.get(link))
                html = page.text  # type: ignore[attr-defined]
                token = re.search(r'name="csrf" value="([^"]+)"', html)
                action = re.search(r'<form method="post" action="([^"]+)"', html)
                if token is None or action is None:
                    raise SystemExit(f"not a confirmation page: {html[:500]}")
                target = settings.base_url + action.group(1).replace("&amp;", "&")
                done = _timed(
                    posts,
                    lambda target=target, token=token: client.post(
                        target, data={"csrf": token.group(1)}
                    ),
                )
                assert done.status_code == 200, done.text[:500]  # type: ignore[attr-defined]
        for link in by_call:
            assignment_id = int(link.split("/a/")[1].split("/")[0])
            _timed(
                calls,
                lambda i=assignment_id: execute(ctx, Acknowledge(target=i, actor="bench")).result,
            )
        ctx.close()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    base = ms(health)
    print(f"assignments: {len(links)} ({len(by_web)} through the pages, {len(by_call)} in-process)")
    bench.meta = {"assignments": len(links)}
    bench.report(common.Figure("GET /healthz (median)", base, "ms"))
    bench.report(
        common.Figure("GET a confirmation page (median)", ms(pages), "ms", "GET /healthz", base)
    )
    bench.report(
        common.Figure("POST an acknowledgement (median)", ms(posts), "ms", "GET /healthz", base)
    )
    bench.report(
        common.Figure(
            "POST an acknowledgement, against the call",
            ms(posts),
            "ms",
            "the same acknowledgement in-process",
            ms(calls),
        )
    )
    bench.finish()


if __name__ == "__main__":
    main()
