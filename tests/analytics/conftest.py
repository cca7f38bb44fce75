"""Small hand-built frames for the analytics tests."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from linkkit.analytics import sources


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def make_links(*rows: tuple[Any, ...]) -> pd.DataFrame:
    """rows: (link_id, shop_id, username, role, linked_at, unlinked_at or None)."""
    return sources.links_frame(
        [
            {
                "link_id": lid,
                "shop_id": shop,
                "shop_name": f"Shop {shop}",
                "region": "US",
                "account_open_id": f"o-{user}",
                "username": user,
                "display_name": user.title(),
                "role": role,
                "linked_at": utc(a),
                "unlinked_at": utc(b) if b else None,
            }
            for lid, shop, user, role, a, b in rows
        ]
    )


@pytest.fixture
def links() -> pd.DataFrame:
    # shop s1: official "ann" [Jan 1, Jan 10 12:00), gap, official "bob" from Jan 12; marketing "mia" all along
    # shop s2: official "zed" from Jan 1 (same username "mia" exists in s1 only)
    return make_links(
        ("L1", "s1", "ann", "official", "2025-01-01T00:00:00", "2025-01-10T12:00:00"),
        ("L2", "s1", "bob", "official", "2025-01-12T00:00:00", None),
        ("L3", "s1", "mia", "marketing", "2024-12-01T00:00:00", None),
        ("L4", "s2", "zed", "official", "2025-01-01T00:00:00", None),
    )
