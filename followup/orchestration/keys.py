"""Suspension keys of a directive's run: `v{version}-i{consumed}`.

Every key must be new (a key already resumed returns its stored input at once), so it is
built from both the directive's version (its latest audit sequence number) and the number of
inputs the directive has consumed, wakes included.
"""

from __future__ import annotations

import re

from followup.services.context import ServiceContext
from followup.services.write.run_inputs import position

_KEY = re.compile(r"^v(\d+)-i(\d+)$")
RESPONSE = re.compile(r"^suspended-(v\d+-i\d+)-response$")


def pause_key(version: int, consumed: int) -> str:
    return f"v{version}-i{consumed}"


def version_of(key: str) -> int | None:
    """The directive version a key was made for; None for a key we did not make."""
    match = _KEY.match(key)
    return int(match.group(1)) if match else None


def expected_pause_key(ctx: ServiceContext, directive_id: int) -> str:
    """The key a run of this directive suspends under right now."""
    return pause_key(*position(ctx, directive_id))
