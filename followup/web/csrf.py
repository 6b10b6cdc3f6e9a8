"""CSRF protection without sessions: a double-submit cookie, bound to the link.

The confirmation page sets a random cookie (SameSite=Lax, HttpOnly) and puts a signed,
time-limited token naming that cookie and the link's nonce in its form. A POST acts only if
the token's signature holds, it is fresh, its cookie value is the cookie the browser sent and
its nonce is the link's: another site can neither read the cookie nor forge the token.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

COOKIE = "followup_csrf"
MAX_AGE_SECONDS = 2 * 60 * 60


class CsrfGuard:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="followup-csrf")

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(24)

    def token(self, cookie: str, nonce: str) -> str:
        return str(self._serializer.dumps({"c": cookie, "n": nonce}))

    def check(self, token: str | None, cookie: str | None, nonce: str) -> str | None:
        """None if the POST may act; otherwise why not: missing, expired or mismatch."""
        if not token or not cookie:
            return "missing"
        try:
            payload = self._serializer.loads(token, max_age=MAX_AGE_SECONDS)
        except SignatureExpired:
            return "expired"
        except BadSignature:
            return "mismatch"
        if not isinstance(payload, dict):
            return "mismatch"
        same_cookie = hmac.compare_digest(str(payload.get("c", "")), cookie)
        same_link = hmac.compare_digest(str(payload.get("n", "")), nonce)
        return None if same_cookie and same_link else "mismatch"
