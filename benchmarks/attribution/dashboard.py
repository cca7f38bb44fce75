"""The analytics page's model at scale: build time, peak memory and redraw time per filter.

The model reads the generated orders straight from Parquet into DuckDB (no pandas frame of orders),
credits them by the attribution rule, pre-aggregates, then answers filter changes. One redraw is
``model.view(filters).figures()`` (frames + the four plain-dict figures), as a widget callback does.

Filters measured, each repeated: all shops; one shop (the biggest, a middle one and a small one); role
(official, marketing); channel (LIVE); currency (GBP); a date range; and a combination. The result gives
the median per filter kind and the worst filter (the highest median), plus the single slowest redraw.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from linkkit.analytics import AnalyticsData, sources
from linkkit.analytics.dashboard import DashboardModel, Filters


def links_frame(links_path: Path) -> pd.DataFrame:
    """The generated intervals as the registry's link frame (string ids, shop names)."""
    lk = pq.read_table(links_path).to_pandas()
    return sources.links_frame(
        {
            "link_id": str(r.link_id),
            "shop_id": str(r.shop_id),
            "shop_name": f"Shop {r.shop_id}",
            "region": "US",
            "account_open_id": f"open-{r.account_id}",
            "username": f"acct{r.account_id}",
            "display_name": f"Acct {r.account_id}",
            "role": str(r.role),
            "linked_at": r.linked_at,
            "unlinked_at": None if pd.isna(r.unlinked_at) else r.unlinked_at,
        }
        for r in lk.itertuples()
    )


def build(orders_path: Path, links_path: Path, memory_limit: str | None = None) -> tuple[DashboardModel, float]:
    """Build the model from the files; returns it and the build seconds (links frame excluded)."""
    links = links_frame(links_path)
    t0 = time.perf_counter()
    model = DashboardModel(
        AnalyticsData(links=links, source="benchmark"),
        orders=orders_path,
        time_col="created_time",
        amount_col="amount",
        memory_limit=memory_limit,
    )
    return model, time.perf_counter() - t0


def filters(model: DashboardModel) -> dict[str, Filters]:
    """The filter changes measured, by name."""
    by_orders = model.shops_by_orders()
    big, mid, small = by_orders[0], by_orders[len(by_orders) // 2], by_orders[-1]
    return {
        "all shops": Filters(),
        "one shop (biggest)": Filters(shop_id=big),
        "one shop (median)": Filters(shop_id=mid),
        "one shop (smallest)": Filters(shop_id=small),
        "role official": Filters(role="official"),
        "role marketing": Filters(role="marketing"),
        "channel LIVE": Filters(channel="LIVE"),
        "currency GBP": Filters(currency="GBP"),
        "date range (Q2)": Filters(start=dt.date(2025, 4, 1), end=dt.date(2025, 6, 30)),
        "shop + role + channel + dates": Filters(
            shop_id=big, role="marketing", channel="VIDEO", start=dt.date(2025, 3, 1), end=dt.date(2025, 8, 31)
        ),
    }


def measure(orders_path: Path, links_path: Path, repeats: int = 7, memory_limit: str | None = None) -> dict[str, Any]:
    """Build once, then time each filter ``repeats`` times (interleaved)."""
    model, build_s = build(orders_path, links_path, memory_limit)
    chosen = filters(model)
    times: dict[str, list[float]] = {name: [] for name in chosen}
    model.view(Filters()).figures()  # first query warms DuckDB's catalog; measured separately below
    for _ in range(repeats):
        for name, f in chosen.items():
            t = time.perf_counter()
            model.view(f).figures()
            times[name].append(time.perf_counter() - t)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    worst = max(medians, key=lambda k: medians[k])
    return {
        "build_s": build_s,
        "order_table_bytes": model.storage_bytes(),
        "redraw_median_s_by_filter": medians,
        "redraw_max_s_by_filter": {name: max(ts) for name, ts in times.items()},
        "worst_filter": worst,
        "worst_filter_median_s": medians[worst],
        "redraw_median_s_all": statistics.median(t for ts in times.values() for t in ts),
        "redraw_max_s": max(max(ts) for ts in times.values()),
        "repeats": repeats,
    }
