"""The sandbox route table, as data (moto's ``urls.py``).

Each ``Route`` names a path pattern, the ``SandboxResponses`` method per HTTP method, the API family
(which decides error and fault shapes), and for signed TikTok Shop calls the scope key and whether
``shop_cipher`` is required or forbidden.

Example:
    >>> route, params = match("/seller-center/api/invitations/inv000001/accept")
    >>> route.methods["POST"], params
    ('sc_accept', {'invitation_id': 'inv000001'})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    pattern: str
    methods: dict[str, str]
    family: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(f"^{self.pattern}$")


def _signed(scope: str, shop_cipher: str) -> dict[str, str]:
    return {"scope": scope, "shop_cipher": shop_cipher}


ROUTES: tuple[Route, ...] = (
    # --- TikTok for Developers: Login Kit v2 ---------------------------------------------------------
    Route("/v2/auth/authorize/", {"GET": "login_authorize_page", "POST": "login_authorize_submit"}, "login_kit_page"),
    Route("/v2/oauth/token/", {"POST": "login_token"}, "login_kit_oauth"),
    Route("/v2/oauth/revoke/", {"POST": "login_revoke"}, "login_kit_oauth"),
    Route("/v2/user/info/", {"GET": "login_user_info"}, "login_kit_api"),
    # --- TikTok Shop: seller authorization ----------------------------------------------------------
    Route("/open/authorize", {"GET": "shop_authorize_page", "POST": "shop_authorize_submit"}, "shop_page"),
    Route("/api/v2/token/get", {"GET": "shop_token_get"}, "shop_api"),
    Route("/api/v2/token/refresh", {"GET": "shop_token_refresh"}, "shop_api"),
    # --- TikTok Shop: signed API calls (scope keys from the API reference specs) --------------------------
    Route(
        "/authorization/202309/shops",
        {"GET": "shop_authorized_shops"},
        "shop_api",
        _signed("seller.authorization.info", "forbidden"),
    ),
    Route(
        "/order/202309/orders/search",
        {"POST": "shop_orders_search"},
        "shop_api",
        _signed("seller.order.info", "required"),
    ),
    Route(
        "/analytics/202405/shop/performance",
        {"GET": "shop_performance"},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
    Route(
        "/analytics/202409/shop_videos/performance",
        {"GET": "shop_videos"},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
    Route(
        "/analytics/202508/shop_lives/performance",
        {"GET": "shop_lives"},
        "shop_api",
        _signed("data.shop_analytics.public.read", "required"),
    ),
    # --- Seller Center "Linked TikTok accounts", emulated (our own paths; no public API exists) -----------
    Route("/seller-center/api/linked-accounts", {"GET": "sc_linked_accounts"}, "seller_center_api"),
    Route("/seller-center/api/linked-accounts/eligibility", {"POST": "sc_eligibility"}, "seller_center_api"),
    Route("/seller-center/api/linked-accounts/unlink", {"POST": "sc_unlink"}, "seller_center_api"),
    Route("/seller-center/api/invitations", {"POST": "sc_invite"}, "seller_center_api"),
    Route(
        r"/seller-center/api/invitations/(?P<invitation_id>[A-Za-z0-9_-]+)/accept",
        {"POST": "sc_accept"},
        "seller_center_api",
    ),
    Route("/seller-center/linked-accounts", {"GET": "sc_page"}, "seller_center_page"),
    # --- controls ---------------------------------------------------------------------------------------
    Route("/_sandbox/world", {"GET": "ctl_world"}, "control"),
    Route("/_sandbox/apps", {"POST": "ctl_apps"}, "control"),
    Route("/_sandbox/consent", {"POST": "ctl_consent"}, "control"),
    Route("/_sandbox/reset", {"POST": "ctl_reset"}, "control"),
    Route("/_sandbox/clock", {"GET": "ctl_clock_get", "POST": "ctl_clock_post"}, "control"),
    Route("/_sandbox/faults", {"POST": "ctl_faults_post", "DELETE": "ctl_faults_delete"}, "control"),
    Route("/_sandbox/requests", {"GET": "ctl_requests_get", "DELETE": "ctl_requests_delete"}, "control"),
    Route("/_sandbox/scopes", {"GET": "ctl_scopes_get", "POST": "ctl_scopes_post"}, "control"),
    Route("/_sandbox/deauthorize", {"POST": "ctl_deauthorize"}, "control"),
)

_COMPILED = tuple((route, route.regex) for route in ROUTES)


def match(path: str) -> tuple[Route | None, dict[str, str]]:
    """The route for ``path`` and its path parameters, or ``(None, {})``."""
    for route, regex in _COMPILED:
        m = regex.match(path)
        if m:
            return route, m.groupdict()
    return None, {}


def family_of(path: str) -> str:
    """The API family an unknown path belongs to (decides the 404 shape)."""
    if path.startswith("/_sandbox/"):
        return "control"
    if path.startswith("/v2/oauth/"):
        return "login_kit_oauth"
    if path.startswith("/v2/"):
        return "login_kit_api"
    if path.startswith("/seller-center/"):
        return "seller_center_api"
    return "shop_api"
