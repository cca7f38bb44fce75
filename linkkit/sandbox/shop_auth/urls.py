"""TikTok Shop seller-authorization routes, as data."""

from __future__ import annotations

from ..wire import Route
from . import responses

ROUTES: tuple[Route, ...] = (
    Route("/open/authorize", {"GET": responses.authorize_page, "POST": responses.authorize_submit}, "shop_page"),
    Route("/api/v2/token/get", {"GET": responses.token_get}, "shop_api"),
    Route("/api/v2/token/refresh", {"GET": responses.token_refresh}, "shop_api"),
)
