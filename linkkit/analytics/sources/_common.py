"""Column sets shared by every loader in :mod:`linkkit.analytics.sources`."""

from __future__ import annotations

#: The content channels TikTok breaks shop GMV into (``gmv_breakdowns[].type``).
CHANNELS: tuple[str, ...] = ("LIVE", "VIDEO", "PRODUCT_CARD")

#: Columns of the link-interval frame (one row per link, as the registry keeps them).
LINK_COLUMNS: tuple[str, ...] = (
    "link_id",
    "shop_id",
    "shop_name",
    "region",
    "account_open_id",
    "username",
    "display_name",
    "role",
    "linked_at",
    "unlinked_at",
)
#: Columns of the event frame.
EVENT_COLUMNS: tuple[str, ...] = ("at", "kind", "shop_id", "username", "role", "detail")
