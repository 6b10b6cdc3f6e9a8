"""Signed links for communes, who have no accounts.

An action link is bound to one assignment, one action, the person it was sent to and an
expiry, signed with a secret from config. A view link is bound to one unit instead and opens
its list of open assignments. Links that change state are single-use: their nonce is recorded
when used, under a unique key, in the same transaction as the action, so a replayed link is
refused. The token is signed, not encrypted: it holds nothing its recipient may not read.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer

from followup.domain.errors import FollowupError
from followup.domain.states import WORKING_STATES, AssignmentState
from followup.domain.vocabulary import CommandName

#: Values people leave in example configs: refused, the service would be forgeable.
PLACEHOLDERS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "secret",
        "password",
        "placeholder",
        "your-secret-here",
        "xxx",
        "test",
    }
)
MIN_SECRET_LENGTH = 32


class LinkAction(StrEnum):
    """What a link in a unit's e-mail does. Each action link carries one command and is
    offered in the states that command moves on from (`offered_in`); the pages build the
    command from the link's form (`web.acting.BUILDERS`) and show the texts named after the
    action (`web.i18n`). A new unit action is a member here, its builder and its texts."""

    VIEW = "view"  # the unit's list of open assignments: reusable, bound to a unit
    ACKNOWLEDGE = "acknowledge"
    PROGRESS = "progress"
    DONE = "done"
    EXTENSION = "extension"

    @property
    def single_use(self) -> bool:
        return self is not LinkAction.VIEW

    @property
    def command(self) -> CommandName | None:
        """The command the link's form becomes (None: the view link acts on nothing)."""
        return _CARRIES.get(self, (None, frozenset()))[0]

    @property
    def offered_in(self) -> frozenset[AssignmentState]:
        """The assignment states in which the unit's e-mails and pages offer this action."""
        return _CARRIES.get(self, (None, frozenset()))[1]


_CARRIES: dict[LinkAction, tuple[CommandName, frozenset[AssignmentState]]] = {
    LinkAction.ACKNOWLEDGE: (CommandName.ACKNOWLEDGE, frozenset({AssignmentState.ASSIGNED})),
    LinkAction.PROGRESS: (CommandName.PROGRESS, WORKING_STATES),
    LinkAction.DONE: (CommandName.DONE, WORKING_STATES),
    LinkAction.EXTENSION: (CommandName.REQUEST_EXTENSION, WORKING_STATES),
}

#: The links that act, in the order their buttons appear.
ACTION_LINKS = tuple(action for action in LinkAction if action.single_use)


def link_actions(state: AssignmentState) -> tuple[LinkAction, ...]:
    """What a unit can do from `state`, in the order the buttons appear."""
    return tuple(action for action in ACTION_LINKS if state in action.offered_in)


class LinkError(FollowupError):
    """A link that must not act: forged, expired, for another action, or already used."""

    def __init__(self, reason: str, message: str) -> None:
        # forged | expired | wrong_action | other_unit | replayed | not_recipient | not_found
        # | bad_form
        self.reason = reason
        super().__init__(message)


NO_LINK_KEY_MESSAGE = (
    "Chưa đặt FOLLOWUP_LINK_SECRET: cần một chuỗi ngẫu nhiên dài ít nhất 32 ký tự để ký các "
    "liên kết trong thư (ví dụ: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
)


def check_secret(secret: str) -> str:
    """Refuse a missing, placeholder or short secret, in one sentence, at start-up."""
    plain = secret.strip().lower()
    if plain in PLACEHOLDERS or "change-me" in plain or len(secret) < MIN_SECRET_LENGTH:
        raise FollowupError(
            "FOLLOWUP_LINK_SECRET phải là một chuỗi ngẫu nhiên dài ít nhất "
            f"{MIN_SECRET_LENGTH} ký tự (ví dụ: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'), không phải giá trị mẫu."
        )
    return secret


@dataclass(frozen=True)
class LinkClaims:
    #: The assignment an action link acts on; the unit, for a view link.
    subject_id: int
    action: LinkAction
    expires_at: datetime
    nonce: str
    #: The e-mail address the link was sent to ("" if none): the audit names who acted.
    recipient: str = ""

    @property
    def assignment_id(self) -> int:
        if self.action is LinkAction.VIEW:
            raise ValueError("a view link names a unit, not an assignment")
        return self.subject_id

    @property
    def unit_id(self) -> int:
        if self.action is not LinkAction.VIEW:
            raise ValueError("an action link names an assignment, not a unit")
        return self.subject_id


class LinkSigner:
    def __init__(self, secret: str, previous: tuple[str, ...] = ()) -> None:
        """Links are signed with `secret`; a link signed with one of the `previous` secrets
        (the ones replaced by a rotation) is still genuine, so the links already e-mailed keep
        working until they expire."""
        keys = [check_secret(old) for old in previous] + [check_secret(secret)]
        # itsdangerous signs with the last key and accepts any of them.
        self._serializer = URLSafeSerializer(keys, salt="followup-action-link")

    def sign(
        self, subject_id: int, action: LinkAction, *, expires_at: datetime, recipient: str = ""
    ) -> str:
        """A token for `action` on assignment `subject_id` (a unit's id for VIEW)."""
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        payload = {
            "a": subject_id,
            "k": action.value,
            "e": int(expires_at.timestamp()),
            "n": secrets.token_urlsafe(12),
            "r": recipient,
        }
        return str(self._serializer.dumps(payload))

    def peek(self, token: str) -> LinkClaims | None:
        """The claims of a genuinely signed token, whatever its action or expiry (to audit a
        refused link with what it names); None if the signature does not hold."""
        try:
            return self._claims(self._serializer.loads(token))
        except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
            return None

    @staticmethod
    def _claims(payload: object) -> LinkClaims:
        if not isinstance(payload, dict):
            raise TypeError("not a link payload")
        return LinkClaims(
            subject_id=int(payload["a"]),
            action=LinkAction(payload["k"]),
            expires_at=datetime.fromtimestamp(int(payload["e"]), tz=UTC),
            nonce=str(payload["n"]),
            recipient=str(payload.get("r", "")),
        )

    def verify(self, token: str, *, action: LinkAction, now: datetime) -> LinkClaims:
        """The claims of a genuine, unexpired link for `action`; LinkError otherwise."""
        claims = self.peek(token)
        if claims is None:
            raise LinkError("forged", "Liên kết không hợp lệ hoặc đã bị sửa.")
        return self.admit(claims, action=action, now=now)

    @staticmethod
    def admit(claims: LinkClaims, *, action: LinkAction, now: datetime) -> LinkClaims:
        """Genuine claims (from `peek`) that may act now for `action`; LinkError otherwise."""
        if claims.action is not action:
            raise LinkError("wrong_action", "Liên kết này không dùng cho thao tác này.")
        if now >= claims.expires_at:
            raise LinkError(
                "expired",
                "Liên kết đã hết hạn; hãy dùng liên kết trong thông báo mới nhất.",
            )
        return claims
