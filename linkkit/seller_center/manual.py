"""``ManualSellerCenter``: live mode, where step 4 is done by hand in Seller Center.

linkkit cannot send or accept invitations in live Seller Center (TikTok has no API for it); it shows the
clicks, and looks for evidence of the binding in the shop's own data through the TikTok Shop API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from linkkit.models import Role, Shop
from linkkit.seller_center.base import (
    BindingEvidence,
    Eligibility,
    SellerCenterLink,
    ShopDataReader,
    evidence_from_shop_data,
    links_from_shop_data,
)

__all__ = ["ManualSellerCenter"]


class ManualSellerCenter:
    """Seller Center as a person uses it; evidence from the Shop API.

    Args:
        seller_center_url: The Seller Center web UI (deep links for step 4).
        shop_client: A Shop API client for a shop (with a fresh seller token).
    """

    automated = False

    def __init__(self, seller_center_url: str, shop_client: Callable[[Shop], ShopDataReader]) -> None:
        self._url = seller_center_url
        self._shop_client = shop_client

    def __repr__(self) -> str:
        return f"ManualSellerCenter({self._url!r})"

    def url(self, shop_id: str) -> str:
        return self._url

    def eligibility(self, shop: Shop, username: str, role: Role) -> Eligibility | None:
        return None  # live Seller Center checks eligibility when the invitation is sent

    def find_binding(self, shop: Shop, username: str, role: Role, now: datetime) -> BindingEvidence | None:
        return evidence_from_shop_data(self._shop_client(shop), shop, username, role, now)

    def existing_links(self, shop: Shop, now: datetime) -> list[SellerCenterLink]:
        return links_from_shop_data(self._shop_client(shop), shop, now)

    def unlink(self, shop: Shop, username: str) -> bool:
        return False  # done by the seller in Seller Center; linkkit's own records end regardless
