"""Every bad input the commune pages may get: each is refused or neutralised, answered with a
clear page and a 4xx, audited, and nothing else changes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from followup.db.models import Directive, Notice
from followup.services.context import ServiceContext
from followup.services.write.bus import execute
from followup.services.write.commands import Acknowledge
from tests.helpers import HAI_TIEN, row_counts
from tests.web.conftest import (
    EVIDENCE_LIMIT,
    PDF,
    Web,
    acknowledged,
    csrf_of,
    done_page,
    links_in,
    only_audit_grew,
    post_url_of,
    refused,
    state_of,
)


def alter(token_url: str) -> str:
    path, _, token = token_url.partition("?t=")
    middle = len(token) // 2
    swapped = "A" if token[middle] != "A" else "B"
    return f"{path}?t={token[:middle]}{swapped}{token[middle + 1 :]}"


def _ack_link(web: Web) -> str:
    return web.links("assignment", "xa-hai-tien")["acknowledge"]


CASES: list[tuple[str, Callable[[Web], str], int, str, str]] = [
    ("forged signature", lambda w: alter(_ack_link(w)), 403, "forged", "không hợp lệ"),
    ("token cut short", lambda w: _ack_link(w)[:-5], 403, "forged", "không hợp lệ"),
    ("no token at all", lambda w: _ack_link(w).split("?")[0], 403, "forged", "không hợp lệ"),
    (
        "altered action in the path",
        lambda w: _ack_link(w).replace("/acknowledge?", "/done?"),
        403,
        "wrong_action",
        "không dùng cho thao tác này",
    ),
    (
        "unknown action in the path",
        lambda w: _ack_link(w).replace("/acknowledge?", "/delete?"),
        403,
        "wrong_action",
        "không dùng cho thao tác này",
    ),
    (
        "a forged token on an unknown action",
        lambda w: alter(_ack_link(w)).replace("/acknowledge?", "/delete?"),
        403,
        "forged",
        "không hợp lệ",
    ),
    (
        "a word instead of the assignment number",
        lambda w: "/a/abc/acknowledge?" + _ack_link(w).split("?")[1],
        403,
        "other_unit",
        "đơn vị khác",
    ),
    (
        "another unit's assignment in the path",
        lambda w: _other_assignment(w),
        403,
        "other_unit",
        "đơn vị khác",
    ),
    (
        "a unit page link for another unit",
        lambda w: w.links("assignment", "xa-hai-tien")["view"].replace(
            "/u/xa-hai-tien?", "/u/xa-hai-xuan?"
        ),
        403,
        "other_unit",
        "đơn vị khác",
    ),
    (
        "an action token on the unit page",
        lambda w: "/u/xa-hai-tien?" + _ack_link(w).split("?")[1],
        403,
        "wrong_action",
        "không dùng cho thao tác này",
    ),
]


def _other_assignment(web: Web) -> str:
    link = _ack_link(web)
    other = web.links("assignment", "xa-hai-xuan", "T-02")["acknowledge"]
    other_id = other.split("/")[2]
    parts = link.split("/")
    parts[2] = other_id
    return "/".join(parts)


@pytest.mark.parametrize(
    ("name", "make", "status", "reason", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_links_are_refused_and_audited(
    web: Web, name: str, make: Callable[[Web], str], status: int, reason: str, words: str
) -> None:
    url = make(web)
    before = row_counts(web.ctx)
    page = web.client.get(url)
    assert page.status_code == status, (name, page.text)
    assert words in page.text
    assert 'role="alert"' in page.text
    # Opening it only showed a page (a mail scanner does that to every link): no trace.
    assert row_counts(web.ctx) == before
    posted = web.client.post(url, data={"csrf": "x"})
    if url.startswith("/u/"):
        assert posted.status_code == 405  # the unit page only shows
        assert row_counts(web.ctx) == before
    else:  # trying to act with it is refused the same way, and audited
        assert posted.status_code == status
        refused(web, reason)
        only_audit_grew(web, before)
    assert state_of(web, "T-01", "xa-hai-tien") == "assigned"


def test_an_expired_link_is_gone(web: Web) -> None:
    link = _ack_link(web)
    web.ctx.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    before = row_counts(web.ctx)
    page = web.client.get(link)
    assert page.status_code == 410
    assert "hết hạn" in page.text
    assert row_counts(web.ctx) == before
    posted = web.client.post(link, data={"csrf": "x"})
    assert posted.status_code == 410
    details = refused(web, "expired")
    assert details["link_action"] == "acknowledge"
    only_audit_grew(web, before)


def test_a_scanner_fetching_every_link_leaves_no_trace(loaded: ServiceContext, web: Web) -> None:
    """Every link of every e-mail, used, expired or fine, fetched GET, HEAD, GET as a mail
    scanner does: nothing is written, nothing changes (a refused view is logged, not audited)."""
    first = _ack_link(web)
    page = web.client.get(first)
    web.client.post(post_url_of(page.text), data={"csrf": csrf_of(page.text)})  # one used
    web.ctx.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    with loaded.session_factory() as session:
        bodies = session.execute(select(Notice.body_text)).scalars().all()
    links = {url for body in bodies for url in links_in(body).values()}
    assert len(links) >= 5
    web.ctx.clock.advance(timedelta(days=25))  # type: ignore[attr-defined]  # some expired now
    before = row_counts(web.ctx)
    statuses = []
    for link in sorted(links):
        for method in (web.client.get, web.client.head, web.client.get):
            statuses.append(method(link).status_code)
    assert row_counts(web.ctx) == before
    assert {409, 410} & set(statuses)  # used and expired links were among them


@pytest.mark.postgres_matters("constraints")
def test_a_replayed_link_acts_once(web: Web) -> None:
    link = _ack_link(web)
    page = web.client.get(link)
    token = csrf_of(page.text)
    assert web.client.post(post_url_of(page.text), data={"csrf": token}).status_code == 200
    before = row_counts(web.ctx)
    again = web.client.post(post_url_of(page.text), data={"csrf": token})
    assert again.status_code == 409
    assert "đã được dùng" in again.text
    refused(web, "replayed")
    only_audit_grew(web, before)
    # Opening it again says so too, instead of showing a form.
    reopened = web.client.get(link)
    assert reopened.status_code == 409
    assert len(web.audit("assignment.acknowledged")) == 1


def test_a_stale_link_says_the_state_moved_on(loaded: ServiceContext, web: Web) -> None:
    link = _ack_link(web)
    execute(loaded, Acknowledge(target=HAI_TIEN, actor="by phone"))
    page = web.client.get(link)
    assert page.status_code == 409
    assert "đã tiếp nhận" in page.text


@pytest.mark.parametrize(
    ("case", "data", "cookie"),
    [
        ("no CSRF field", {}, True),
        ("a CSRF field from another page", {"csrf": "forged.token.value"}, True),
        ("no CSRF cookie", None, False),
    ],
)
def test_csrf_is_required(web: Web, case: str, data: dict[str, str] | None, cookie: bool) -> None:
    link = _ack_link(web)
    page = web.client.get(link)
    form = data if data is not None else {"csrf": csrf_of(page.text)}
    if not cookie:
        web.client.cookies.clear()
    before = row_counts(web.ctx)
    posted = web.client.post(post_url_of(page.text), data=form)
    assert posted.status_code == 403, case
    assert "Phiên xác nhận" in posted.text
    refused(web, "csrf")
    only_audit_grew(web, before)
    assert state_of(web, "T-01", "xa-hai-tien") == "assigned"


def test_a_csrf_token_of_another_link_does_not_fit(loaded: ServiceContext, web: Web) -> None:
    first = web.client.get(_ack_link(web))
    other_link = web.links("assignment", "phong-nn")["acknowledge"]
    before = row_counts(web.ctx)
    posted = web.client.post(other_link, data={"csrf": csrf_of(first.text)})
    assert posted.status_code == 403
    refused(web, "csrf")
    only_audit_grew(web, before)


@pytest.mark.parametrize(
    ("percent", "note", "words"),
    [
        ("150", "ok", "từ 0 đến 100"),
        ("-1", "ok", "từ 0 đến 100"),
        ("1e2", "ok", "từ 0 đến 100"),
        ("", "ok", "từ 0 đến 100"),
        ("50", "   ", "Cần nhập"),
        ("50", "x" * 4001, "dài quá"),
    ],
)
def test_bad_progress_is_shown_again_and_the_link_stays_usable(
    loaded: ServiceContext, web: Web, percent: str, note: str, words: str
) -> None:
    acknowledged(loaded)
    link = web.links("ack_receipt", "xa-hai-tien")["progress"]
    page = web.client.get(link)
    before = row_counts(web.ctx)
    posted = web.client.post(
        post_url_of(page.text),
        data={"csrf": csrf_of(page.text), "percent": percent, "note": note},
    )
    assert posted.status_code == 422
    assert words in posted.text
    assert row_counts(web.ctx) == before
    fixed = web.client.post(
        post_url_of(posted.text),
        data={"csrf": csrf_of(posted.text), "percent": "40", "note": "Đã nạo vét 2 km kênh"},
    )
    assert fixed.status_code == 200, fixed.text
    assert state_of(web, "T-01", "xa-hai-tien") == "in_progress"


def test_done_with_evidence_keeps_the_file_and_its_hash(loaded: ServiceContext, web: Web) -> None:

    page = done_page(loaded, web)
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Đã hoàn thành sửa chữa 3 cống"},
        files={"evidence": ("biên bản nghiệm thu.pdf", PDF, "application/pdf")},
    )
    assert posted.status_code == 200, posted.text
    digest = hashlib.sha256(PDF).hexdigest()
    assert digest in posted.text
    [event] = web.audit("assignment.reported_done")
    assert event.details["evidence"] == {
        "sha256": digest,
        "name": "biên bản nghiệm thu.pdf",
        "type": "application/pdf",
        "size": len(PDF),
    }
    # Kept in the database (with the audit that vouches for it), nothing on the web host.
    assert web.stored_evidence() == {digest: PDF}
    assert not web.evidence_dir.exists() or not any(web.evidence_dir.rglob("*.*"))


@pytest.mark.parametrize(
    ("name", "content", "status", "reason"),
    [
        ("too-big.pdf", b"%PDF-" + b"0" * EVIDENCE_LIMIT, 413, "evidence_too_large"),
        ("way-too-big.pdf", b"%PDF-" + b"0" * (EVIDENCE_LIMIT * 8), 413, "evidence_too_large"),
        ("script.pdf", b"<script>alert(1)</script>", 415, "evidence_wrong_type"),
        ("page.html", b"<html><body>hi</body></html>", 415, "evidence_wrong_type"),
        ("program.exe", b"MZ\x90\x00\x03", 415, "evidence_wrong_type"),
    ],
)
def test_bad_evidence_is_refused_and_audited(
    loaded: ServiceContext, web: Web, name: str, content: bytes, status: int, reason: str
) -> None:
    page = done_page(loaded, web)
    before = row_counts(web.ctx)
    posted = web.client.post(
        post_url_of(page),
        data={"csrf": csrf_of(page), "note": "Xong"},
        files={"evidence": (name, content, "application/pdf")},
    )
    assert posted.status_code == status, posted.text
    refused(web, reason)
    only_audit_grew(web, before)
    assert state_of(web, "T-01", "xa-hai-tien") == "acknowledged"
    assert web.stored_evidence() == {}


def test_html_in_directive_text_and_notes_is_escaped(loaded: ServiceContext, web: Web) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with loaded.session_factory() as session, session.begin():
        session.execute(
            update(Directive).where(Directive.code == "T-01").values(title=f"Kênh {payload}")
        )
    acknowledged(loaded)
    link = web.links("ack_receipt", "xa-hai-tien")["progress"]
    page = web.client.get(link)
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert "&lt;trước&gt;" in page.text  # the directive text of the test meeting
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    # A note with HTML is kept as text and shown escaped when the form comes back.
    posted = web.client.post(
        post_url_of(page.text),
        data={"csrf": csrf_of(page.text), "percent": "101", "note": payload},
    )
    assert posted.status_code == 422
    assert "<script>" not in posted.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in posted.text
    view = web.client.get(web.links("ack_receipt", "xa-hai-tien")["view"])
    assert view.status_code == 200
    assert "<script>" not in view.text
    assert "&lt;script&gt;" in view.text


def test_unknown_addresses_get_a_page_not_json(web: Web) -> None:
    before = row_counts(web.ctx)
    missing = web.client.get("/admin")
    assert missing.status_code == 404
    assert "Không tìm thấy trang này" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    wrong_method = web.client.put(_ack_link(web))
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    assert row_counts(web.ctx) == before


def test_a_body_without_length_is_cut_off_at_the_limit(loaded: ServiceContext, web: Web) -> None:
    page = done_page(loaded, web)
    boundary = "followupboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
            f"{csrf_of(page)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="evidence"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-'
        ).encode()
        for _ in range(64):  # 64 × 64 KiB, never announced in a Content-Length
            yield b"0" * EVIDENCE_LIMIT
        yield f"\r\n--{boundary}--\r\n".encode()

    before = row_counts(web.ctx)
    posted = web.client.post(
        post_url_of(page),
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert posted.status_code == 413
    refused(web, "evidence_too_large")
    only_audit_grew(web, before)
