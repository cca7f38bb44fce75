"""The attribution + daily-GMV-per-account task, four ways, all applying linkkit's attribution rule.

Task: credit every order to at most one link of its shop open at ``created_time`` (``linked_at <= t <
unlinked_at``, open links never end): by role precedence (Official first), then the Marketing link opened
earliest, then the smaller ``link_id``; orders with no open link are dropped; then GMV and order count per
(shop, account, day, currency) — money is never summed across currencies, as in linkkit.
The generated orders carry no source content, so precedence decides every overlap.

Each rival is written in its strongest known form and applies the rule by hand, the same way: cut each
shop's links into non-overlapping segments at every link start/end, keep the winning link per segment,
then put orders on segments:

- DuckDB: a range join on integer microseconds (one SQL statement, straight from Parquet);
- polars: lazy ``join_where`` (shop equality + the two interval inequalities);
- pandas: ``merge_asof`` on the segment starts with a categorical ``by`` key, then the end check.

Every variant returns a pandas DataFrame ``shop_id, account_id, day, currency, gmv, orders`` (pandas is what
analysts and charts see), so each pays for handing its result to pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

FOREVER = 2**62
RANK = {"official": 0, "marketing": 1}


def run_linkkit(orders: Path, links: Path) -> pd.DataFrame:
    """linkkit's public function (DuckDB, fused, straight from Parquet)."""
    from linkkit.analytics.attribution import daily_gmv_by_link

    return daily_gmv_by_link(
        orders, links, role=None, time_col="created_time", amount_col="amount", account_col="account_id", sort=False
    )


def _segments_pandas(lk: pd.DataFrame) -> pd.DataFrame:
    """Non-overlapping (shop, s, e, account) segments with the rule's winner, in pandas (links are small)."""
    lk = lk.assign(
        a=lk["linked_at"].astype("int64") // 1000
        if lk["linked_at"].dtype.unit == "ns"
        else lk["linked_at"].astype("int64"),
    )
    unl = lk["unlinked_at"]
    b = unl.astype("int64") // (1000 if unl.dtype.unit == "ns" else 1)
    lk = lk.assign(b=b.where(unl.notna(), FOREVER), rank=lk["role"].astype(str).map(RANK))
    pts = pd.concat([lk[["shop_id", "a"]].rename(columns={"a": "p"}), lk[["shop_id", "b"]].rename(columns={"b": "p"})])
    pts = pts.drop_duplicates().sort_values(["shop_id", "p"])
    pts["e"] = pts.groupby("shop_id")["p"].shift(-1)
    seg = pts.dropna(subset=["e"]).rename(columns={"p": "s"})
    cand = seg.merge(lk[["shop_id", "account_id", "link_id", "a", "b", "rank"]], on="shop_id")
    cand = cand[(cand["a"] <= cand["s"]) & (cand["s"] < cand["b"])]
    win = cand.sort_values(["shop_id", "s", "rank", "a", "link_id"]).drop_duplicates(["shop_id", "s"])
    return win[["shop_id", "s", "e", "account_id"]].astype({"e": "int64"})


def run_pandas(orders: Path, links: Path) -> pd.DataFrame:
    """pandas: ``merge_asof(by=shop)`` on segment starts (categorical key), end check, group by day."""
    o = pd.read_parquet(orders, columns=["shop_id", "created_time", "amount", "currency"])
    seg = _segments_pandas(pd.read_parquet(links))
    shops = pd.CategoricalDtype(sorted(set(seg["shop_id"]) | set(o["shop_id"].unique())))
    o["t"] = o["created_time"].astype("int64")
    o["shop_id"] = o["shop_id"].astype(shops)
    seg["shop_id"] = seg["shop_id"].astype(shops)
    o = o.sort_values("t", kind="stable")
    seg = seg.sort_values("s")
    m = pd.merge_asof(o, seg, left_on="t", right_on="s", by="shop_id", direction="backward")
    m = m[m["s"].notna() & (m["t"] < m["e"])]
    m["day"] = m["created_time"].dt.tz_localize(None).dt.floor("D")
    g = m.groupby(["shop_id", "account_id", "day", "currency"], as_index=False, sort=False, observed=True).agg(
        gmv=("amount", "sum"), orders=("amount", "size")
    )
    return g


def run_duckdb(orders: Path, links: Path) -> pd.DataFrame:
    """Hand-written DuckDB: segments in SQL, then a range join on integer microseconds, group by day."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    q = f"""
    WITH l AS (
        SELECT link_id, shop_id, account_id, CASE role WHEN 'official' THEN 0 ELSE 1 END AS rk,
               epoch_us(linked_at) AS a, coalesce(epoch_us(unlinked_at), {FOREVER}) AS b
        FROM read_parquet('{links}')
    ),
    pts AS (SELECT shop_id, a AS p FROM l UNION SELECT shop_id, b FROM l),
    seg AS (SELECT shop_id, p AS s, lead(p) OVER (PARTITION BY shop_id ORDER BY p) AS e FROM pts),
    win AS (
        SELECT seg.shop_id, seg.s, seg.e, l.account_id FROM seg JOIN l
          ON seg.shop_id = l.shop_id AND l.a <= seg.s AND seg.s < l.b
        WHERE seg.e IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY seg.shop_id, seg.s ORDER BY l.rk, l.a, l.link_id) = 1
    ),
    o AS (SELECT shop_id, epoch_us(created_time) AS t, amount, currency FROM read_parquet('{orders}'))
    SELECT o.shop_id, w.account_id, make_timestamp((t // 86400000000) * 86400000000) AS day, o.currency,
           sum(o.amount) AS gmv, count(*) AS orders
    FROM o JOIN win w ON o.shop_id = w.shop_id AND o.t >= w.s AND o.t < w.e
    GROUP BY o.shop_id, w.account_id, t // 86400000000, o.currency
    """
    return con.sql(q).to_arrow_table().to_pandas()


def run_polars(orders: Path, links: Path) -> pd.DataFrame:
    """polars lazy: segments, then ``join_where`` (shop, start, end), group by day."""
    import polars as pl

    lk = pl.scan_parquet(links).with_columns(
        pl.col("linked_at").dt.epoch("us").alias("a"),
        pl.col("unlinked_at").dt.epoch("us").fill_null(FOREVER).alias("b"),
        pl.when(pl.col("role").cast(pl.String) == "official").then(0).otherwise(1).alias("rk"),
    )
    pts = pl.concat([lk.select("shop_id", pl.col("a").alias("p")), lk.select("shop_id", pl.col("b").alias("p"))])
    seg = (
        pts.unique()
        .sort("shop_id", "p")
        .with_columns(pl.col("p").shift(-1).over("shop_id").alias("e"))
        .drop_nulls("e")
        .rename({"p": "s"})
    )
    win = (
        seg.join(lk.select("shop_id", "account_id", "link_id", "a", "b", "rk"), on="shop_id")
        .filter((pl.col("a") <= pl.col("s")) & (pl.col("s") < pl.col("b")))
        .sort("shop_id", "s", "rk", "a", "link_id")
        .unique(["shop_id", "s"], keep="first", maintain_order=True)
        .select(pl.col("shop_id").alias("seg_shop"), "s", "e", "account_id")
    )
    o = pl.scan_parquet(orders).select(
        "shop_id", pl.col("created_time").dt.epoch("us").alias("t"), "amount", "currency"
    )
    lf = (
        o.join_where(
            win,
            pl.col("shop_id") == pl.col("seg_shop"),
            pl.col("t") >= pl.col("s"),
            pl.col("t") < pl.col("e"),
        )
        .group_by("shop_id", "account_id", (pl.col("t") // 86_400_000_000).alias("d"), "currency")
        .agg(pl.col("amount").sum().alias("gmv"), pl.len().alias("orders"))
        .with_columns((pl.col("d") * 86_400_000_000).cast(pl.Datetime("us")).alias("day"))
        .drop("d")
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
