"""The analytics page's model: filters in, small frames and figures out (no widgets here).

:class:`DashboardModel` does the heavy work once (attribution, pre-aggregation to shop × account × channel
× day) and answers each filter change from the small pre-aggregated frames plus one DuckDB pass over the
orders for the KPI tiles, fast enough to redraw on every widget change (see ``benchmarks/attribution``).

Example:
    >>> from linkkit.analytics import demo
    >>> from linkkit.analytics.dashboard import DashboardModel, Filters
    >>> model = DashboardModel(demo.demo_data())
    >>> view = model.view(Filters(shop_id="shop-us-1"))
    >>> sorted(view.kpis["currency"])
    ['USD']
"""

# SQL text here is built only from column names quoted by _ident() and literals quoted by _sql_str();
# values chosen by users travel as bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from linkkit.analytics import charts
from linkkit.analytics._engine import connect, to_pandas
from linkkit.analytics.attribution import attribute_content, attribute_orders, link_changes
from linkkit.analytics.dataset import AnalyticsData
from linkkit.analytics.metrics import disruption, funnel, order_table

__all__ = ["DashboardFrames", "DashboardModel", "Filters"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """What the seller picked. ``None`` means "all". Dates are inclusive calendar days (UTC)."""

    shop_id: str | None = None
    username: str | None = None
    role: Literal["official", "marketing"] | None = None
    channel: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class DashboardFrames:
    """The small frames behind one redraw of the page."""

    filters: Filters
    account_daily: pd.DataFrame  # day, shop_id, username, role, currency, gmv (content attributed to links)
    channel_daily: pd.DataFrame  # date, channel, currency, gmv (summed over the shops in view)
    changes: pd.DataFrame
    disruption: pd.DataFrame
    funnel: pd.DataFrame
    kpis: pd.DataFrame  # currency, gmv, orders, units, buyers, aov, linked_gmv, linked_share

    @property
    def is_empty(self) -> bool:
        """Nothing to show under these filters."""
        return self.account_daily.empty and self.channel_daily.empty and self.kpis.empty

    def figures(self) -> dict[str, go.Figure]:
        """The page's four charts, keyed ``gmv``, ``channels``, ``disruption``, ``funnel``."""
        return {
            "gmv": charts.gmv_by_account_figure(self.account_daily, self.changes),
            "channels": charts.channel_split_figure(self.channel_daily),
            "disruption": charts.disruption_figure(self.disruption),
            "funnel": charts.funnel_figure(self.funnel),
        }

    def table(self) -> pd.DataFrame:
        """The current view as one downloadable table (GMV by day, account and channel)."""
        accounts = self.account_daily.assign(kind="linked account").rename(columns={"day": "date"})
        channels = self.channel_daily.assign(kind="channel")
        return pd.concat([accounts, channels], ignore_index=True)


class DashboardModel:
    """Pre-computes attribution once; :meth:`view` answers filter changes.

    Args:
        data: The frames to show.
        window_days: Length of each before/after window in the disruption view.
    """

    def __init__(self, data: AnalyticsData, *, window_days: int = 7) -> None:
        self.data = data
        self.window_days = window_days
        links = data.links
        self.changes = link_changes(links) if not links.empty else link_changes(links.iloc[0:0])
        content = attribute_content(data.content, links) if not data.content.empty else None
        if content is not None:
            linked = content[content["source"].isin(["official", "marketing"])].copy()
            linked["day"] = linked["time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
            self.account_daily = (
                linked.groupby(["day", "shop_id", "username", "role", "content_type", "currency"], as_index=False)
                .agg(gmv=("gmv", "sum"))
                .rename(columns={"content_type": "channel"})
            )
        else:
            self.account_daily = pd.DataFrame(
                {
                    "day": pd.Series(dtype="datetime64[us]"),
                    "shop_id": pd.Series(dtype="str"),
                    "username": pd.Series(dtype="str"),
                    "role": pd.Series(dtype="str"),
                    "channel": pd.Series(dtype="str"),
                    "currency": pd.Series(dtype="str"),
                    "gmv": pd.Series(dtype="float64"),
                }
            )
        self.performance = data.performance
        # Most filter changes pick one shop: keep each shop's rows apart so a redraw scans only those.
        self._acc_by_shop = {str(k): v for k, v in self.account_daily.groupby("shop_id", sort=False)}
        self._perf_by_shop = {str(k): v for k, v in self.performance.groupby("shop_id", sort=False)}
        orders = order_table(data.orders) if not data.orders.empty else None
        self._con = connect()
        if orders is not None and "shop_id" in orders:
            official = attribute_orders(orders, links) if not links.empty else orders.assign(username=None)
            official = official.rename(columns={"username": "official_username"})
            official["day"] = official["paid_time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
            self._con.register(
                "_orders",
                official[["shop_id", "day", "currency", "gmv", "units", "buyer", "official_username", "order_id"]],
            )
            self._con.execute("CREATE TABLE orders AS SELECT * FROM _orders ORDER BY shop_id, day")
            self._con.unregister("_orders")
            self.has_orders = True
        else:
            self.has_orders = False

    # -- options for the filter widgets ---------------------------------------------------------------
    def shops(self) -> list[tuple[str, str]]:
        """``(label, shop_id)`` pairs."""
        ids = set(self.performance["shop_id"]) | set(self.account_daily["shop_id"])
        names = dict(zip(self.data.links["shop_id"], self.data.links["shop_name"], strict=True))
        return sorted((f"{names.get(i, i)} ({i})", str(i)) for i in ids if isinstance(i, str))

    def accounts(self, shop_id: str | None = None) -> list[tuple[str, str]]:
        """``(username, role)`` pairs of linked accounts (optionally of one shop)."""
        links = self.data.links
        if shop_id:
            links = links[links["shop_id"] == shop_id]
        return sorted({(str(u), str(r)) for u, r in zip(links["username"], links["role"], strict=True)})

    def date_bounds(self) -> tuple[dt.date, dt.date] | None:
        """First and last day with data."""
        days = pd.concat([self.performance["date"], self.account_daily["day"]])
        if days.empty:
            return None
        return days.min().date(), days.max().date()

    # -- one redraw ------------------------------------------------------------------------------------
    def view(self, filters: Filters) -> DashboardFrames:
        """The small frames for ``filters``."""
        f = filters
        start = pd.Timestamp(f.start) if f.start else None
        end = pd.Timestamp(f.end) if f.end else None

        acc = self._acc_by_shop.get(f.shop_id, self.account_daily.iloc[0:0]) if f.shop_id else self.account_daily
        mask = pd.Series(True, index=acc.index)
        if f.username:
            mask &= acc["username"] == f.username
        if f.role:
            mask &= acc["role"] == f.role
        if f.channel:
            mask &= acc["channel"] == f.channel
        if start is not None:
            mask &= acc["day"] >= start
        if end is not None:
            mask &= acc["day"] <= end
        account_daily = (
            acc[mask]
            .groupby(["day", "shop_id", "username", "role", "currency"], as_index=False)
            .agg(gmv=("gmv", "sum"))
        )

        perf = self._perf_by_shop.get(f.shop_id, self.performance.iloc[0:0]) if f.shop_id else self.performance
        pmask = perf["channel"] != "ALL"
        if f.channel:
            pmask &= perf["channel"] == f.channel
        if start is not None:
            pmask &= perf["date"] >= start
        if end is not None:
            pmask &= perf["date"] <= end
        perf_view = perf[pmask]
        channel_daily = perf_view.groupby(["date", "channel", "currency"], as_index=False, sort=True).agg(
            gmv=("gmv", "sum")
        )
        fun = (
            funnel(perf_view)
            if not perf_view.empty
            else pd.DataFrame(columns=["channel", "product_impressions", "product_page_views", "buyers"])
        )

        ch = self.changes
        cmask = pd.Series(True, index=ch.index)
        if f.shop_id:
            cmask &= ch["shop_id"] == f.shop_id
        if f.username:
            cmask &= ch["username"] == f.username
        if f.role:
            cmask &= ch["role"] == f.role
        day_of = ch["at"].dt.tz_convert("UTC").dt.tz_localize(None)
        if start is not None:
            cmask &= day_of >= start
        if end is not None:
            cmask &= day_of < end + pd.Timedelta(days=1)
        changes = ch[cmask].reset_index(drop=True)
        totals = perf[perf["channel"] == "ALL"]
        daily = totals.rename(columns={"date": "day"})[["shop_id", "day", "currency", "gmv"]]
        dis = (
            disruption(daily, changes, window_days=self.window_days)
            if not changes.empty and not daily.empty
            else (disruption(daily.iloc[0:0], changes.iloc[0:0]))
        )

        kpis = self._kpis(f, start, end, account_daily)
        return DashboardFrames(
            filters=f,
            account_daily=account_daily,
            channel_daily=channel_daily,
            changes=changes,
            disruption=dis,
            funnel=fun,
            kpis=kpis,
        )

    def _kpis(
        self, f: Filters, start: pd.Timestamp | None, end: pd.Timestamp | None, account_daily: pd.DataFrame
    ) -> pd.DataFrame:
        linked = account_daily.groupby("currency", as_index=False).agg(linked_gmv=("gmv", "sum"))
        if not self.has_orders:
            return linked.assign(
                gmv=float("nan"), orders=pd.NA, units=pd.NA, buyers=pd.NA, aov=float("nan"), linked_share=float("nan")
            )
        where, params = ["TRUE"], []
        if f.shop_id:
            where.append("shop_id = ?")
            params.append(f.shop_id)
        if start is not None:
            where.append("day >= ?")
            params.append(start.to_pydatetime())
        if end is not None:
            where.append("day <= ?")
            params.append(end.to_pydatetime())
        if f.username and f.role != "marketing" and (f.username, "official") in set(self.accounts(f.shop_id)):
            where.append("official_username = ?")
            params.append(f.username)
        sql = f"""
            SELECT currency, sum(gmv) AS gmv, count(*) AS orders, CAST(sum(units) AS BIGINT) AS units,
                   count(DISTINCT buyer) AS buyers
            FROM orders WHERE {" AND ".join(where)} AND day IS NOT NULL GROUP BY currency ORDER BY currency
        """
        cursor = self._con.cursor()
        try:
            shop = to_pandas(cursor.sql(sql, params=params).to_arrow_table())
        finally:
            cursor.close()
        out = shop.merge(linked, on="currency", how="outer")
        out["aov"] = out["gmv"] / out["orders"].astype("float64")
        out["linked_share"] = out["linked_gmv"] / out["gmv"]
        return out
