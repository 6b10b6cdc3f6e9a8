"""Names of the flows and deployments, shared by the flows, the deployments and the code
that starts runs from outside (no module needs to import a flow to name it)."""

from __future__ import annotations

DIRECTIVE_FLOW = "directive"
DIRECTIVE_DEPLOYMENT = "directive"
#: How `run_deployment` names the directive deployment.
DIRECTIVE = f"{DIRECTIVE_FLOW}/{DIRECTIVE_DEPLOYMENT}"
OPEN_MEETING_FLOW = "open-meeting"
SWEEP_FLOW = "escalation-sweep"
DISPATCH_FLOW = "dispatch-outbox"
DIGEST_FLOW = "daily-digest"
