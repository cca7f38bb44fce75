"""The API loaders and the attribution rule against the real in-process sandbox, over loopback HTTP.

Links are made through the real flow (authorize, consent, Seller Center invitation accepted), so the
registry holds real intervals; the checks are on attributed values, not only on shapes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from linkkit.analytics import load_api_orders, load_shop_content, load_shop_performance, sources
from linkkit.analytics.attribution import attribute_content, daily_gmv_by_link
from linkkit.analytics.metrics import order_table

pytestmark = pytest.mark.integration


def test_loaders_and_attribution_over_real_links(sandbox_server: Any, tmp_path: Path, secret_key: str) -> None:
    from linkkit.config import Settings
    from linkkit.crypto import TokenBox
    from linkkit.linking import LinkService
    from linkkit.models import Role
    from linkkit.store import Store

    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    settings = Settings(
        sandbox_url=sandbox_server.url,
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        secret_key=secret_key,
        max_retries=2,
        backoff=0.01,
    )
    service = LinkService(settings, Store(settings.resolved_database_url, TokenBox(secret_key)))
    try:
        sandbox = service.sandbox
        assert sandbox is not None
        start = service.begin_shop_authorization()
        shop = list(service.complete_authorization(sandbox.consent(start.url, "maple_seller")).shops)[0]
        made = {}
        for role, username in ((Role.OFFICIAL, "maple.official"), (Role.MARKETING, "maple.deals")):
            begun = service.begin_authorization(shop.id, role)
            link = service.complete_authorization(sandbox.consent(begun.url, username)).link
            assert link is not None
            sandbox.send_invitation(link.id)
            sandbox.accept_invitation(link.id)
            made[username] = service.verify(link.id)
        client = service.shop_client(shop.id)
        today = dt.datetime.now(dt.UTC).date()
        begin, end = today - dt.timedelta(days=28), today + dt.timedelta(days=1)
        perf = load_shop_performance(client, shop.cipher, shop_id=shop.id, start=begin, end=end)
        content = load_shop_content(client, shop.cipher, shop_id=shop.id, start=begin, end=end)
        lines = load_api_orders(
            client, shop.cipher, shop_id=shop.id, start=dt.datetime.combine(begin, dt.time(), dt.UTC)
        )
        links = sources.links_from_registry(service.store, shop.id)
    finally:
        service.store.close()

    # the registry's real intervals: both links open, with their roles
    assert sorted(zip(links["username"], links["role"], strict=True)) == [
        ("maple.deals", "marketing"),
        ("maple.official", "official"),
    ]
    assert links["unlinked_at"].isna().all() and links["linked_at"].notna().all()
    linked_at = links.set_index("username")["linked_at"]

    # content: each row's source follows the registry's intervals exactly
    assert set(perf["channel"]) <= {"ALL", "LIVE", "VIDEO", "PRODUCT_CARD"} and not perf.empty
    attributed = attribute_content(content, links)
    assert len(attributed) == len(content)
    for row in attributed.itertuples():
        user = str(row.username).lower()
        if user in linked_at.index and row.time >= linked_at[user]:
            expected = "official" if user == "maple.official" else "marketing"
        elif str(row.account_type).upper().startswith("AFFILIATE"):
            expected = "affiliate"
        else:
            expected = "unlinked"
        assert row.source == expected, row

    # orders: the sandbox's (all before the links were made) plus two paid after both links opened, while
    # Official and Marketing overlap: one from maple.deals' video, one of unknown source
    orders = order_table(lines)
    after = max(linked_at) + pd.Timedelta(hours=1)
    extra = pd.DataFrame(
        {
            "shop_id": [shop.id, shop.id],
            "order_id": ["x1", "x2"],
            "paid_time": pd.Series([after, after + pd.Timedelta(minutes=5)], dtype="datetime64[us, UTC]"),
            "currency": [orders["currency"].iloc[0] if not orders.empty else "USD"] * 2,
            "gmv": [20.0, 30.0],
            "source_username": ["Maple.Deals", None],
        }
    )
    every = pd.concat([orders.assign(source_username=None), extra], ignore_index=True)
    every["source_username"] = every["source_username"].astype("str")
    paid = every[every["paid_time"].notna()]
    got = daily_gmv_by_link(every, links, role=None, include_unattributed=True)
    assert got["gmv"].sum() == pytest.approx(paid["gmv"].sum())  # the shop's GMV, once
    assert int(got["orders"].sum()) == len(paid)
    credited = got[got["username"].notna()].groupby("username")["gmv"].sum().to_dict()
    assert credited == {"maple.deals": 20.0, "maple.official": 30.0}
    before = paid["paid_time"] < min(linked_at)
    assert got.loc[got["username"].isna(), "gmv"].sum() == pytest.approx(paid.loc[before, "gmv"].sum())
