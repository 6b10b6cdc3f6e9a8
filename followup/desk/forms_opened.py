"""Which resume form each person last opened on each run.

Prefect files a resume's answer under the key the run waits on when the answer arrives, not
the one whose form the person opened: if the directive changed in between (a unit asked for
another date, say) and the run moved to a new key, the answer would be checked against the
new state and carried out over a change its author never saw. The UI fetches a form's schema
(`/api/flow_runs/<run>/input/suspended-<key>-schema`) when it opens the Resume dialog; the
desk remembers that key per person and run, and stamps it on the answer, which the run then
checks against the state as it was when the form was opened.
"""

from __future__ import annotations

import re
from collections import OrderedDict

_UUID = r"[0-9a-fA-F-]{36}"
_SCHEMA = re.compile(rf"^/api/flow_runs/({_UUID})/input/suspended-(v\d+-i\d+)-schema$")
_RESUME = re.compile(rf"^/api/flow_runs/({_UUID})/resume$")


class FormsOpened:
    """The key of the form each (person, run) last opened; the oldest forgotten past `most`."""

    def __init__(self, most: int = 10_000) -> None:
        self._most = most
        self._keys: OrderedDict[tuple[str, str], str] = OrderedDict()

    def saw(self, login: str, path: str) -> None:
        """Note a form's schema fetched by `login` (any other path is not a form)."""
        match = _SCHEMA.match(path)
        if match is None:
            return
        run = (login, match.group(1).lower())
        self._keys[run] = match.group(2)
        self._keys.move_to_end(run)
        while len(self._keys) > self._most:
            self._keys.popitem(last=False)

    def opened(self, login: str, resume_path: str) -> str | None:
        """The key of the form `login` last opened on the run a resume path names."""
        match = _RESUME.match(resume_path)
        return self._keys.get((login, match.group(1).lower())) if match else None
