"""Orders, shop performance, video and LIVE lists: shapes, pagination, account_type vs link state."""

from __future__ import annotations

import datetime as dt

import pytest
from sandbox_helpers import CEDAR, MAPLE, NOVA_UK

pytestmark = pytest.mark.integration
ORDERS = "/order/202309/orders/search"
PERF = "/analytics/202405/shop/performance"
VIDEOS = "/analytics/202409/shop_videos/performance"
LIVES = "/analytics/202508/shop_lives/performance"


def _days(sb, back: int, forward: int = 1) -> dict[str, str]:
    today = dt.datetime.fromtimestamp(sb.now(), dt.UTC).date()
    return {
        "start_date_ge": (today - dt.timedelta(days=back)).isoformat(),
        "end_date_lt": (today + dt.timedelta(days=forward)).isoformat(),
    }


@pytest.fixture()
def maple(sb):
    return sb.shop_tokens("maple_seller")["access_token"]


def test_orders_shape_and_pagination(sb, maple):
    params = {"shop_cipher": sb.cipher(MAPLE), "page_size": 50, "sort_order": "ASC"}
    first = sb.signed("POST", ORDERS, maple, params=params, body={}).json()
    assert first["code"] == 0
    data = first["data"]
    assert data["total_count"] > 2000
    assert len(data["orders"]) == 50
    o = data["orders"][0]
    for key in ("id", "status", "create_time", "update_time", "user_id", "payment", "line_items"):
        assert key in o
    pay = o["payment"]
    assert pay["currency"] == "USD"
    assert all(
        isinstance(pay[k], str)
        for k in ("sub_total", "total_amount", "shipping_fee", "seller_discount", "platform_discount", "tax")
    )
    item = o["line_items"][0]
    for key in (
        "id",
        "sku_id",
        "product_id",
        "product_name",
        "seller_sku",
        "sale_price",
        "original_price",
        "currency",
        "display_status",
    ):
        assert key in item
    times = [x["create_time"] for x in data["orders"]]
    assert times == sorted(times)
    second = sb.signed("POST", ORDERS, maple, params={**params, "page_token": data["next_page_token"]}, body={}).json()[
        "data"
    ]
    assert second["orders"][0]["create_time"] >= times[-1]
    assert {x["id"] for x in second["orders"]}.isdisjoint({x["id"] for x in data["orders"]})


def test_orders_filters_statuses_and_currency(sb):
    token = sb.shop_tokens("batik_seller")["access_token"]
    from sandbox_helpers import BATIK

    now = int(sb.now())
    body = {"create_time_ge": now - 30 * 86400, "create_time_lt": now, "order_status": "CANCELLED"}
    r = sb.signed("POST", ORDERS, token, params={"shop_cipher": sb.cipher(BATIK), "page_size": 100}, body=body).json()[
        "data"
    ]
    assert r["total_count"] > 0
    assert {o["status"] for o in r["orders"]} == {"CANCELLED"}
    assert all(now - 30 * 86400 <= o["create_time"] < now for o in r["orders"])
    assert r["orders"][0]["payment"]["currency"] == "IDR"
    assert "." not in r["orders"][0]["payment"]["sub_total"]
    everything = sb.signed(
        "POST", ORDERS, token, params={"shop_cipher": sb.cipher(BATIK), "page_size": 100}, body={}
    ).json()["data"]
    statuses = set()
    page = everything
    for _ in range(50):
        statuses |= {o["status"] for o in page["orders"]}
        if not page["next_page_token"]:
            break
        page = sb.signed(
            "POST",
            ORDERS,
            token,
            params={"shop_cipher": sb.cipher(BATIK), "page_size": 100, "page_token": page["next_page_token"]},
            body={},
        ).json()["data"]
    assert {"COMPLETED", "CANCELLED", "AWAITING_SHIPMENT", "IN_TRANSIT"} <= statuses


def test_orders_param_errors(sb, maple):
    c = sb.cipher(MAPLE)
    assert sb.signed("POST", ORDERS, maple, params={"shop_cipher": c}, body={}).json()["code"] == 40006
    assert (
        sb.signed("POST", ORDERS, maple, params={"shop_cipher": c, "page_size": 101}, body={}).json()["code"] == 40006
    )
    assert (
        sb.signed("POST", ORDERS, maple, params={"shop_cipher": c, "page_size": 5, "page_token": "!!"}, body={}).json()[
            "code"
        ]
        == 40006
    )


def test_shop_performance_breakdowns_and_granularity(sb, maple):
    params = {"shop_cipher": sb.cipher(MAPLE), **_days(sb, 30, 0), "granularity": "ALL"}
    r = sb.signed("GET", PERF, maple, params=params).json()
    assert r["code"] == 0
    data = r["data"]
    assert data["latest_available_date"] == dt.datetime.fromtimestamp(sb.now(), dt.UTC).date().isoformat()
    (interval,) = data["performance"]["intervals"]
    assert interval["gmv"]["currency"] == "USD"
    kinds = [b["type"] for b in interval["gmv_breakdowns"]]
    assert kinds == ["LIVE", "VIDEO", "PRODUCT_CARD"]
    total = sum(float(b["amount"]) for b in interval["gmv_breakdowns"])
    assert abs(total - float(interval["gmv"]["amount"])) < 0.05
    assert interval["orders"] > 0
    assert interval["units_sold"] >= interval["sku_orders"] >= interval["orders"]
    for key in (
        "buyers",
        "buyer_breakdowns",
        "avg_order_value",
        "product_impressions",
        "product_impression_breakdowns",
        "product_page_views",
        "product_page_view_breakdowns",
    ):
        assert key in interval
    daily = sb.signed("GET", PERF, maple, params={**params, "granularity": "1D"}).json()["data"]
    assert len(daily["performance"]["intervals"]) == 30
    assert sum(i["orders"] for i in daily["performance"]["intervals"]) == interval["orders"]
    usd = sb.signed(
        "GET",
        PERF,
        sb.shop_tokens("nova_seller")["access_token"],
        params={"shop_cipher": sb.cipher(NOVA_UK), **_days(sb, 30, 0), "currency": "USD", "with_comparison": "true"},
    ).json()["data"]
    assert usd["performance"]["intervals"][0]["gmv"]["currency"] == "USD"
    assert len(usd["performance"]["comparison_intervals"]) == 1
    bad = sb.signed(
        "GET",
        PERF,
        maple,
        params={"shop_cipher": sb.cipher(MAPLE), "start_date_ge": "2025-02-01", "end_date_lt": "2025-01-01"},
    ).json()
    assert bad["code"] == 28001022


def test_video_list_paginates_and_filters_by_link_state(sb):
    token = sb.shop_tokens("cedar_seller")["access_token"]
    base = {"shop_cipher": sb.cipher(CEDAR), **_days(sb, 214), "page_size": 100}
    every = []
    params = dict(base)
    while True:
        page = sb.signed("GET", VIDEOS, token, params=params).json()["data"]
        every += page["videos"]
        if not page["next_page_token"]:
            break
        params["page_token"] = page["next_page_token"]
    assert len(every) == page["total_count"] > 100
    row = every[0]
    assert set(row) >= {
        "id",
        "title",
        "username",
        "gmv",
        "sku_orders",
        "units_sold",
        "views",
        "click_through_rate",
        "products",
        "video_post_time",
    }
    linked = sb.signed("GET", VIDEOS, token, params={**base, "account_type": "LINKED_ACCOUNTS"}).json()["data"]
    affiliates = sb.signed("GET", VIDEOS, token, params={**base, "account_type": "AFFILIATES"}).json()["data"]
    assert linked["total_count"] + affiliates["total_count"] == len(every)
    linked_names = {v["username"] for v in linked["videos"]}
    assert "cedar.official" in linked_names
    assert not linked_names & {"sunny.picks", "dad.reviews", "glow.with.kim"}
    gmvs = [float(v["gmv"]["amount"]) for v in every[:100]]
    assert gmvs == sorted(gmvs, reverse=True)
    bad = sb.signed("GET", VIDEOS, token, params={**base, "account_type": "OFFICIAL_ACCOUNTS"}).json()
    assert bad["code"] == 28001022


def test_live_list_account_types(sb):
    token = sb.shop_tokens("cedar_seller")["access_token"]
    base = {"shop_cipher": sb.cipher(CEDAR), **_days(sb, 214), "page_size": 100}
    official = sb.signed("GET", LIVES, token, params={**base, "account_type": "OFFICIAL_ACCOUNTS"}).json()["data"]
    assert official["total_count"] > 0
    assert {x["username"] for x in official["live_stream_sessions"]} <= {"cedar.official", "cedar.founder"}
    s = official["live_stream_sessions"][0]
    assert s["start_time"].isdigit()
    assert "interaction_performance" in s
    assert set(s["sales_performance"]) >= {"gmv", "sku_orders", "unit_sold", "customers", "24h_live_gmv"}
    everything = sb.signed("GET", LIVES, token, params=base).json()["data"]
    assert "interaction_performance" not in everything["live_stream_sessions"][0]
    parts = sum(
        sb.signed("GET", LIVES, token, params={**base, "account_type": k}).json()["data"]["total_count"]
        for k in ("OFFICIAL_ACCOUNTS", "MARKETING_ACCOUNTS", "AFFILIATE_ACCOUNTS")
    )
    assert parts == everything["total_count"]


def test_accepting_invitation_shows_account_as_linked_in_analytics(sb, maple):
    params = {"shop_cipher": sb.cipher(MAPLE), **_days(sb, 3), "account_type": "LINKED_ACCOUNTS"}
    before = sb.signed("GET", VIDEOS, maple, params=params).json()["data"]
    assert before["total_count"] == 0
    sb.link(maple, MAPLE, "maple.official", "official")
    after = sb.signed("GET", VIDEOS, maple, params=params).json()["data"]
    assert [v["username"] for v in after["videos"]] == ["maple.official"]
    # history before the link stays affiliate-only: the link is judged at the content's time
    old = sb.signed("GET", VIDEOS, maple, params={**params, **_days(sb, 200, -3)}).json()["data"]
    assert old["total_count"] == 0
