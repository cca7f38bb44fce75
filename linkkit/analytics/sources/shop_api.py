"""Shop API loaders: orders, shop performance, and video/LIVE content pages."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol

import pandas as pd

from linkkit.analytics.progress import ProgressCallback, resolve_progress
from linkkit.analytics.sources._common import CHANNELS
from linkkit.analytics.sources.export import MAX_AMOUNT, _parse_amounts
from linkkit.errors import DataFormatError

log = logging.getLogger(__name__)


class ShopAnalyticsClient(Protocol):
    """What the API loaders need from :class:`linkkit.tiktok.shop.ShopClient` (any object with these works)."""

    def search_orders(
        self,
        shop_cipher: str,
        *,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        page_size: int = 100,
    ) -> Iterator[list[dict[str, Any]]]: ...

    def shop_performance(
        self,
        shop_cipher: str,
        *,
        start_date_ge: dt.date,
        end_date_lt: dt.date,
        granularity: str = "1D",
        currency: str = "LOCAL",
    ) -> dict[str, Any]: ...

    def shop_videos(
        self, shop_cipher: str, *, start_date_ge: dt.date, end_date_lt: dt.date, account_type: str = "ALL"
    ) -> Iterator[list[dict[str, Any]]]: ...

    def shop_lives(
        self, shop_cipher: str, *, start_date_ge: dt.date, end_date_lt: dt.date, account_type: str = "ALL"
    ) -> Iterator[list[dict[str, Any]]]: ...


_PLAIN_DECIMAL = re.compile(r"[-+]?[0-9]{1,15}(?:\.[0-9]+)?")


def _money(value: Any, where: str) -> tuple[float | None, str | None]:
    """Amounts arrive as numbers, strings (``"12.30"``, ``"USD 12.30"``) or ``{amount, currency}``."""
    if value is None or value == "":
        return None, None
    if isinstance(value, Mapping):
        amount, cur = _money(value.get("amount"), where)
        return amount, (str(value["currency"]) if value.get("currency") else cur)
    if isinstance(value, bool):
        raise DataFormatError("Amount is a boolean", file=where, expected="a number or {amount, currency}")
    if isinstance(value, int | float):
        return float(value), None
    text = str(value).strip()
    if _PLAIN_DECIMAL.fullmatch(text) and abs(float(text)) <= MAX_AMOUNT:
        # TikTok's usual form ("12.30"): parsed directly; building a one-row Series per amount cost seconds
        # per thousand orders and held the Analytics tab back.
        return float(text), None
    amount, cur, bad = _parse_amounts(pd.Series([str(value)], dtype=str), None)
    if bool(bad.iloc[0]) or pd.isna(amount.iloc[0]):
        raise DataFormatError(
            f"Amount {value!r} is not a number", file=where, expected="a number or {amount, currency}"
        )
    return float(amount.iloc[0]), cur.iloc[0]


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _unix(value: Any) -> pd.Timestamp | None:
    if value is None or value == "" or value == 0:
        return None
    try:
        return pd.Timestamp(int(float(value)), unit="s", tz="UTC")
    except (TypeError, ValueError, OverflowError):
        return None


def _api_time(value: Any, tz: str) -> pd.Timestamp | None:
    """``video_post_time`` is ``YYYY-MM-DD HH:MM:SS`` (shop time) or a Unix timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return _unix(value)
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


_ORDER_LINE_COLUMNS = {
    "shop_id": "str",
    "order_id": "str",
    "line_no": "Int64",
    "status": "str",
    "status_raw": "str",
    "created_time": "datetime64[us, UTC]",
    "paid_time": "datetime64[us, UTC]",
    "sku_id": "str",
    "seller_sku": "str",
    "product_name": "str",
    "quantity": "Int64",
    "line_amount": "float64",
    "unit_original_price": "float64",
    "order_amount": "float64",
    "currency": "str",
    "buyer": "str",
    "cancel_reason": "str",
}


def orders_from_api_pages(pages: Iterable[Sequence[Mapping[str, Any]]], *, shop_id: str) -> pd.DataFrame:
    """Turn raw ``orders[]`` pages of ``/order/202309/orders/search`` into order lines.

    The API has no quantity: each ``line_items[]`` entry is one unit (``quantity`` 1). ``order_amount`` is
    ``payment.total_amount`` on the first line of each order.

    Args:
        pages: Pages of raw order dicts, exactly as TikTok returns them.
        shop_id: The shop the orders belong to.

    Returns:
        Order lines with the same column names as :func:`read_seller_center_orders`.
    """
    records: list[dict[str, Any]] = []
    for page in pages:
        for order in page:
            order_id = str(order.get("id") or "")
            if not order_id:
                raise DataFormatError("An order has no id", file="orders/search", column="id", expected="a string id")
            payment = order.get("payment") or {}
            total, total_cur = _money(payment.get("total_amount"), "orders/search")
            currency = payment.get("currency") or total_cur
            items = order.get("line_items") or [{}]
            for n, item in enumerate(items, start=1):
                price, price_cur = _money(item.get("sale_price"), "orders/search")
                original, _ = _money(item.get("original_price"), "orders/search")
                records.append(
                    {
                        "shop_id": shop_id,
                        "order_id": order_id,
                        "line_no": n,
                        "status": order.get("status"),
                        "status_raw": order.get("status"),
                        "created_time": _unix(order.get("create_time")),
                        "paid_time": _unix(order.get("paid_time")),
                        "sku_id": item.get("sku_id"),
                        "seller_sku": item.get("seller_sku"),
                        "product_name": item.get("product_name"),
                        "quantity": 1 if item else 0,
                        "line_amount": price,
                        "unit_original_price": original,
                        "order_amount": total if n == 1 else None,
                        "currency": item.get("currency") or price_cur or currency,
                        "buyer": order.get("user_id"),
                        "cancel_reason": order.get("cancel_reason") or None,
                    }
                )
    return _typed(records, _ORDER_LINE_COLUMNS)


def _typed(records: list[dict[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    for column, dtype in columns.items():
        if dtype.startswith("datetime64") and "UTC" in dtype:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype(dtype)
        elif dtype.startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column]).astype(dtype)
        elif dtype == "float64":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def _epoch(day: dt.date | dt.datetime | None) -> int | None:
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        stamp = pd.Timestamp(day)
    else:
        stamp = pd.Timestamp(day.isoformat())
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.timestamp())


def load_api_orders(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date | dt.datetime | None = None,
    end: dt.date | dt.datetime | None = None,
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Page through ``search_orders`` and return order lines (see :func:`orders_from_api_pages`).

    Args:
        client: A :class:`linkkit.tiktok.shop.ShopClient` (sandbox or live) or anything with its methods.
        shop_cipher: The shop's cipher from Get Authorized Shops.
        shop_id: Stored in the ``shop_id`` column.
        start: Orders created at or after this instant (UTC if naive).
        end: Orders created before this instant.
        progress: ``True`` for a progress bar or a ``(done, total, message)`` callable.
    """
    report = resolve_progress(progress, "Loading orders")
    pages: list[list[dict[str, Any]]] = []
    for n, page in enumerate(
        client.search_orders(shop_cipher, create_time_ge=_epoch(start), create_time_lt=_epoch(end)), start=1
    ):
        pages.append(list(page))
        report(n, None, f"{sum(len(p) for p in pages):,} orders")
    return orders_from_api_pages(pages, shop_id=shop_id)


_PERF_COLUMNS = {
    "shop_id": "str",
    "date": "datetime64[us]",
    "channel": "str",
    "gmv": "float64",
    "currency": "str",
    "orders": "Int64",
    "units_sold": "Int64",
    "buyers": "Int64",
    "product_impressions": "Int64",
    "product_page_views": "Int64",
    "avg_product_page_visitors": "Int64",
}
_BREAKDOWN_KEYS = {
    "buyers": ("buyer_breakdowns",),
    "product_impressions": ("product_impression_breakdowns", "product_impressions_breakdowns"),
    "product_page_views": ("product_page_view_breakdowns", "product_page_views_breakdowns"),
    "avg_product_page_visitors": ("avg_product_page_visitor_breakdowns", "avg_product_page_visitors_breakdowns"),
}


def _breakdown(interval: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    for key in keys:
        if key in interval and interval[key] is not None:
            return {str(b.get("type")): b.get("amount") for b in interval[key]}
    return {}


def shop_performance_frame(data: Mapping[str, Any], *, shop_id: str) -> pd.DataFrame:
    """Turn a raw ``shop/performance`` ``data`` object into one row per day and channel.

    Rows with ``channel == "ALL"`` hold the interval totals (``gmv``, ``orders``, ``units_sold``,
    ``buyers``, impressions, page views); ``LIVE`` / ``VIDEO`` / ``PRODUCT_CARD`` rows hold the breakdowns
    (orders and units are not broken down by TikTok, so they stay empty there).

    Args:
        data: The response's ``data`` (``{latest_available_date, performance: {intervals: [...]}}``).
        shop_id: The shop the numbers belong to.
    """
    performance = data.get("performance") or {}
    intervals = performance.get("intervals")
    if intervals is None:
        raise DataFormatError(
            "The shop performance response has no intervals",
            file="shop/performance",
            column="performance.intervals",
            expected="data.performance.intervals[]",
        )
    records: list[dict[str, Any]] = []
    for interval in intervals:
        try:
            day = pd.Timestamp(str(interval["start_date"]))
        except (KeyError, ValueError) as exc:
            raise DataFormatError(
                "An interval has no valid start_date",
                file="shop/performance",
                column="start_date",
                expected="YYYY-MM-DD",
            ) from exc
        gmv, currency = _money(interval.get("gmv"), "shop/performance")
        total = {
            "shop_id": shop_id,
            "date": day,
            "channel": "ALL",
            "gmv": gmv,
            "currency": currency,
            "orders": _int(interval.get("orders")),
            "units_sold": _int(interval.get("units_sold")),
            "buyers": _int(interval.get("buyers")),
            "product_impressions": _int(interval.get("product_impressions")),
            "product_page_views": _int(interval.get("product_page_views")),
            "avg_product_page_visitors": _int(interval.get("avg_product_page_visitors")),
        }
        records.append(total)
        gmv_by = {}
        for b in interval.get("gmv_breakdowns") or []:
            gmv_by[str(b.get("type"))] = _money(b, "shop/performance")
        other = {metric: _breakdown(interval, keys) for metric, keys in _BREAKDOWN_KEYS.items()}
        for channel in CHANNELS:
            amount, cur = gmv_by.get(channel, (None, None))
            records.append(
                {
                    "shop_id": shop_id,
                    "date": day,
                    "channel": channel,
                    "gmv": amount,
                    "currency": cur or currency,
                    "orders": None,
                    "units_sold": None,
                    **{metric: _int(values.get(channel)) for metric, values in other.items()},
                }
            )
    return _typed(records, _PERF_COLUMNS)


def load_shop_performance(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date,
    end: dt.date,
    currency: str = "LOCAL",
) -> pd.DataFrame:
    """Fetch daily shop performance (``granularity=1D``) and return :func:`shop_performance_frame`.

    Args:
        client: A shop client (see :class:`ShopAnalyticsClient`).
        shop_cipher: The shop's cipher.
        shop_id: Stored in the ``shop_id`` column.
        start: First day (inclusive, shop time zone).
        end: Day after the last (exclusive).
        currency: ``LOCAL`` or ``USD``.
    """
    data = client.shop_performance(
        shop_cipher, start_date_ge=start, end_date_lt=end, granularity="1D", currency=currency
    )
    return shop_performance_frame(data, shop_id=shop_id)


_CONTENT_COLUMNS = {
    "shop_id": "str",
    "content_type": "str",
    "content_id": "str",
    "title": "str",
    "username": "str",
    "account_type": "str",
    "time": "datetime64[us, UTC]",
    "end_time": "datetime64[us, UTC]",
    "gmv": "float64",
    "currency": "str",
    "sku_orders": "Int64",
    "units_sold": "Int64",
    "buyers": "Int64",
    "views": "Int64",
    "product_impressions": "Int64",
    "product_clicks": "Int64",
}


def content_frame(
    rows: Iterable[Mapping[str, Any]],
    *,
    content_type: Literal["VIDEO", "LIVE"],
    shop_id: str,
    account_type: str = "ALL",
    tz: str = "UTC",
) -> pd.DataFrame:
    """Turn raw ``shop_videos`` / ``shop_lives`` performance rows into one row per video or LIVE.

    Video rows carry ``video_post_time`` (``YYYY-MM-DD HH:MM:SS`` in the shop's time zone, ``tz``); LIVE rows
    carry ``start_time`` / ``end_time`` (Unix seconds) and nest their numbers under ``sales_performance`` and
    ``interaction_performance``.

    Args:
        rows: Raw rows as TikTok returns them.
        content_type: ``VIDEO`` or ``LIVE``.
        shop_id: The shop.
        account_type: The ``account_type`` the rows were requested with (kept as a label).
        tz: The shop's time zone, for ``video_post_time``.
    """
    where = "shop_videos" if content_type == "VIDEO" else "shop_lives"
    records = []
    for row in rows:
        if not row.get("username"):
            raise DataFormatError(
                f"A {where} row has no username", file=where, column="username", expected="a username"
            )
        if content_type == "VIDEO":
            sales: Mapping[str, Any] = row
            inter: Mapping[str, Any] = row
            when = _api_time(row.get("video_post_time") or row.get("post_time"), tz)
            end_time = None
        else:
            sales = row.get("sales_performance") or {}
            inter = row.get("interaction_performance") or {}
            when = _api_time(row.get("start_time"), tz)
            end_time = _api_time(row.get("end_time"), tz)
        if when is None:
            raise DataFormatError(
                f"A {where} row has no valid time",
                file=where,
                column="video_post_time" if content_type == "VIDEO" else "start_time",
                expected="a timestamp",
            )
        gmv, currency = _money(sales.get("gmv"), where)
        records.append(
            {
                "shop_id": shop_id,
                "content_type": content_type,
                "content_id": str(row.get("id") or ""),
                "title": row.get("title"),
                "username": row["username"],
                "account_type": account_type,
                "time": when,
                "end_time": end_time,
                "gmv": gmv,
                "currency": currency,
                "sku_orders": _int(sales.get("sku_orders")),
                "units_sold": _int(sales.get("units_sold", sales.get("unit_sold"))),
                "buyers": _int(sales.get("customers")),
                "views": _int(inter.get("views")),
                "product_impressions": _int(inter.get("product_impressions")),
                "product_clicks": _int(inter.get("product_clicks")),
            }
        )
    return _typed(records, _CONTENT_COLUMNS)


def load_shop_content(
    client: ShopAnalyticsClient,
    shop_cipher: str,
    *,
    shop_id: str,
    start: dt.date,
    end: dt.date,
    video_account_types: Sequence[str] = ("ALL",),
    live_account_types: Sequence[str] = ("OFFICIAL_ACCOUNTS", "MARKETING_ACCOUNTS", "AFFILIATE_ACCOUNTS"),
    tz: str = "UTC",
    progress: ProgressCallback | bool | None = None,
) -> pd.DataFrame:
    """Fetch the shop's video and LIVE performance lists, one request series per ``account_type``.

    Each row keeps the ``account_type`` it was requested with, so GMV by linked-account type comes straight
    from TikTok; :func:`linkkit.analytics.attribution.attribute_content` then puts rows on the exact link.

    Args:
        client: A shop client.
        shop_cipher: The shop's cipher.
        shop_id: Stored in ``shop_id``.
        start: First day (inclusive).
        end: Day after the last (exclusive).
        video_account_types: ``account_type`` values for ``shop_videos`` (TikTok's video list takes
            ``ALL``, ``LINKED_ACCOUNTS``, ``AFFILIATES``).
        live_account_types: ``account_type`` values for ``shop_lives``.
        tz: The shop's time zone (for ``video_post_time``).
        progress: ``True`` for a progress bar or a callable.
    """
    report = resolve_progress(progress, "Loading content")
    frames: list[pd.DataFrame] = []
    plan = [("VIDEO", t) for t in video_account_types] + [("LIVE", t) for t in live_account_types]
    for n, (kind, account_type) in enumerate(plan, start=1):
        fetch = client.shop_videos if kind == "VIDEO" else client.shop_lives
        rows = [
            row
            for page in fetch(shop_cipher, start_date_ge=start, end_date_lt=end, account_type=account_type)
            for row in page
        ]
        frames.append(content_frame(rows, content_type=kind, shop_id=shop_id, account_type=account_type, tz=tz))  # type: ignore[arg-type]
        report(n, len(plan), f"{kind.lower()}s ({account_type})")
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0] if frames else content_frame([], content_type="VIDEO", shop_id=shop_id)
    return pd.concat(non_empty, ignore_index=True)
