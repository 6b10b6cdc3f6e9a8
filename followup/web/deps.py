"""What every page needs, made once per app and held on `app.state`: the settings, the
service context, the link signer, the CSRF guard and the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, cast

from fastapi import Depends, Request

from followup.config import Settings
from followup.links import LinkSigner
from followup.orchestration.runs import waking
from followup.services.context import ServiceContext
from followup.web.csrf import CsrfGuard
from followup.web.rendering import Renderer
from followup.web.throttle import PerMinute

#: Room for the form fields around an evidence file.
FORM_OVERHEAD = 256 * 1024
#: Refused POSTs with no genuine link (forged, cut short, none) audited per minute, at most:
#: a stranger looping over addresses would otherwise write the chain as fast as it can ask.
#: The rest are logged, as refused page views are.
FORGED_AUDIT_PER_MINUTE = 30


@dataclass(frozen=True)
class WebDeps:
    settings: Settings
    context: ServiceContext
    signer: LinkSigner
    csrf: CsrfGuard
    pages: Renderer
    forged_audits: PerMinute = field(default_factory=lambda: PerMinute(FORGED_AUDIT_PER_MINUTE))

    @classmethod
    def build(cls, settings: Settings, ctx: ServiceContext | None = None) -> WebDeps:
        """`ctx` (tests, the demo) shares a context, else one is made from settings."""
        signer = settings.signer()  # refuses a missing or placeholder secret at start-up
        secret = settings.link_secret.get_secret_value() if settings.link_secret else ""
        context = ctx or waking(ServiceContext.from_settings(settings))
        return cls(
            settings=settings,
            context=context,
            signer=signer,
            csrf=CsrfGuard(secret),
            pages=Renderer(
                org_name=context.organisation,
                default_language=settings.language,
                max_bytes=settings.evidence_max_bytes,
            ),
        )

    @property
    def secure_cookie(self) -> bool:
        return self.settings.base_url.startswith("https://")

    @property
    def body_limit(self) -> int:
        """The most a request body may hold: one evidence file and the form around it."""
        return self.settings.evidence_max_bytes + FORM_OVERHEAD


def deps_of(request: Request) -> WebDeps:
    """The WebDeps `create_app` put on the app's state."""
    return cast(WebDeps, request.app.state.deps)


async def web_deps(request: Request) -> WebDeps:
    """`deps_of` as a FastAPI dependency (async: a lookup needs no thread of its own)."""
    return deps_of(request)


#: A route's parameter that receives the app's WebDeps.
Deps = Annotated[WebDeps, Depends(web_deps)]
