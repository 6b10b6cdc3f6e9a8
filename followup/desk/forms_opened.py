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

from followup.orchestration.resume_form import OPENED_UNDER

#: A form left open longer than this is not taken for the one an answer came from.
FORGET_AFTER_SECONDS = 2 * 60 * 60
_UUID = r"[0-9a-fA-F-]{36}"
_SCHEMA = re.compile(rf"^/api/flow_runs/({_UUID})/input/suspended-(v\d+-i\d+)-schema$")
_RESUME = re.compile(rf"^/api/flow_runs/({_UUID})/resume$")


class FormsOpened:
    """The key of the form each (person, run) opened and has not answered yet; the oldest
    forgotten past `most` (and any after `FORGET_AFTER_SECONDS`)."""

    def __init__(self, most: int = 10_000) -> None:
        self._most = most
        self._keys: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    @staticmethod
    def is_form(path: str) -> bool:
        return _SCHEMA.match(path) is not None

    def saw(self, login: str, path: str, schema: bytes, now: float) -> None:
        """Note a form's schema fetched by `login`. A form of a run suspended before the
        desk stamped answers has no room for the stamp (Prefect would refuse the answer):
        it is not noted. Of two forms opened on one run before an answer (two tabs), the
        older is kept: an answer is never checked against a newer state than its author
        saw, at worst an older one, and then sent again."""
        match = _SCHEMA.match(path)
        if match is None or OPENED_UNDER.encode() not in schema:
            return
        run = (login, match.group(1).lower())
        if run in self._keys and now - self._keys[run][1] < FORGET_AFTER_SECONDS:
            return
        self._keys[run] = (match.group(2), now)
        self._keys.move_to_end(run)
        while len(self._keys) > self._most:
            self._keys.popitem(last=False)

    def answered(self, login: str, resume_path: str, now: float) -> str | None:
        """The key of the form `login` opened on the run a resume path names (forgotten
        with the answer: the next answer comes from a form opened afresh)."""
        match = _RESUME.match(resume_path)
        if match is None:
            return None
        key, at = self._keys.pop((login, match.group(1).lower()), (None, 0.0))
        return key if key is not None and now - at < FORGET_AFTER_SECONDS else None
