"""The sandbox route table: each service's ``urls.ROUTES`` joined, plus path → route matching.

Routes hold the handler callables themselves (moto's ``url_paths``), never names to look up.

Example:
    >>> route, params = match("/seller-center/api/invitations/inv000001/accept")
    >>> route.methods["POST"].__module__, params
    ('linkkit.sandbox.seller_center.responses', {'invitation_id': 'inv000001'})
"""

from __future__ import annotations

from .control.urls import ROUTES as CONTROL
from .login_kit.urls import ROUTES as LOGIN_KIT
from .seller_center.urls import ROUTES as SELLER_CENTER
from .shop_api.urls import ROUTES as SHOP_API
from .shop_auth.urls import ROUTES as SHOP_AUTH
from .wire import Route

ROUTES: tuple[Route, ...] = LOGIN_KIT + SHOP_AUTH + SHOP_API + SELLER_CENTER + CONTROL

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


__all__ = ["ROUTES", "Route", "family_of", "match"]
