"""Login Kit v2 routes (TikTok for Developers), as data."""

from __future__ import annotations

from ..wire import Route
from . import responses

ROUTES: tuple[Route, ...] = (
    Route(
        "/v2/auth/authorize/", {"GET": responses.authorize_page, "POST": responses.authorize_submit}, "login_kit_page"
    ),
    Route("/v2/oauth/token/", {"POST": responses.token}, "login_kit_oauth"),
    Route("/v2/oauth/revoke/", {"POST": responses.revoke}, "login_kit_oauth"),
    Route("/v2/user/info/", {"GET": responses.user_info}, "login_kit_api"),
)
