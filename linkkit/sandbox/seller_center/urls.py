"""Emulated Seller Center routes (our own paths: TikTok has no public API for linked accounts), as data."""

from __future__ import annotations

from ..wire import Route
from . import responses

ROUTES: tuple[Route, ...] = (
    Route("/seller-center/api/linked-accounts", {"GET": responses.linked_accounts}, "seller_center_api"),
    Route("/seller-center/api/linked-accounts/eligibility", {"POST": responses.eligibility}, "seller_center_api"),
    Route("/seller-center/api/linked-accounts/unlink", {"POST": responses.unlink}, "seller_center_api"),
    Route("/seller-center/api/invitations", {"POST": responses.invite}, "seller_center_api"),
    Route(
        r"/seller-center/api/invitations/(?P<invitation_id>[A-Za-z0-9_-]+)/accept",
        {"POST": responses.accept},
        "seller_center_api",
    ),
    Route("/seller-center/linked-accounts", {"GET": responses.page}, "seller_center_page"),
)
