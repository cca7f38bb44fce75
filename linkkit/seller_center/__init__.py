"""The Seller Center port and its two adapters (design §2).

- :class:`~linkkit.seller_center.base.SellerCenter` — the port;
- :class:`~linkkit.seller_center.manual.ManualSellerCenter` — live mode: click-by-click, evidence from the
  shop's own data;
- :class:`~linkkit.seller_center.emulated.EmulatedSellerCenter` — the sandbox's emulated page.
"""

from linkkit.seller_center.base import (
    BindingEvidence,
    Eligibility,
    SellerCenter,
    SellerCenterLink,
    evidence_from_shop_data,
    links_from_shop_data,
)
from linkkit.seller_center.emulated import EmulatedSellerCenter, SellerCenterClient
from linkkit.seller_center.manual import ManualSellerCenter

__all__ = [
    "BindingEvidence",
    "Eligibility",
    "EmulatedSellerCenter",
    "ManualSellerCenter",
    "SellerCenter",
    "SellerCenterClient",
    "SellerCenterLink",
    "evidence_from_shop_data",
    "links_from_shop_data",
]
