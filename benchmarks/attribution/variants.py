"""The attribution + daily-GMV-per-account task, four ways. Each runs in its own process.

Task: put every order on the link active at ``created_time`` for its shop (``linked_at <= t < unlinked_at``,
open links never end), drop orders in gaps, then GMV and order count per (shop, account, day). Every variant
returns a pandas DataFrame ``shop_id, account_id, day, gmv, orders`` (pandas is what analysts and charts
see), so each pays for handing its result to pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd


def run_linkkit(orders: Path, links: Path) -> pd.DataFrame:
    """linkkit's public function (DuckDB, fused, straight from Parquet)."""
    from linkkit.analytics.attribution import daily_gmv_by_link

    return daily_gmv_by_link(
        orders, links, role=None, time_col="created_time", amount_col="amount", account_col="account_id", sort=False
    )


def run_pandas(orders: Path, links: Path) -> pd.DataFrame:
    """Plain pandas: ``merge_asof(by="shop_id")`` (needs a global sort), then filter and group."""
    o = pd.read_parquet(orders, columns=["shop_id", "created_time", "amount"])
    lk = pd.read_parquet(links, columns=["shop_id", "account_id", "linked_at", "unlinked_at"])
    o = o.sort_values("created_time", kind="stable")
    lk = lk.sort_values("linked_at")
    m = pd.merge_asof(o, lk, left_on="created_time", right_on="linked_at", by="shop_id", direction="backward")
    m = m[m["linked_at"].notna() & (m["unlinked_at"].isna() | (m["created_time"] < m["unlinked_at"]))]
    m["day"] = m["created_time"].dt.tz_localize(None).dt.floor("D")
    g = m.groupby(["shop_id", "account_id", "day"], as_index=False, sort=False).agg(
        gmv=("amount", "sum"), orders=("amount", "size")
    )
    return g


def run_duckdb(orders: Path, links: Path) -> pd.DataFrame:
    """A hand-written DuckDB query: range join on shop + interval, group by day (the README's (b'') form)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    q = f"""
    SELECT o.shop_id, l.account_id, date_trunc('day', o.created_time)::TIMESTAMP AS day,
           sum(o.amount) AS gmv, count(*) AS orders
    FROM read_parquet('{orders}') o JOIN read_parquet('{links}') l
      ON o.shop_id = l.shop_id AND o.created_time >= l.linked_at
     AND o.created_time < coalesce(l.unlinked_at, 'infinity'::TIMESTAMPTZ)
    GROUP BY ALL
    """
    return con.sql(q).to_arrow_table().to_pandas()


def run_polars(orders: Path, links: Path) -> pd.DataFrame:
    """polars lazy: scan, join on shop, range filter, group by day (analytics.md's fastest, (c''))."""
    import polars as pl

    lf = (
        pl.scan_parquet(orders)
        .select("shop_id", "created_time", "amount")
        .join(pl.scan_parquet(links).select("shop_id", "account_id", "linked_at", "unlinked_at"), on="shop_id")
        .filter(
            (pl.col("created_time") >= pl.col("linked_at"))
            & (pl.col("unlinked_at").is_null() | (pl.col("created_time") < pl.col("unlinked_at")))
        )
        .group_by("shop_id", "account_id", pl.col("created_time").dt.truncate("1d").alias("day"))
        .agg(pl.col("amount").sum().alias("gmv"), pl.len().alias("orders"))
    )
    return lf.collect().to_pandas()


#: Modules each variant needs, imported before its clock starts (import time is reported separately).
IMPORTS: dict[str, tuple[str, ...]] = {
    "linkkit": ("duckdb", "linkkit.analytics.attribution"),
    "pandas": ("pyarrow.parquet",),
    "duckdb": ("duckdb",),
    "polars": ("polars",),
}

VARIANTS: dict[str, Callable[[Path, Path], pd.DataFrame]] = {
    "linkkit": run_linkkit,
    "pandas": run_pandas,
    "duckdb": run_duckdb,
    "polars": run_polars,
}
