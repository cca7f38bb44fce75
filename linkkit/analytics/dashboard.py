"""The analytics page's model: filters in, small frames and plain-dict figures out (no widgets here).

:class:`DashboardModel` does the heavy work once, in its own DuckDB connection:

1. orders are credited to links by the attribution rule (:mod:`linkkit.analytics.attribution`: known
   source first, else role precedence, never twice) and kept in DuckDB as a narrow columnar table with
   dictionary-encoded (``ENUM``) keys: about 30 bytes per order;
2. they are pre-aggregated once per (shop, account, role, channel, currency, day);
3. a second aggregate without shop and account (per role, channel, currency, day: a few thousand rows)
   answers every view over all shops;
4. every filter change (shop, account, role, channel, currency, date range) is answered from the
   aggregates with small SQL queries. Distinct buyers read the order table, which is kept in shop order
   so one shop's rows are found without a full scan; over all shops, once there are more than
   :data:`EXACT_BUYERS_MAX` orders, buyers are estimated from a distinct sample (the buyers whose hash
   falls in 1/64 of the range, scaled by 64; about 1 % error) and labelled as an estimate.

Money is never summed across currencies: every result is grouped by ``currency`` and the currency filter
picks one. See ``benchmarks/attribution/dashboard.py`` for the measured build and redraw times.

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
import tempfile
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from linkkit.analytics._engine import FrameLike, columns_of, connect, to_pandas
from linkkit.analytics.attribution import (
    DEFAULT_PRECEDENCE,
    _credit_ctes,
    _ident,
    _sql_str,
    link_changes,
    validate_links,
)
from linkkit.analytics.dashboard_frames import DashboardFrames, Filters, empty_account_daily
from linkkit.analytics.dataset import AnalyticsData
from linkkit.analytics.metrics import disruption, funnel, order_table

__all__ = ["EXACT_BUYERS_MAX", "DashboardFrames", "DashboardModel", "Filters"]

log = logging.getLogger(__name__)

#: Over all shops, distinct buyers are exact up to this many orders and estimated from a sample above.
EXACT_BUYERS_MAX = 250_000
#: What an account line is called for orders credited to no link.
UNATTRIBUTED = "unattributed"
_NOT_KNOWN = "not known"
_US_PER_DAY = 86_400_000_000
_BUYER_SAMPLE = 64
#: Why order-based numbers are empty under a channel filter when orders do not say their channel.
CHANNEL_UNKNOWN = (
    "These orders do not say which channel they came from (TikTok's order export and order API have no "
    "content-source field), so they cannot be filtered by channel; the channel chart uses TikTok's shop "
    "performance instead."
)


def _enum(values: Sequence[Any]) -> str:
    return "ENUM(" + ", ".join(_sql_str(str(v)) for v in values) + ")"


class DashboardModel:
    """Credits and pre-aggregates orders once in DuckDB; :meth:`view` answers filter changes.

    Args:
        data: The frames to show. ``data.orders`` are order lines (collapsed with
            :func:`~linkkit.analytics.metrics.order_table`).
        orders: Instead of ``data.orders``: one row per order as a DataFrame, Arrow table or Parquet path
            (``shop_id, paid_time, gmv, currency`` and optionally ``units``, ``buyer``, ``channel``,
            ``source_username``), read straight into DuckDB without pandas.
        precedence: Role precedence of the attribution rule.
        window_days: Length of each before/after window in the disruption view.
        top_accounts: Accounts drawn by name on the GMV chart; the rest are summed as "other accounts".
        memory_limit: DuckDB's memory limit for this model (e.g. ``"4GB"``); it spills beyond it.
        time_col: The orders' instant column in ``orders`` (payment time).
        amount_col: The orders' GMV column in ``orders``.
    """

    def __init__(
        self,
        data: AnalyticsData,
        *,
        orders: FrameLike | None = None,
        precedence: Sequence[str] = DEFAULT_PRECEDENCE,
        window_days: int = 7,
        top_accounts: int = 10,
        memory_limit: str | None = None,
        time_col: str = "paid_time",
        amount_col: str = "gmv",
    ) -> None:
        self.data = data
        self.window_days = window_days
        self.top_accounts = top_accounts
        self.precedence = tuple(precedence)
        links = data.links
        validate_links(links)
        self.changes = link_changes(links)
        self._no_disruption = disruption(
            pd.DataFrame(columns=["shop_id", "day", "currency", "gmv"]), self.changes.iloc[0:0]
        )
        self.shop_names: dict[str, str] = {
            str(s): str(n) for s, n in zip(links["shop_id"], links["shop_name"], strict=True) if isinstance(n, str)
        }
        self._con = connect()
        if memory_limit:
            self._con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
            # spill to the system's temp directory, not to ./.tmp wherever the kernel happens to run
            spill = tempfile.mkdtemp(prefix="linkkit-duckdb-")
            self._con.execute(f"SET temp_directory = {_sql_str(spill)}")
        src: FrameLike | None = orders
        if src is None and not data.orders.empty:
            src = order_table(data.orders)
        self.has_orders = src is not None
        self._load_performance(data.performance)
        self.order_channels_known = False
        if src is not None:
            self._load_orders(
                src,
                links,
                time_col=time_col if orders is not None else "paid_time",
                amount_col=amount_col if orders is not None else "gmv",
            )
            row = self._con.execute(f"SELECT count(*) FROM agg WHERE channel <> {_sql_str(_NOT_KNOWN)}").fetchone()
            self.order_channels_known = bool(row and row[0])
        else:
            self._con.execute(
                "CREATE TABLE agg (shop_id VARCHAR, account VARCHAR, role VARCHAR, channel VARCHAR, "
                "currency VARCHAR, day DATE, gmv DOUBLE, orders BIGINT, units BIGINT)"
            )
            self._buyer_scale = 1
        self._shops = sorted(
            {str(s) for (s,) in self._con.execute("SELECT DISTINCT CAST(shop_id AS VARCHAR) FROM agg").fetchall()}
            | {str(s) for s in data.performance["shop_id"].dropna().unique()}
        )
        self._currencies = sorted(
            {str(c) for (c,) in self._con.execute("SELECT DISTINCT CAST(currency AS VARCHAR) FROM agg").fetchall()}
            | {str(c) for c in data.performance["currency"].dropna().unique()}
        )

    # -- build --------------------------------------------------------------------------------------------
    def _load_performance(self, performance: pd.DataFrame) -> None:
        self._con.register("_perf", performance)
        self._con.execute("CREATE TABLE perf AS SELECT *, CAST(date AS DATE) AS day FROM _perf ORDER BY shop_id, date")
        self._con.unregister("_perf")
        self.has_funnel = bool(
            {"product_impressions", "product_page_views", "buyers"} <= set(performance.columns)
            and not performance.empty
        )

    def _load_orders(self, src: FrameLike, links: pd.DataFrame, *, time_col: str, amount_col: str) -> None:
        con = self._con
        if isinstance(src, pd.DataFrame | pa.Table):
            con.register("orders", src)
        else:
            con.read_parquet(str(src)).create_view("orders", replace=True)
        cols = columns_of(src)
        link_cols = links[["link_id", "shop_id", "username", "role", "linked_at", "unlinked_at"]]
        con.register("links", link_cols)
        accounts = sorted({str(u) for u in links["username"].dropna()})
        con.execute(f"CREATE TYPE account_t AS {_enum(accounts or ['-'])}")
        con.execute("CREATE TYPE role_t AS ENUM ('official', 'marketing')")
        con.execute(
            "CREATE TYPE shop_t AS ENUM (SELECT DISTINCT CAST(shop_id AS VARCHAR) FROM orders "
            "WHERE shop_id IS NOT NULL)"
        )
        con.execute(
            "CREATE TYPE currency_t AS ENUM (SELECT DISTINCT CAST(currency AS VARCHAR) FROM orders "
            "WHERE currency IS NOT NULL)"
        )
        channels = ["LIVE", "VIDEO", "PRODUCT_CARD", _NOT_KNOWN]
        con.execute(f"CREATE TYPE channel_t AS {_enum(channels)}")
        src_expr = "lower(CAST(source_username AS VARCHAR))" if "source_username" in cols else None
        units = "CAST(units AS INTEGER)" if "units" in cols else "CAST(1 AS INTEGER)"
        buyer = "hash(buyer)" if "buyer" in cols else "CAST(NULL AS UBIGINT)"
        channel = (
            f"CASE WHEN CAST(channel AS VARCHAR) IN ('LIVE', 'VIDEO', 'PRODUCT_CARD') "
            f"THEN CAST(channel AS VARCHAR) ELSE {_sql_str(_NOT_KNOWN)} END"
            if "channel" in cols
            else _sql_str(_NOT_KNOWN)
        )
        keep = (
            f"CAST(shop_id AS VARCHAR) AS shop_id, {_ident(amount_col)} AS _amount, "
            f"CAST(currency AS VARCHAR) AS currency, "
            f"{units} AS _units, {buyer} AS _buyer, {channel} AS _channel, "
        )
        ctes = _credit_ctes(
            t_expr=f"epoch_us({_ident(time_col)})",
            src_expr=src_expr,
            account_col="username",
            precedence=self.precedence,
            keep=keep,
            left=True,
            links=link_cols,
        )
        # the narrow order table: only what distinct buyers need (everything else is in agg)
        con.execute(
            f"""
            CREATE TABLE o AS
            WITH {ctes}
            SELECT CAST(shop_id AS shop_t) AS shop_id, CAST(_account AS account_t) AS account,
                   CAST(_role AS role_t) AS role, CAST(_channel AS channel_t) AS channel,
                   CAST(currency AS currency_t) AS currency,
                   CAST(make_timestamp((_t // {_US_PER_DAY}) * {_US_PER_DAY}) AS DATE) AS day,
                   _amount AS gmv, _units AS units, _buyer AS buyer
            FROM credited
            """
        )
        con.unregister("links")
        if isinstance(src, pd.DataFrame | pa.Table):
            con.unregister("orders")
        else:
            con.execute("DROP VIEW IF EXISTS orders")
        con.execute(
            """
            CREATE TABLE agg AS
            SELECT shop_id, account, role, channel, currency, day,
                   sum(gmv) AS gmv, count(*) AS orders, sum(units) AS units
            FROM o GROUP BY ALL ORDER BY shop_id, day
            """
        )
        # views over all shops read this one: no shop or account, a few thousand rows
        con.execute(
            """
            CREATE TABLE agg_all AS
            SELECT role, channel, currency, day, sum(gmv) AS gmv, sum(orders) AS orders, sum(units) AS units,
                   sum(gmv) FILTER (WHERE account IS NOT NULL) AS linked_gmv
            FROM agg GROUP BY ALL ORDER BY day
            """
        )
        # distinct buyers of one shop read only its rows: keep the table in (shop, day) order
        con.execute(
            "CREATE OR REPLACE TABLE o AS SELECT shop_id, account, role, channel, currency, day, buyer "
            "FROM o ORDER BY shop_id, day"
        )
        # distinct buyers over all shops: a distinct sample (every buyer whose hash falls in 1/64 of the
        # range, with all of its orders), scaled up; exact while the data is small
        row = con.execute("SELECT count(*) FROM o").fetchone()
        self._buyer_scale = 1 if row is None or row[0] <= EXACT_BUYERS_MAX else _BUYER_SAMPLE
        con.execute(
            f"CREATE TABLE o_sample AS SELECT role, channel, currency, day, buyer FROM o "
            f"WHERE buyer % {self._buyer_scale} = 0"
        )

    def storage_bytes(self) -> int:
        """Bytes DuckDB holds for this model's tables (orders, aggregates, performance)."""
        row = self._con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
        return int(row[0]) if row else 0

    def shops_by_orders(self) -> list[str]:
        """Shop ids, most orders first."""
        rows = self._con.execute(
            "SELECT CAST(shop_id AS VARCHAR) FROM agg GROUP BY shop_id ORDER BY sum(orders) DESC, 1"
        ).fetchall()
        return [str(r[0]) for r in rows]

    # -- options for the filter widgets ---------------------------------------------------------------
    def shop_name(self, shop_id: str) -> str:
        """The shop's name (its id only when no name is known)."""
        return self.shop_names.get(shop_id, shop_id)

    def shops(self) -> list[tuple[str, str]]:
        """``(shop name, shop_id)`` pairs, by name."""
        return sorted((self.shop_name(s), s) for s in self._shops)

    def currencies(self) -> list[str]:
        """Currencies present in the data."""
        return list(self._currencies)

    def accounts(self, shop_id: str | None = None) -> list[tuple[str, str]]:
        """``(username, role)`` pairs of linked accounts (of one shop when given)."""
        links = self.data.links
        if shop_id:
            links = links[links["shop_id"] == shop_id]
        return sorted({(str(u), str(r)) for u, r in zip(links["username"], links["role"], strict=True)})

    def date_bounds(self) -> tuple[dt.date, dt.date] | None:
        """First and last day with data."""
        row = self._con.execute(
            "SELECT min(d), max(d) FROM (SELECT min(day) AS d FROM agg UNION ALL SELECT max(day) FROM agg "
            "UNION ALL SELECT min(day) FROM perf UNION ALL SELECT max(day) FROM perf)"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return row[0], row[1]

    # -- one redraw ------------------------------------------------------------------------------------
    def _where(
        self, f: Filters, *, day: str = "day", accounts: bool = True, channel: bool = True
    ) -> tuple[str, list[Any]]:
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if f.shop_id:
            where.append("CAST(shop_id AS VARCHAR) = ?")
            params.append(f.shop_id)
        if f.currency:
            where.append("CAST(currency AS VARCHAR) = ?")
            params.append(f.currency)
        if channel and f.channel:
            where.append("CAST(channel AS VARCHAR) = ?")
            params.append(f.channel)
        if f.start is not None:
            where.append(f"{day} >= ?")
            params.append(f.start)
        if f.end is not None:
            where.append(f"{day} <= ?")
            params.append(f.end)
        if accounts and f.role:
            where.append("CAST(role AS VARCHAR) = ?")
            params.append(f.role)
        if accounts and f.username:
            where.append("lower(CAST(account AS VARCHAR)) = lower(?)")
            params.append(f.username)
        return " AND ".join(where), params

    def _why_nothing_credited(self, f: Filters) -> str:
        """Why no order of the view went to a linked account, saying when the view's accounts were linked if
        that was after its last order (a seller who links today sees no credited sales until orders come in)."""
        plain = "No orders credited to a linked account in this view"
        links = self.data.links
        if f.shop_id:
            links = links[links["shop_id"].astype(str) == f.shop_id]
        if f.role:
            links = links[links["role"].astype(str) == f.role]
        if f.username:
            links = links[links["username"].astype(str).str.lower() == f.username.lower()]
        where, params = self._where(f, accounts=False)
        row = self._con.execute(f"SELECT max(day) FROM agg WHERE {where}", params).fetchone()
        last = row[0] if row else None
        first = pd.Timestamp(links["linked_at"].min()) if not links.empty else None
        if first is None or last is None or first.date() < last:
            return plain + "."
        when = (
            "the day of the last order shown"
            if first.date() == last
            else f"after the last order shown ({last:%b} {last.day}, {last.year})"
        )
        return (
            f"{plain}: the first of its accounts was linked on {first:%b} {first.day}, {first.year}, {when}. "
            "Orders count for an account from the moment it is linked."
        )

    def _sql(self, sql: str, params: Sequence[Any]) -> pd.DataFrame:
        cursor = self._con.cursor()
        try:
            return to_pandas(cursor.sql(sql, params=list(params)).to_arrow_table())
        finally:
            cursor.close()

    def view(self, filters: Filters) -> DashboardFrames:
        """The small frames for ``filters``."""
        f = filters
        reasons: dict[str, str] = {}
        account_daily = self._account_daily(f)
        if f.channel and self.has_orders and not self.order_channels_known:
            reasons["gmv"] = reasons["kpis"] = CHANNEL_UNKNOWN
        elif account_daily.empty:
            reasons["gmv"] = (
                "No orders in this view."
                if self.has_orders
                else "No orders loaded: upload a Seller Center order export to see GMV by linked account."
            )
            if self.has_orders and not self.data.links.empty:
                reasons["gmv"] = self._why_nothing_credited(f)
        channel_daily = self._channel_daily(f)
        if channel_daily.empty:
            reasons["channels"] = "No channel GMV in this view."
        fun = self._funnel(f)
        if fun.empty:
            reasons["funnel"] = (
                "No funnel data: impressions and page views come from TikTok's shop performance API."
                if not self.has_funnel
                else "No funnel data in this view."
            )
        changes = self._changes(f)
        if f.shop_id is None:
            dis = self._no_disruption
            reasons["disruption"] = "Pick one shop to compare its GMV before and after each link change."
        else:
            dis = self._disruption(f, changes)
            if dis.empty:
                reasons["disruption"] = (
                    "No link changes in this period." if changes.empty else "No GMV around these link changes."
                )
        kpis = self._kpis(f)
        return DashboardFrames(
            filters=f,
            account_daily=account_daily,
            channel_daily=channel_daily,
            changes=changes,
            disruption=dis,
            funnel=fun,
            kpis=kpis,
            reasons=reasons,
        )

    def _account_daily(self, f: Filters) -> pd.DataFrame:
        if not self.has_orders:
            return empty_account_daily()
        where, params = self._where(f)
        if self._all_shops(f):
            # thousands of accounts across shops make no chart: one line per role (pick a shop for accounts)
            frame = self._sql(
                f"""
                SELECT CAST(day AS TIMESTAMP) AS day, CAST(NULL AS VARCHAR) AS shop_id,
                       CAST(role AS VARCHAR) AS username, CAST(role AS VARCHAR) AS role,
                       CAST(currency AS VARCHAR) AS currency, sum(gmv) AS gmv
                FROM agg_all WHERE {where} AND role IS NOT NULL GROUP BY ALL ORDER BY day, role
                """,
                params,
            )
            frame["label"] = [f"all {r.title()} accounts" for r in frame["role"]]
            return frame
        # top accounts by GMV per currency in SQL; the rest become "other accounts" before leaving DuckDB
        frame = self._sql(
            f"""
            WITH v AS (
                SELECT CAST(shop_id AS VARCHAR) AS shop_id, CAST(account AS VARCHAR) AS username,
                       CAST(role AS VARCHAR) AS role, CAST(currency AS VARCHAR) AS currency, day, sum(gmv) AS gmv
                FROM agg WHERE {where} AND account IS NOT NULL GROUP BY ALL
            ),
            top AS (
                SELECT shop_id, username, currency FROM v GROUP BY shop_id, username, currency
                QUALIFY row_number() OVER (PARTITION BY currency ORDER BY sum(gmv) DESC, shop_id, username)
                        <= {int(self.top_accounts)}
            )
            SELECT CAST(v.day AS TIMESTAMP) AS day,
                   CASE WHEN t.username IS NULL THEN NULL ELSE v.shop_id END AS shop_id,
                   CASE WHEN t.username IS NULL THEN 'other accounts' ELSE v.username END AS username,
                   CASE WHEN t.username IS NULL THEN NULL ELSE v.role END AS role,
                   v.currency, sum(v.gmv) AS gmv
            FROM v LEFT JOIN top t USING (shop_id, username, currency)
            GROUP BY ALL ORDER BY day, username
            """,
            params,
        )
        multi_shop = frame["shop_id"].dropna().nunique() > 1
        frame["label"] = [
            (f"@{u} · {self.shop_name(s)}" if multi_shop else f"@{u}") if isinstance(s, str) else str(u)
            for u, s in zip(frame["username"], frame["shop_id"], strict=True)
        ]
        return frame

    @staticmethod
    def _all_shops(f: Filters) -> bool:
        return f.shop_id is None and f.username is None

    def _channel_daily(self, f: Filters) -> pd.DataFrame:
        if not self.data.performance.empty:
            where, params = self._where(f, accounts=False)
            return self._sql(
                f"""
                SELECT CAST(day AS TIMESTAMP) AS date, channel, currency, sum(gmv) AS gmv
                FROM perf WHERE {where} AND channel <> 'ALL' GROUP BY ALL ORDER BY date, channel, currency
                """,
                params,
            )
        if not self.has_orders:
            return pd.DataFrame(columns=["date", "channel", "currency", "gmv"])
        where, params = self._where(f)
        return self._sql(
            f"""
            SELECT CAST(day AS TIMESTAMP) AS date, CAST(channel AS VARCHAR) AS channel,
                   CAST(currency AS VARCHAR) AS currency, sum(gmv) AS gmv
            FROM {"agg_all" if self._all_shops(f) else "agg"}
            WHERE {where} AND channel <> {_sql_str(_NOT_KNOWN)} GROUP BY ALL ORDER BY date, channel, currency
            """,
            params,
        )

    def _funnel(self, f: Filters) -> pd.DataFrame:
        if not self.has_funnel:
            return pd.DataFrame(columns=["channel", "product_impressions", "product_page_views", "buyers"])
        where, params = self._where(f, accounts=False)
        perf = self._sql(
            f"""
            SELECT channel, sum(product_impressions) AS product_impressions,
                   sum(product_page_views) AS product_page_views, sum(buyers) AS buyers
            FROM perf WHERE {where} AND channel <> 'ALL' GROUP BY ALL ORDER BY channel
            """,
            params,
        )
        return funnel(perf) if not perf.empty else perf

    def _changes(self, f: Filters) -> pd.DataFrame:
        ch = self.changes
        if ch.empty:
            return ch
        mask = pd.Series(True, index=ch.index)
        if f.shop_id:
            mask &= ch["shop_id"] == f.shop_id
        if f.username:
            mask &= ch["username"].str.lower() == f.username.lower()
        if f.role:
            mask &= ch["role"] == f.role
        day_of = ch["at"].dt.tz_convert("UTC").dt.tz_localize(None)
        if f.start is not None:
            mask &= day_of >= pd.Timestamp(f.start)
        if f.end is not None:
            mask &= day_of < pd.Timestamp(f.end) + pd.Timedelta(days=1)
        return ch[mask].reset_index(drop=True)

    def _disruption(self, f: Filters, changes: pd.DataFrame) -> pd.DataFrame:
        empty = self._no_disruption
        if changes.empty:
            return empty
        cur = "AND CAST(currency AS VARCHAR) = ?" if f.currency else ""
        params: list[Any] = [f.shop_id, *([f.currency] if f.currency else [])]
        if self.has_orders:
            daily = self._sql(
                f"SELECT CAST(shop_id AS VARCHAR) AS shop_id, CAST(day AS TIMESTAMP) AS day, "
                f"CAST(currency AS VARCHAR) AS currency, sum(gmv) AS gmv FROM agg "
                f"WHERE CAST(shop_id AS VARCHAR) = ? {cur} GROUP BY ALL",
                params,
            )
        else:
            daily = self._sql(
                f"SELECT shop_id, CAST(day AS TIMESTAMP) AS day, currency, gmv FROM perf "
                f"WHERE channel = 'ALL' AND shop_id = ? {cur}",
                params,
            )
        if daily.empty:
            return empty
        return disruption(daily, changes, window_days=self.window_days)

    def _kpis(self, f: Filters) -> pd.DataFrame:
        cols = ["currency", "gmv", "orders", "units", "buyers", "buyers_exact", "aov", "linked_gmv", "linked_share"]
        if not self.has_orders:
            where, params = self._where(f, accounts=False)
            perf = self._sql(
                f"SELECT currency, sum(gmv) AS gmv FROM perf WHERE {where} AND channel = 'ALL' GROUP BY ALL "
                "ORDER BY currency",
                params,
            )
            return perf.assign(
                orders=pd.NA,
                units=pd.NA,
                buyers=pd.NA,
                buyers_exact=True,
                aov=float("nan"),
                linked_gmv=float("nan"),
                linked_share=float("nan"),
            )[cols]
        where, params = self._where(f)
        every = self._all_shops(f)
        linked = "coalesce(sum(linked_gmv), 0)" if every else "coalesce(sum(gmv) FILTER (WHERE account IS NOT NULL), 0)"
        k = self._sql(
            f"""
            SELECT CAST(currency AS VARCHAR) AS currency, sum(gmv) AS gmv, CAST(sum(orders) AS BIGINT) AS orders,
                   CAST(sum(units) AS BIGINT) AS units, {linked} AS linked_gmv
            FROM {"agg_all" if every else "agg"} WHERE {where} GROUP BY ALL ORDER BY currency
            """,
            params,
        )
        if k.empty:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype({"currency": "str"})
        exact = not every or self._buyer_scale == 1
        buyers = self._sql(
            f"SELECT CAST(currency AS VARCHAR) AS currency, "
            f"CAST(count(DISTINCT buyer) * {1 if not every else self._buyer_scale} AS BIGINT) AS buyers "
            f"FROM {'o_sample' if every else 'o'} WHERE {where} GROUP BY ALL",
            params,
        )
        out = k.merge(buyers, on="currency", how="left")
        out["buyers_exact"] = exact
        out["aov"] = out["gmv"] / out["orders"].astype("float64")
        out["linked_share"] = out["linked_gmv"] / out["gmv"]
        return out[cols]
