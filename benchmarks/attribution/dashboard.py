"""In-kernel redraw time of the analytics page's model on 1,000,000 orders.

Builds an :class:`~linkkit.analytics.AnalyticsData` from the generated orders (channel performance and
content rows are aggregated from them; the generated intervals act as Official links), then times
``DashboardModel.view(filters).figures()`` for a series of filter changes, as a widget callback does.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from linkkit.analytics import AnalyticsData, sources
from linkkit.analytics.dashboard import DashboardModel, Filters


def build(orders_path: Path, links_path: Path) -> AnalyticsData:
    """AnalyticsData over the generated files (not timed)."""
    o = pd.read_parquet(orders_path)
    lk = pd.read_parquet(links_path)
    rng = np.random.default_rng(3)
    shop = "shop-" + o["shop_id"].astype("int64").astype(str)
    lines = pd.DataFrame(
        {
            "shop_id": shop.astype("str"),
            "order_id": o["order_id"].astype(str).astype("str"),
            "line_no": pd.array(np.ones(len(o), dtype=np.int64), dtype="Int64"),
            "status": pd.Series("COMPLETED", index=o.index, dtype="str"),
            "created_time": o["created_time"],
            "paid_time": o["created_time"],
            "quantity": pd.array(rng.integers(1, 3, len(o)), dtype="Int64"),
            "line_amount": o["amount"],
            "order_amount": o["amount"],
            "currency": pd.Series("USD", index=o.index, dtype="str"),
            "buyer": pd.Series(rng.integers(0, 200_000, len(o))).astype(str).astype("str"),
        }
    )
    links = sources.links_frame(
        [
            {
                "link_id": f"L{r.link_id}",
                "shop_id": f"shop-{r.shop_id}",
                "shop_name": f"Shop {r.shop_id}",
                "region": "US",
                "account_open_id": f"open-{r.account_id}",
                "username": f"acct{r.account_id}",
                "display_name": f"Acct {r.account_id}",
                "role": "official",
                "linked_at": r.linked_at,
                "unlinked_at": None if pd.isna(r.unlinked_at) else r.unlinked_at,
            }
            for r in lk.itertuples()
        ]
    )
    # content rows: one per (shop, day, channel) of LIVE/VIDEO orders, posted at noon by whoever was linked then
    o2 = o.assign(shop=shop, day=o["created_time"].dt.floor("D"), channel=o["channel"].astype(str))
    vid = (
        o2[o2["channel"] != "PRODUCT_CARD"]
        .groupby(["shop", "day", "channel"], as_index=False)
        .agg(gmv=("amount", "sum"), n=("amount", "size"))
    )
    vid["at"] = vid["day"] + pd.Timedelta(hours=12)
    spans = links[["shop_id", "username", "linked_at", "unlinked_at"]].rename(columns={"shop_id": "shop"})
    hit = pd.merge_asof(
        vid.sort_values("at"),
        spans.sort_values("linked_at"),
        left_on="at",
        right_on="linked_at",
        by="shop",
        direction="backward",
    )
    ok = hit["linked_at"].notna() & (hit["unlinked_at"].isna() | (hit["at"] < hit["unlinked_at"]))
    hit["username"] = hit["username"].where(ok, "aff-" + hit["shop"])
    vid = hit
    usernames = vid["username"].tolist()
    content = sources._typed(
        [
            {
                "shop_id": s,
                "content_type": c,
                "content_id": f"{s}-{d:%Y%m%d}-{c}",
                "title": "",
                "username": u,
                "account_type": "ALL",
                "time": d + pd.Timedelta(hours=12),
                "end_time": None,
                "gmv": g,
                "currency": "USD",
                "sku_orders": n,
                "units_sold": n,
                "buyers": n,
                "views": None,
                "product_impressions": None,
                "product_clicks": None,
            }
            for s, d, c, g, n, u in zip(
                vid["shop"], vid["day"], vid["channel"], vid["gmv"], vid["n"], usernames, strict=True
            )
        ],
        sources._CONTENT_COLUMNS,
    )
    perf_c = o2.groupby(["shop", "day", "channel"], as_index=False).agg(
        gmv=("amount", "sum"), orders=("amount", "size")
    )
    perf_a = o2.groupby(["shop", "day"], as_index=False).agg(gmv=("amount", "sum"), orders=("amount", "size"))
    perf_a["channel"] = "ALL"
    perf = pd.concat([perf_a, perf_c], ignore_index=True)
    perf = pd.DataFrame(
        {
            "shop_id": perf["shop"].astype("str"),
            "date": perf["day"].dt.tz_localize(None).astype("datetime64[us]"),
            "channel": perf["channel"].astype("str"),
            "gmv": perf["gmv"],
            "currency": pd.Series("USD", index=perf.index, dtype="str"),
            "orders": pd.array(perf["orders"], dtype="Int64"),
            "units_sold": pd.array(perf["orders"], dtype="Int64"),
            "buyers": pd.array(perf["orders"], dtype="Int64"),
            "product_impressions": pd.array(perf["orders"] * 40, dtype="Int64"),
            "product_page_views": pd.array(perf["orders"] * 4, dtype="Int64"),
            "avg_product_page_visitors": pd.array(perf["orders"] * 3, dtype="Int64"),
        }
    )
    return AnalyticsData(
        links=links,
        events=sources.events_frame([]),
        orders=lines,
        performance=perf,
        content=content,
        source="benchmark",
    )


def measure(orders_path: Path, links_path: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds of one filter change (model.view + the four figures)."""
    data = build(orders_path, links_path)
    t0 = time.perf_counter()
    model = DashboardModel(data)
    prepare = time.perf_counter() - t0
    shops = [s for _, s in model.shops()][:5]
    filters = [Filters()]
    for s in shops:
        accounts = model.accounts(s)
        filters += [
            Filters(shop_id=s),
            Filters(shop_id=s, channel="LIVE"),
            Filters(
                shop_id=s, username=accounts[0][0], role="official", start=dt.date(2025, 3, 1), end=dt.date(2025, 6, 30)
            ),
        ]
    times = []
    for _ in range(repeats):
        for f in filters:
            t = time.perf_counter()
            model.view(f).figures()
            times.append(time.perf_counter() - t)
    return {
        "redraw_median_s": statistics.median(times),
        "redraw_max_s": max(times),
        "prepare_s": prepare,
        "orders": float(len(data.orders)),
        "filter_changes": float(len(times)),
    }
