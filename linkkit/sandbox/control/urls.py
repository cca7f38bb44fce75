"""``/_sandbox/`` control routes, as data: the test-only control plane, never among TikTok's paths."""

from __future__ import annotations

from ..wire import Route
from . import responses as r

ROUTES: tuple[Route, ...] = (
    Route("/_sandbox/world", {"GET": r.world}, "control"),
    Route("/_sandbox/apps", {"POST": r.apps}, "control"),
    Route("/_sandbox/consent", {"POST": r.consent}, "control"),
    Route("/_sandbox/reset", {"POST": r.reset}, "control"),
    Route("/_sandbox/clock", {"GET": r.clock_get, "POST": r.clock_post}, "control"),
    Route("/_sandbox/faults", {"POST": r.faults_post, "DELETE": r.faults_delete}, "control"),
    Route("/_sandbox/requests", {"GET": r.requests_get, "DELETE": r.requests_delete}, "control"),
    Route("/_sandbox/grants", {"GET": r.grants_get}, "control"),
    Route("/_sandbox/scopes", {"GET": r.scopes_get, "POST": r.scopes_post}, "control"),
    Route("/_sandbox/deauthorize", {"POST": r.deauthorize}, "control"),
    Route("/_sandbox/holds", {"GET": r.holds_get, "POST": r.holds_post, "DELETE": r.holds_delete}, "control"),
    Route(r"/_sandbox/holds/(?P<hold_id>[A-Za-z0-9_-]+)", {"GET": r.hold_get}, "control"),
    Route(r"/_sandbox/holds/(?P<hold_id>[A-Za-z0-9_-]+)/release", {"POST": r.hold_release}, "control"),
    Route(
        "/_sandbox/webhooks", {"GET": r.webhooks_get, "POST": r.webhooks_post, "DELETE": r.webhooks_delete}, "control"
    ),
)
