"""The API loaders against the real in-process sandbox, over loopback HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests

from linkkit.analytics import load_api_orders, load_shop_content, load_shop_performance, sources
from linkkit.analytics.attribution import attribute_content

pytestmark = pytest.mark.integration


def test_loaders_read_the_sandbox_shop(sandbox_server: Any, tmp_path: Path, secret_key: str) -> None:
    from linkkit.config import Settings
    from linkkit.crypto import TokenBox
    from linkkit.linking import LinkService
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
        assert service.sandbox is not None
        start = service.begin_shop_authorization()
        shops = list(service.complete_authorization(service.sandbox.consent(start.url, "maple_seller")).shops)
        shop = shops[0]
        client = service.shop_client(shop.id)
        today = dt.datetime.now(dt.UTC).date()
        begin, end = today - dt.timedelta(days=28), today
        perf = load_shop_performance(client, shop.cipher, shop_id=shop.id, start=begin, end=end)
        content = load_shop_content(client, shop.cipher, shop_id=shop.id, start=begin, end=end)
        orders = load_api_orders(
            client, shop.cipher, shop_id=shop.id, start=dt.datetime.combine(begin, dt.time(), dt.UTC)
        )
        links = sources.links_from_registry(service.store)
    finally:
        service.store.close()
    assert set(perf["channel"]) <= {"ALL", "LIVE", "VIDEO", "PRODUCT_CARD"}
    assert not perf.empty and perf["currency"].notna().all()
    assert content["username"].notna().all()
    assert list(orders.columns)[:3] == ["shop_id", "order_id", "line_no"]
    attributed = attribute_content(content, links)
    assert len(attributed) == len(content)
