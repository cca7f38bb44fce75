"""Metrics over order, content and channel frames: GMV, orders, units, buyers, AOV, funnel, disruption.

GMV follows TikTok's definition: **it counts orders by payment time and includes cancelled and refunded
orders** (:data:`GMV_DEFINITION`). Unpaid orders have no payment time and are not GMV. Money in different
currencies is never summed: every money metric is grouped by ``currency``; convert first with
:func:`convert_currency` and a rate table you provide if you want one total.

Example:
    >>> from linkkit.analytics import demo
    >>> from linkkit.analytics.metrics import gmv_metrics, order_table
    >>> orders = order_table(demo.demo_data().orders)
    >>> list(gmv_metrics(orders, by=["shop_id"], freq="M").columns)
    ['period', 'shop_id', 'currency', 'gmv', 'orders', 'units', 'buyers', 'aov']
"""

# SQL text here is built only from column names quoted by _ident() and literals quoted by _sql_str();
# values chosen by users travel as bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Literal

import pandas as pd

from linkkit.analytics._engine import FrameLike, columns_of, query
from linkkit.analytics.attribution import _ident, _sql_str
from linkkit.errors import DataFormatError

__all__ = [
    "DISRUPTION_CAVEAT",
    "FUNNEL_DEFINITION",
    "GMV_DEFINITION",
    "channel_split",
    "convert_currency",
    "disruption",
    "funnel",
    "gmv_metrics",
    "gmv_share",
    "order_table",
]

log = logging.getLogger(__name__)

#: Shown next to every GMV number and chart.
GMV_DEFINITION = (
    "GMV as TikTok defines it: orders counted on their payment time, cancelled and refunded orders "
    "included; never summed across currencies."
)
#: Shown with every disruption figure.
DISRUPTION_CAVEAT = (
    "Before/after comparison over windows of equal length around each change, not a controlled experiment: "
    "seasonality, promotions, ads (GMV Max also claims organic orders) and other link changes move GMV too."
)
#: How the funnel's rates are defined (TikTok has no conversion-rate field).
FUNNEL_DEFINITION = (
    "page-view rate = product page views / product impressions; buyer rate = buyers / product page views. "
    "Buyers are summed over days (a buyer on two days counts twice)."
)

_FREQ = {"D": "day", "W": "week", "M": "month"}


def order_table(lines: FrameLike) -> pd.DataFrame:
    """Collapse order lines into one row per order.

    ``gmv`` is the sum of the lines' ``line_amount`` (the SKU subtotal after discounts); ``order_amount``
    and other order-level amounts come from the first line only, so nothing is double counted.

    Returns:
        ``[shop_id,] order_id, status, created_time, paid_time, currency, gmv, order_amount, units, buyer,
        cancelled, refunded``.
    """
    cols = columns_of(lines)
    shop = "shop_id, " if "shop_id" in cols else ""
    refund = "bool_or(coalesce(cancel_return_type, '') ILIKE '%refund%')" if "cancel_return_type" in cols else "FALSE"
    buyer = "any_value(buyer)" if "buyer" in cols else "CAST(NULL AS VARCHAR)"
    return query(
        f"""
        SELECT {shop}order_id, any_value(status) AS status, min(created_time) AS created_time,
               min(paid_time) AS paid_time, any_value(currency) AS currency,
               sum(line_amount) AS gmv, sum(order_amount) AS order_amount,
               CAST(sum(quantity) AS BIGINT) AS units, {buyer} AS buyer,
               bool_or(status = 'CANCELLED') AS cancelled, {refund} AS refunded
        FROM lines GROUP BY {shop}order_id
        ORDER BY {shop}created_time, order_id
        """,
        lines=lines,
    )


def _period_expr(time_col: str, freq: str | None, tz: str) -> str:
    if freq is None:
        return ""
    if freq not in _FREQ:
        raise ValueError(f"freq must be one of {sorted(_FREQ)} or None, not {freq!r}")
    local = f"CAST(timezone({_sql_str(tz)}, {_ident(time_col)}) AS TIMESTAMP)"
    return f"date_trunc({_sql_str(_FREQ[freq])}, {local}) AS period, "


def gmv_metrics(
    frame: FrameLike,
    *,
    by: Sequence[str] = (),
    freq: Literal["D", "W", "M"] | None = "D",
    time_col: str = "paid_time",
    amount_col: str = "gmv",
    orders_col: str | None = None,
    units_col: str | None = "units",
    buyer_col: str | None = "buyer",
    buyers_are_counts: bool = False,
    tz: str = "UTC",
) -> pd.DataFrame:
    """GMV, orders, units, buyers and AOV per period and group, one row per currency.

    Args:
        frame: One row per order (:func:`order_table`), or per content row with ``orders_col`` set.
        by: Grouping columns, e.g. ``["shop_id"]``, ``["username", "role"]``, ``["channel"]``.
        freq: ``D`` day, ``W`` week (Monday), ``M`` month, or None for one total per group.
        time_col: Rows without it are not GMV (unpaid orders).
        amount_col: The money column.
        orders_col: Sum this column for ``orders`` (e.g. ``sku_orders``); None counts rows.
        units_col: Sum this column for ``units``; None or absent gives empty units.
        buyer_col: Count distinct values for ``buyers`` (or sum them with ``buyers_are_counts``).
        buyers_are_counts: ``buyer_col`` already holds counts (content rows' ``buyers``).
        tz: The time zone of the periods.

    Returns:
        ``[period,] *by, currency, gmv, orders, units, buyers, aov``; ``aov`` = gmv / orders.
    """
    cols = columns_of(frame)
    missing = [c for c in (time_col, amount_col, "currency", *by) if c not in cols]
    if missing:
        raise DataFormatError(f"Missing column(s) {missing}", column=missing[0], expected=f"columns {cols}")
    period = _period_expr(time_col, freq, tz)
    keys = ", ".join(_ident(c) for c in by)
    keys_sel = f"{keys}, " if keys else ""
    orders = f"CAST(sum({_ident(orders_col)}) AS BIGINT)" if orders_col else "count(*)"
    units = f"CAST(sum({_ident(units_col)}) AS BIGINT)" if units_col and units_col in cols else "CAST(NULL AS BIGINT)"
    if buyer_col and buyer_col in cols:
        buyers = (
            f"CAST(sum({_ident(buyer_col)}) AS BIGINT)" if buyers_are_counts else f"count(DISTINCT {_ident(buyer_col)})"
        )
    else:
        buyers = "CAST(NULL AS BIGINT)"
    group = ", ".join(x for x in (("period" if period else ""), keys, "currency") if x)
    return query(
        f"""
        SELECT {period}{keys_sel}currency, sum({_ident(amount_col)}) AS gmv, {orders} AS orders,
               {units} AS units, {buyers} AS buyers
        FROM frame WHERE {_ident(time_col)} IS NOT NULL
        GROUP BY {group} ORDER BY {group}
        """,
        frame=frame,
    ).assign(aov=lambda f: f["gmv"] / f["orders"].astype("float64").where(f["orders"] > 0))


def channel_split(
    performance: pd.DataFrame, *, by: Sequence[str] = ("shop_id",), freq: Literal["D", "W", "M"] | None = None
) -> pd.DataFrame:
    """GMV per content channel (LIVE, VIDEO, PRODUCT_CARD) and its share of the channels' total.

    Args:
        performance: :func:`linkkit.analytics.sources.shop_performance_frame` rows.
        by: Grouping columns.
        freq: Period, or None for one total.

    Returns:
        ``[period,] *by, currency, channel, gmv, share``.
    """
    period = ""
    if freq is not None:
        period = f"date_trunc({_sql_str(_FREQ[freq])}, CAST(date AS TIMESTAMP)) AS period, "
    keys = [*(["period"] if period else []), *by, "currency"]
    group = ", ".join(_ident(k) for k in keys)
    base = [_ident(k) for k in by]
    sel = ", ".join(base) + ", " if base else ""
    return query(
        f"""
        WITH g AS (
            SELECT {period}{sel}currency, channel, sum(gmv) AS gmv
            FROM performance WHERE channel <> 'ALL' GROUP BY ALL
        )
        SELECT *, gmv / nullif(sum(gmv) OVER (PARTITION BY {group}), 0) AS share
        FROM g ORDER BY {group}, channel
        """,
        performance=performance,
    )


def funnel(performance: pd.DataFrame, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Impressions -> product page views -> buyers per channel (see :data:`FUNNEL_DEFINITION`).

    Returns:
        ``*by, channel, product_impressions, product_page_views, buyers, page_view_rate, buyer_rate``.
    """
    keys = [*by, "channel"]
    group = ", ".join(_ident(k) for k in keys)
    return query(
        f"""
        SELECT {group},
               CAST(sum(product_impressions) AS BIGINT) AS product_impressions,
               CAST(sum(product_page_views) AS BIGINT) AS product_page_views,
               CAST(sum(buyers) AS BIGINT) AS buyers,
               sum(product_page_views) / nullif(sum(product_impressions), 0) AS page_view_rate,
               sum(buyers) / nullif(sum(product_page_views), 0) AS buyer_rate
        FROM performance WHERE channel <> 'ALL'
        GROUP BY {group} ORDER BY {group}
        """,
        performance=performance,
    )


def disruption(
    daily: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    window_days: int = 7,
    kinds: Sequence[str] = ("unlink", "relink", "replace"),
    tz: str = "UTC",
) -> pd.DataFrame:
    """Shop GMV in equal windows before and after each link change.

    The change's own day is left out (it is part before, part after). Both windows have the same length:
    ``window_days``, shortened to what the data covers on both sides. Days without a row inside the data's
    span count as zero GMV. Read with :data:`DISRUPTION_CAVEAT`.

    Args:
        daily: ``shop_id, day, currency, gmv`` (calendar days in ``tz``), e.g. the ``ALL`` rows of shop
            performance renamed ``date -> day``, or :func:`gmv_metrics` by shop with ``freq="D"``.
        changes: :func:`linkkit.analytics.attribution.link_changes`.
        window_days: Days in each window.
        kinds: Which changes to measure.
        tz: Time zone of ``daily``'s days.

    Returns:
        ``shop_id, at, kind, username, role, currency, window_days, before_start, after_end, gmv_before,
        gmv_after, change, change_pct, other_changes, caveat`` (``other_changes``: further changes of the
        same shop inside the windows, which muddy the comparison).
    """
    chosen = changes[changes["kind"].isin(list(kinds))]
    result = query(
        f"""
        WITH span AS (SELECT shop_id, currency, min(day) AS first_day, max(day) AS last_day FROM daily GROUP BY ALL),
        e AS (
            SELECT c.*, CAST(CAST(timezone({_sql_str(tz)}, c."at") AS DATE) AS TIMESTAMP) AS d FROM changes c
        ),
        w AS (
            SELECT e.*, s.currency,
                   greatest(0, least({int(window_days)}, datediff('day', s.first_day, e.d),
                                     datediff('day', e.d, s.last_day))) AS n
            FROM e JOIN span s USING (shop_id)
        ),
        sums AS (
            SELECT w.shop_id, w."at", w.kind, w.username, w.currency,
                   sum(CASE WHEN x.day >= w.d - to_days(w.n) AND x.day < w.d THEN x.gmv ELSE 0 END) AS gmv_before,
                   sum(CASE WHEN x.day > w.d AND x.day <= w.d + to_days(w.n) THEN x.gmv ELSE 0 END) AS gmv_after
            FROM w LEFT JOIN daily x ON x.shop_id = w.shop_id AND x.currency = w.currency
             AND x.day >= w.d - to_days(w.n) AND x.day <= w.d + to_days(w.n)
            GROUP BY ALL
        ),
        others AS (
            SELECT w.shop_id, w."at", w.kind, w.username, count(o."at") AS other_changes
            FROM w LEFT JOIN e o ON o.shop_id = w.shop_id AND NOT (o."at" = w."at" AND o.kind = w.kind
                                   AND o.username = w.username)
             AND o.d >= w.d - to_days(w.n) AND o.d <= w.d + to_days(w.n)
            GROUP BY ALL
        )
        SELECT w.shop_id, w."at", w.kind, w.username, w.role, w.currency, CAST(w.n AS BIGINT) AS window_days,
               w.d - to_days(w.n) AS before_start, w.d + to_days(w.n + 1) AS after_end,
               CASE WHEN w.n > 0 THEN s.gmv_before END AS gmv_before,
               CASE WHEN w.n > 0 THEN s.gmv_after END AS gmv_after,
               CAST(coalesce(o.other_changes, 0) AS BIGINT) AS other_changes
        FROM w JOIN sums s USING (shop_id, "at", kind, username, currency)
        LEFT JOIN others o USING (shop_id, "at", kind, username)
        ORDER BY w.shop_id, w."at", w.kind, w.username
        """,
        daily=daily[["shop_id", "day", "currency", "gmv"]],
        changes=chosen[["at", "shop_id", "kind", "username", "role"]],
    )
    result["change"] = result["gmv_after"] - result["gmv_before"]
    result["change_pct"] = result["change"] / result["gmv_before"].where(result["gmv_before"] != 0)
    result["caveat"] = pd.Series(DISRUPTION_CAVEAT, index=result.index, dtype="string")
    cols = [
        "shop_id",
        "at",
        "kind",
        "username",
        "role",
        "currency",
        "window_days",
        "before_start",
        "after_end",
        "gmv_before",
        "gmv_after",
        "change",
        "change_pct",
        "other_changes",
        "caveat",
    ]
    return result[cols]


def gmv_share(
    attributed_content: pd.DataFrame,
    performance: pd.DataFrame | None = None,
    *,
    by: Sequence[str] = ("shop_id",),
) -> pd.DataFrame:
    """Share of GMV from the Official account, Marketing accounts, affiliates and the rest.

    Args:
        attributed_content: :func:`linkkit.analytics.attribution.attribute_content` output.
        performance: Shop performance; when given, ``other`` = shop GMV (``ALL``) minus content GMV, i.e. the
            product card and anything TikTok did not tie to a video or LIVE.
        by: Grouping columns (must exist in both frames).

    Returns:
        ``*by, currency, source, gmv, share`` with ``source`` in official, marketing, affiliate, unlinked,
        other.
    """
    keys = ", ".join(_ident(k) for k in by)
    sel = f"{keys}, " if keys else ""
    part = ", ".join(x for x in (keys, "currency") if x)
    other = ""
    if performance is not None:
        other = f"""
        UNION ALL
        SELECT {sel}currency, 'other' AS source,
               greatest(0, sum(gmv) - coalesce((SELECT sum(c.gmv) FROM content c WHERE
                   {" AND ".join([f"c.{_ident(k)} = p.{_ident(k)}" for k in by] + ["c.currency = p.currency"])}), 0))
        FROM performance p WHERE channel = 'ALL' GROUP BY {part}
        """
    return query(
        f"""
        WITH s AS (
            SELECT {sel}currency, source, sum(gmv) AS gmv FROM content GROUP BY ALL
            {other}
        )
        SELECT *, gmv / nullif(sum(gmv) OVER (PARTITION BY {part}), 0) AS share
        FROM s ORDER BY {part}, source
        """,
        content=attributed_content,
        **({"performance": performance} if performance is not None else {}),
    )


def convert_currency(
    frame: pd.DataFrame,
    rates: Mapping[str, float] | pd.DataFrame,
    *,
    to: str,
    amount_cols: Sequence[str] = ("gmv",),
    currency_col: str = "currency",
) -> pd.DataFrame:
    """Convert money columns into one currency with a rate table the user provides.

    Args:
        frame: Any frame with ``currency_col`` and ``amount_cols``.
        rates: ``{currency: units of `to` per 1 unit}`` or a DataFrame with ``currency`` and ``rate``.
        to: The target currency code (its own rate is 1).
        amount_cols: Columns to convert.
        currency_col: The column naming each row's currency.

    Returns:
        A copy with converted amounts and ``currency_col`` set to ``to``.

    Raises:
        DataFormatError: A currency in the frame has no rate.
    """
    table = dict(zip(rates["currency"], rates["rate"], strict=True)) if isinstance(rates, pd.DataFrame) else dict(rates)
    table[to] = 1.0
    present = set(frame[currency_col].dropna().unique())
    missing = sorted(str(c) for c in present - set(table))
    if missing or frame[currency_col].isna().any():
        raise DataFormatError(
            f"No exchange rate for {', '.join(missing) or 'rows without a currency'}",
            file="rates",
            column=currency_col,
            expected=f"a rate to {to} for every currency in the data",
        )
    out = frame.copy()
    factor = out[currency_col].map(table).astype("float64")
    for column in amount_cols:
        out[column] = out[column] * factor
    out[currency_col] = pd.Series(to, index=out.index, dtype=out[currency_col].dtype)
    return out
