"""TikTok Shop's signed API over HTTP: parse query and body, call ``ShopApiBackend``, shape TikTok's JSON.

Example:
    >>> money(12345, "USD"), money(12345, "IDR")
    ('123.45', '12345')
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ..exceptions import ShopError
from ..shop_auth.models import ShopGrant
from ..wire import SandboxRequest, SandboxResponse, shop_envelope, shop_error
from ..world import MINOR, USD_RATES, Live, Order, Shop
from .models import CHANNELS

if TYPE_CHECKING:
    from ..backend import SandboxBackend

_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
ANALYTICS_MAX_DAYS = 3660  # longer spans are refused (and would overflow the comparison period near year 1)


def money(minor: int | float | Decimal, currency: str) -> str:
    """TikTok Shop amounts are decimal strings; IDR has no minor unit."""
    value = Decimal(str(minor)) / MINOR[currency]
    if currency == "IDR":
        return str(value.quantize(Decimal("1"), ROUND_HALF_UP))
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def convert(minor: int | float, currency: str, want: str) -> tuple[str, str]:
    """(amount, currency) for a local amount, in LOCAL or USD as the analytics call asked."""
    if want == "USD" and currency != "USD":
        usd_minor = Decimal(str(minor)) / MINOR[currency] * Decimal(str(USD_RATES[currency])) * 100
        return money(usd_minor, "USD"), "USD"
    return money(minor, currency), currency


def _date(value: str | None) -> _dt.date:
    if not value:
        raise ValueError("missing")
    return _dt.date.fromisoformat(value)


def _ts(day: _dt.date) -> int:
    return int(_dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC).timestamp())


def _page_token(n: int) -> str:
    return base64.b64encode(f"page_number={n}".encode()).decode()


def _parse_page_token(token: str | None) -> int:
    if not token:
        return 1
    try:
        text = base64.b64decode(token.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("page_token") from exc
    key, _, value = text.partition("=")
    if key != "page_number" or not _DIGITS.fullmatch(value) or int(value) < 1:
        raise ValueError("page_token")
    return int(value)


def _signed(backend: SandboxBackend, req: SandboxRequest) -> tuple[ShopGrant, Shop | None]:
    body = "" if req.content_type == "multipart/form-data" else req.body_text
    grant, shop = backend.shop_api.authenticate(
        path=req.path,
        query=req.query,
        access_token=req.headers.get("x-tts-access-token"),
        body=body,
        scope=req.meta["scope"],
        shop_cipher=req.meta["shop_cipher"],
    )
    if req.method == "POST" and req.content_type != "application/json":
        raise ShopError(
            36009022,
            "Invalid request format. The request body format must be `application/json` "
            "for structured data or `multipart/form-data` for binary files.",
        )
    return grant, shop


def authorized_shops(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        grant, _ = _signed(backend, req)
    except ShopError as exc:
        return shop_error(exc)
    shops = [
        {
            "id": s.id,
            "name": s.name,
            "region": s.region,
            "seller_type": s.seller_type,
            "cipher": s.cipher,
            "code": s.code,
        }
        for s in backend.shop_api.seller_shops(grant.seller)
    ]
    return shop_envelope({"shops": shops})


# --- orders -----------------------------------------------------------------------------------------
def orders_search(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        _, shop = _signed(backend, req)
        assert shop is not None
        return _orders(backend, req, shop)
    except ShopError as exc:
        return shop_error(exc)


def _orders(backend: SandboxBackend, req: SandboxRequest, shop: Shop) -> SandboxResponse:
    bad = "Invalid request parameters. "  # no sourced code for parameter validation: 40006 is UNCONFIRMED
    raw_size = req.query.get("page_size", "")
    if not _DIGITS.fullmatch(raw_size) or not 1 <= int(raw_size) <= 100:
        raise ShopError(40006, bad + "page_size is required and must be between 1 and 100.")
    size = int(raw_size)
    sort_field = req.query.get("sort_field", "create_time")
    sort_order = req.query.get("sort_order", "DESC")
    if sort_field not in ("create_time", "update_time") or sort_order not in ("ASC", "DESC"):
        raise ShopError(40006, bad + "sort_field must be create_time|update_time, sort_order ASC|DESC.")
    try:
        filters = req.json() if req.body.strip() else {}
        page = _parse_page_token(req.query.get("page_token"))
    except ValueError as exc:
        raise ShopError(40006, bad + "The request body or page_token is invalid.") from exc
    if not isinstance(filters, dict):
        raise ShopError(40006, bad + "The request body must be a JSON object.")
    orders = backend.shop_api.search_orders(shop.id, filters, sort_field, sort_order)
    start = (page - 1) * size
    chunk = orders[start : start + size]
    more = start + size < len(orders)
    return shop_envelope(
        {
            "next_page_token": _page_token(page + 1) if more else "",
            "total_count": len(orders),
            "orders": [_order_json(o, shop) for o in chunk],
        }
    )


def _order_json(o: Order, shop: Shop) -> dict[str, Any]:
    cur = o.currency
    shipped = o.status in ("IN_TRANSIT", "DELIVERED", "COMPLETED")
    package_id = f"11{o.id[3:]}" if shipped else ""
    tracking = f"TT{o.id[-10:]}" if shipped else ""
    items = []
    for item in o.items:
        items.append(
            {
                "id": item.id,
                "sku_id": item.product.sku_id,
                "product_id": item.product.id,
                "product_name": item.product.name,
                "sku_name": "Default",
                "seller_sku": item.product.seller_sku,
                "sale_price": money(item.sale_minor, cur),
                "original_price": money(item.original_minor, cur),
                "seller_discount": money(item.original_minor - item.sale_minor, cur),
                "platform_discount": "0" if cur == "IDR" else "0.00",
                "currency": cur,
                "display_status": o.status,
                "package_id": package_id,
                "tracking_number": tracking,
                "sku_type": "NORMAL",
                "is_gift": False,
                "cancel_reason": o.cancel_reason,
            }
        )
    out: dict[str, Any] = {
        "id": o.id,
        "status": o.status,
        "create_time": o.create_time,
        "update_time": o.update_time,
        "user_id": o.user_id,
        "buyer_email": f"{o.user_id[-8:]}@chat.seller.tiktok.com",
        "buyer_message": "",
        "payment": {
            "currency": cur,
            "sub_total": money(o.sub_total_minor, cur),
            "shipping_fee": money(o.shipping_minor, cur),
            "seller_discount": money(o.seller_discount_minor, cur),
            "platform_discount": money(o.platform_discount_minor, cur),
            "total_amount": money(o.total_minor, cur),
            "original_total_product_price": money(o.original_minor, cur),
            "original_shipping_fee": money(o.shipping_minor, cur),
            "shipping_fee_seller_discount": money(0, cur),
            "shipping_fee_platform_discount": money(0, cur),
            "tax": money(o.tax_minor, cur),
            "product_tax": money(o.tax_minor, cur),
            "shipping_fee_tax": money(0, cur),
        },
        "line_items": items,
        "packages": [{"id": package_id}] if shipped else [],
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "shipping_type": "TIKTOK",
        "delivery_option_name": "Standard shipping",
        "delivery_type": "HOME_DELIVERY",
        "tracking_number": tracking,
        "payment_method_name": "CCDC" if cur != "IDR" else "DANA",
        "is_cod": False,
        "is_sample_order": False,
        "commerce_platform": "TIKTOK_SHOP",
        "order_type": "NORMAL",
        "cancel_reason": o.cancel_reason,
    }
    if o.paid_time is not None:
        out["paid_time"] = o.paid_time
    if o.status == "CANCELLED":
        out["cancellation_initiator"] = "BUYER" if o.paid_time else "SYSTEM"
    if o.status not in ("UNPAID", "ON_HOLD"):  # TTS-ORDERS-REF: absent while UNPAID / ON_HOLD
        out["recipient_address"] = {
            "name": "J*** D***",
            "region_code": shop.region,
            "postal_code": "*****",
            "full_address": "(masked in sandbox)",
        }
    return out


# --- analytics --------------------------------------------------------------------------------------
def _analytics_args(backend: SandboxBackend, req: SandboxRequest) -> tuple[_dt.date, _dt.date, str]:
    invalid = "invalid request params; detail: "
    try:
        start, end = _date(req.query.get("start_date_ge")), _date(req.query.get("end_date_lt"))
    except ValueError as exc:
        raise ShopError(28001022, invalid + "start time or end time is invalid.") from exc
    span = (end - start).days
    if span <= 0 or span > ANALYTICS_MAX_DAYS or start.toordinal() - span < _dt.date(1970, 1, 2).toordinal():
        raise ShopError(28001022, invalid + "start time or end time is invalid.")
    currency = req.query.get("currency", "LOCAL")
    if currency not in ("USD", "LOCAL"):
        raise ShopError(28001022, invalid + "currency must be USD or LOCAL.")
    return start, end, currency


def _latest(backend: SandboxBackend) -> str:
    return _dt.datetime.fromtimestamp(backend.shop_api.now(), _dt.UTC).date().isoformat()


def performance(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        _, shop = _signed(backend, req)
        assert shop is not None
        start, end, currency = _analytics_args(backend, req)
        granularity = req.query.get("granularity", "ALL")
        if granularity not in ("ALL", "1D"):
            raise ShopError(28001022, "invalid request params; detail: granularity must be ALL or 1D.")
    except ShopError as exc:
        return shop_error(exc)
    want = "USD" if currency == "USD" else shop.currency
    performance: dict[str, Any] = {"intervals": _intervals(backend, shop, start, end, granularity, want)}
    if req.query.get("with_comparison") == "true":
        span = end - start
        performance["comparison_intervals"] = _intervals(backend, shop, start - span, start, granularity, want)
    return shop_envelope(
        {
            "performance": performance,
            "latest_available_date": _latest(
                backend,
            ),
        }
    )


def _intervals(
    backend: SandboxBackend, shop: Shop, start: _dt.date, end: _dt.date, granularity: str, want: str
) -> list[dict[str, Any]]:
    if granularity == "1D":
        spans = [(start + _dt.timedelta(days=i), start + _dt.timedelta(days=i + 1)) for i in range((end - start).days)]
    else:
        spans = [(start, end)]
    return [_interval(backend, shop, a, b, want) for a, b in spans]


def _interval(backend: SandboxBackend, shop: Shop, a: _dt.date, b: _dt.date, want: str) -> dict[str, Any]:
    t = backend.shop_api.period_totals(shop.id, a, b)
    channels = CHANNELS
    gmv, orders, sku_orders, units, refunds, cancel = (
        t["gmv"],
        t["orders"],
        t["sku_orders"],
        t["units"],
        t["refunds"],
        t["cancel"],
    )
    buyers, ch_gmv, ch_units, ch_buyers = t["buyers"], t["channel_gmv"], t["channel_units"], t["channel_buyers"]
    ndays = (b - a).days
    cur = shop.currency

    def amt(minor: float) -> dict[str, str]:
        amount, currency = convert(minor, cur, want)
        return {"amount": amount, "currency": currency}

    # Traffic is not generated per visit: impressions and page views are derived from units sold.
    impressions = {c: ch_units[c] * 64 for c in channels}
    page_views = {c: ch_units[c] * 9 for c in channels}
    visitors = {c: (page_views[c] * 6 // 10) // max(1, ndays) for c in channels}
    return {
        "start_date": a.isoformat(),
        "end_date": b.isoformat(),
        "gmv": amt(gmv),
        "gmv_breakdowns": [{"type": c, **amt(ch_gmv[c])} for c in channels],
        "orders": orders,
        "sku_orders": sku_orders,
        "units_sold": units,
        "buyers": len(buyers),
        "buyer_breakdowns": [{"type": c, "amount": len(ch_buyers[c])} for c in channels],
        "avg_order_value": amt(gmv / orders if orders else 0),
        "product_impressions": sum(impressions.values()),
        "product_impression_breakdowns": [{"type": c, "amount": impressions[c]} for c in channels],
        "product_page_views": sum(page_views.values()),
        "product_page_view_breakdowns": [{"type": c, "amount": page_views[c]} for c in channels],
        "avg_product_page_visitors": sum(visitors.values()),
        "avg_product_page_visitor_breakdowns": [{"type": c, "amount": visitors[c]} for c in channels],
        "refunds": amt(refunds),
        "cancellations_and_returns": cancel,
    }


def _list_args(
    backend: SandboxBackend, req: SandboxRequest, sort_fields: tuple[str, ...], account_types: tuple[str, ...]
) -> tuple[int, int, str, str, str]:
    invalid = "invalid request params; detail: "
    raw = req.query.get("page_size", "10")
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= 100:
        raise ShopError(28001022, invalid + "page_size must be between 1 and 100.")
    sort_field = req.query.get("sort_field", "gmv")
    sort_order = req.query.get("sort_order", "DESC")
    account_type = req.query.get("account_type", "ALL")
    if sort_field not in sort_fields or sort_order not in ("ASC", "DESC"):
        raise ShopError(28001022, invalid + "sort_field or sort_order is invalid.")
    if account_type not in account_types:
        raise ShopError(28001022, invalid + "account_type is invalid.")
    try:
        page = _parse_page_token(req.query.get("page_token"))
    except ValueError as exc:
        raise ShopError(28001022, invalid + "page_token is invalid.") from exc
    return int(raw), page, sort_field, sort_order, account_type


def videos(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        _, shop = _signed(backend, req)
        assert shop is not None
        start, end, currency = _analytics_args(backend, req)
        size, page, sort_field, sort_order, account_type = _list_args(
            backend,
            req,
            ("gmv", "sku_orders", "units_sold", "views", "click_through_rate"),
            ("ALL", "LINKED_ACCOUNTS", "AFFILIATES"),
        )
    except ShopError as exc:
        return shop_error(exc)
    want = "USD" if currency == "USD" else shop.currency
    lo, hi = _ts(start), _ts(end)
    sales = backend.shop_api.content_sales(shop.id)
    names = {p.id: p.name for p in shop.products}
    rows: list[tuple[dict[str, Any], dict[str, float]]] = []
    for v in backend.shop_api.videos(shop.id):
        if not lo <= v.post_time < hi:
            continue
        kind = backend.seller_center.account_type_at(shop.id, v.username, v.post_time)
        if account_type == "LINKED_ACCOUNTS" and kind == "AFFILIATE":
            continue
        if account_type == "AFFILIATES" and kind != "AFFILIATE":
            continue
        s = sales.get(v.id, {"gmv": 0, "sku_orders": 0, "units": 0})
        amount, cur = convert(s["gmv"], shop.currency, want)
        rows.append(
            (
                {
                    "id": v.id,
                    "title": v.title,
                    "username": v.username,
                    "gmv": {"amount": amount, "currency": cur},
                    "sku_orders": s["sku_orders"],
                    "units_sold": s["units"],
                    "views": v.views,
                    "click_through_rate": v.click_through_rate,
                    "products": [{"id": pid, "name": names.get(pid, "")} for pid in v.product_ids],
                    "video_post_time": _dt.datetime.fromtimestamp(v.post_time, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                },
                {
                    "gmv": s["gmv"],
                    "sku_orders": s["sku_orders"],
                    "units_sold": s["units"],
                    "views": v.views,
                    "click_through_rate": float(v.click_through_rate),
                },
            )
        )
    return _page(backend, rows, "videos", size, page, sort_field, sort_order)


def lives(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        _, shop = _signed(backend, req)
        assert shop is not None
        start, end, currency = _analytics_args(backend, req)
        size, page, sort_field, sort_order, account_type = _list_args(
            backend,
            req,
            (
                "gmv",
                "products_added",
                "different_products_sold",
                "sku_orders",
                "unit_sold",
                "customers",
                "24h_live_gmv",
            ),
            ("ALL", "OFFICIAL_ACCOUNTS", "MARKETING_ACCOUNTS", "AFFILIATE_ACCOUNTS"),
        )
    except ShopError as exc:
        return shop_error(exc)
    want = "USD" if currency == "USD" else shop.currency
    lo, hi = _ts(start), _ts(end)
    sales = backend.shop_api.content_sales(shop.id)
    wanted_kind = {
        "OFFICIAL_ACCOUNTS": "OFFICIAL",
        "MARKETING_ACCOUNTS": "MARKETING",
        "AFFILIATE_ACCOUNTS": "AFFILIATE",
    }.get(account_type)
    rows: list[tuple[dict[str, Any], dict[str, float]]] = []
    lives: list[Live] = list(backend.world.shop_activity(shop.id).lives)
    for live in lives:
        if not lo <= live.start_time < hi:
            continue
        kind = backend.seller_center.account_type_at(shop.id, live.username, live.start_time)
        if wanted_kind is not None and kind != wanted_kind:
            continue
        s = sales.get(
            live.id, {"gmv": 0, "sku_orders": 0, "units": 0, "customers": set(), "created": 0, "products": set()}
        )
        clicks = max(1, s["units"] * 6 + live.viewers // 40)

        def amt(minor: float) -> dict[str, str]:
            amount, cur = convert(minor, shop.currency, want)
            return {"amount": amount, "currency": cur}

        row: dict[str, Any] = {
            "id": live.id,
            "title": live.title,
            "username": live.username,
            "start_time": str(live.start_time),
            "end_time": str(live.end_time),
            "sales_performance": {
                "gmv": amt(s["gmv"]),
                "products_added": live.products_added,
                "different_products_sold": len(s["products"]),
                "created_sku_orders": s["created"],
                "sku_orders": s["sku_orders"],
                "unit_sold": s["units"],
                "customers": len(s["customers"]),
                "avg_price": amt(s["gmv"] / s["units"] if s["units"] else 0),
                "click_to_order_rate": f"{100 * s['sku_orders'] / clicks:.2f}%",
                "24h_live_gmv": amt(s["gmv"]),
            },
        }
        # TTS-ANALYTICS (live list): interaction_performance is returned only for OFFICIAL/MARKETING requests.
        if account_type in ("OFFICIAL_ACCOUNTS", "MARKETING_ACCOUNTS"):
            row["interaction_performance"] = {
                "acu": live.acu,
                "pcu": live.pcu,
                "viewers": live.viewers,
                "views": live.views,
                "avg_viewing_duration": str(30 + live.viewers % 90),
                "comments": live.comments,
                "shares": live.shares,
                "likes": live.likes,
                "new_followers": live.new_followers,
                "product_impressions": live.views // 3,
                "product_clicks": clicks,
                "click_through_rate": f"{100 * clicks / max(1, live.views):.2f}%",
            }
        rows.append(
            (
                row,
                {
                    "gmv": s["gmv"],
                    "products_added": live.products_added,
                    "different_products_sold": len(s["products"]),
                    "sku_orders": s["sku_orders"],
                    "unit_sold": s["units"],
                    "customers": len(s["customers"]),
                    "24h_live_gmv": s["gmv"],
                },
            )
        )
    return _page(backend, rows, "live_stream_sessions", size, page, sort_field, sort_order)


def _page(
    backend: SandboxBackend,
    rows: list[tuple[dict[str, Any], dict[str, float]]],
    key: str,
    size: int,
    page: int,
    sort_field: str,
    sort_order: str,
) -> SandboxResponse:
    rows.sort(key=lambda r: (r[1][sort_field], r[0]["id"]), reverse=sort_order == "DESC")
    start = (page - 1) * size
    more = start + size < len(rows)
    return shop_envelope(
        {
            key: [r[0] for r in rows[start : start + size]],
            "latest_available_date": _latest(
                backend,
            ),
            "next_page_token": _page_token(page + 1) if more else "",
            "total_count": len(rows),
        }
    )


__all__ = ["authorized_shops", "lives", "money", "orders_search", "performance", "videos"]
