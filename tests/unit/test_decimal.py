"""Numbers in Vietnamese text: a decimal comma, a dot between thousands."""

from __future__ import annotations

from followup.domain.text import decimal
from followup.services.reporting.audit_query import days_text
from followup.services.reporting.reports import rate_text
from followup.web.rendering import Renderer


def test_numbers_read_the_vietnamese_way() -> None:
    assert decimal(892.6) == "892,6"
    assert decimal(1234.5) == "1.234,5"
    assert decimal(0.333, 2) == "0,33"
    assert decimal(2.0, 1, trim=True) == "2"
    assert decimal(1.5, 2, trim=True) == "1,5"
    assert days_text(1.5) == "1,5 ngày"
    assert rate_text(0.875) == "87,5%"


def test_the_pages_say_the_evidence_limit_with_a_comma() -> None:
    pages = Renderer(org_name=str, default_language="vi", max_bytes=int(2.5 * 1048576))
    assert pages.max_mb == "2,5"
