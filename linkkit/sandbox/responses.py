"""Parse a request, call the model, shape the exact body TikTok returns (moto's ``responses.py``).

Each public method of ``SandboxResponses`` is named in ``urls.py``'s route table and takes a
``SandboxRequest``; it returns a ``SandboxResponse``. Error classes from ``exceptions.py`` are turned into
each API family's own error shape here and nowhere else.

Example:
    >>> log_id().isdigit() is False
    True
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import os
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import tornado.template

from .exceptions import ApiError, ConsentError, OAuthError, PageError, ShopError
from .models import (
    DAY,
    INVITATION_TTL,
    UNLINK_MIN_AGE,
    Fault,
    Invitation,
    Link,
    SandboxModel,
    Violation,
)
from .world import LOGIN_SCOPES, MINOR, SHOP_SCOPES, USD_RATES, Live, Order, Shop, Video

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
HTML_HEADERS = {
    # No external assets; inline CSS only. No form-action: the consent POST must be free to redirect away.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def log_id() -> str:
    """A TikTok-style log id: UTC timestamp then hex, e.g. ``20250101093000A1B2C3D4E5F6A7B8C9``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def form_lists(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.body_text, keep_blank_values=True)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in self.form_lists().items()}

    def json(self) -> Any:
        return json.loads(self.body_text or "null")


@dataclass
class SandboxResponse:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(status, json.dumps(payload, ensure_ascii=False), "application/json", dict(headers or {}))


def redirect(url: str) -> SandboxResponse:
    return SandboxResponse(302, "", "text/plain", {"Location": url})


# --- family-specific error bodies -----------------------------------------------------------------------
def oauth_error(error: str, description: str, status: int) -> SandboxResponse:
    lid = log_id()
    return json_response({"error": error, "error_description": description, "log_id": lid}, status, {"X-Tt-Logid": lid})


def api_error(code: str, message: str, status: int) -> SandboxResponse:
    lid = log_id()
    return json_response(
        {"data": {}, "error": {"code": code, "message": message, "log_id": lid}}, status, {"X-Tt-Logid": lid}
    )


def shop_envelope(data: Any = None, code: int = 0, message: str = "Success", status: int = 200) -> SandboxResponse:
    rid = log_id()
    body: dict[str, Any] = {"code": code, "message": message, "request_id": rid}
    body["data"] = {} if data is None else data
    return json_response(body, status, {"X-Tt-Logid": rid})


def shop_error(exc: ShopError) -> SandboxResponse:
    data = exc.data
    if isinstance(data, dict) and "violations" in data:
        data = {**data, "violations": [asdict(v) if isinstance(v, Violation) else v for v in data["violations"]]}
    return shop_envelope(data, exc.code, exc.message, exc.status)


# Status for each Shop code when we must pick one. Sourced: 429 for rate limiting (TTS-RATE). The rest are
# HTTP 200 with a non-zero code (the token endpoints do this per openlinker#2882); UNCONFIRMED per endpoint.
SHOP_STATUS = {36009002: 429, 36009003: 500, 36009009: 404, 36009010: 405}


def fault_response(family: str, kind: str) -> SandboxResponse:
    """The body a fault answers with, in the shape of the API family of the path."""
    status = {"http_429": 429, "http_500": 500, "http_503": 503}.get(kind, 200)
    if kind == "malformed":
        return SandboxResponse(200, '{"code":0,"data":{"shops":[{"id":', "application/json")
    if family == "login_kit_oauth":
        error = "temporarily_unavailable" if status in (429, 503) else "server_error"
        return oauth_error(error, "Injected sandbox fault.", status)
    if family == "login_kit_api":
        code = "rate_limit_exceeded" if status == 429 else "internal_error"
        return api_error(code, "Injected sandbox fault.", status)
    if family.endswith("_page"):
        return SandboxResponse(
            status,
            f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>",
            "text/html; charset=utf-8",
            dict(HTML_HEADERS),
        )
    if status == 429:
        return shop_envelope(
            None, 36009002, "Too many requests. You've made too many requests in a short period of time.", 429
        )
    return shop_envelope(
        None,
        36009003,
        "Internal error. Please try again. If the issue persists after multiple "
        "attempts, please contact platform support.",
        status,
    )


def not_found(family: str, method: str, path: str) -> SandboxResponse:
    if family == "control":
        return json_response({"error": "not_found", "message": f"No sandbox control at {path}."}, 404)
    if family in ("login_kit_api", "login_kit_oauth"):
        return api_error("invalid_params", f"No API at {path}.", 404)
    return shop_envelope(None, 36009009, "Invalid path. The specified path does not match any available endpoint.", 404)


def method_not_allowed(family: str, method: str, path: str) -> SandboxResponse:
    if family == "control":
        return json_response({"error": "method_not_allowed", "message": f"{method} is not allowed here."}, 405)
    if family == "login_kit_oauth":
        return oauth_error("invalid_request", f"{method} is not supported; use POST.", 405)
    if family == "login_kit_api":
        return api_error("invalid_params", f"{method} is not supported.", 405)
    if family.endswith("_page"):
        return SandboxResponse(
            405,
            "<!doctype html><title>405</title><h1>Method not allowed</h1>",
            "text/html; charset=utf-8",
            dict(HTML_HEADERS),
        )
    return shop_envelope(None, 36009010, "Invalid method. The HTTP method used is not supported by this endpoint.", 405)


# --- money and dates ------------------------------------------------------------------------------------
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
    if key != "page_number" or not value.isdigit() or int(value) < 1:
        raise ValueError("page_token")
    return int(value)


class SandboxResponses:
    """Route handlers. ``urls.ROUTES`` names these methods."""

    def __init__(self, model: SandboxModel, reset: Callable[[int | None], None]) -> None:
        self.model = model
        self._reset = reset
        self.loader = tornado.template.Loader(TEMPLATES, autoescape="xhtml_escape")

    def render(self, name: str, status: int = 200, **kwargs: Any) -> SandboxResponse:
        html = self.loader.load(name).generate(**kwargs).decode("utf-8")
        return SandboxResponse(status, html, "text/html; charset=utf-8", dict(HTML_HEADERS))

    # ===================================== Login Kit =====================================================
    def _login_params(self, req: SandboxRequest, source: Mapping[str, str]) -> dict[str, str]:
        keys = (
            "client_key",
            "scope",
            "redirect_uri",
            "state",
            "response_type",
            "code_challenge",
            "code_challenge_method",
        )
        return {k: source[k] for k in keys if k in source}

    def _login_page(
        self, params: Mapping[str, str], error: str = "", username: str = "", status: int = 200
    ) -> SandboxResponse:
        try:
            auth = self.model.validate_login_authorize(params)
        except PageError as exc:
            return self.render(
                "error.html", 400, title="We couldn't log in with TikTok", parameter=exc.parameter, message=exc.message
            )
        scopes = [(s, LOGIN_SCOPES[s]) for s in auth.scopes]
        return self.render(
            "login_kit_authorize.html",
            status,
            app=auth.app,
            scopes=scopes,
            params=params,
            error=error,
            username=username,
        )

    def login_authorize_page(self, req: SandboxRequest) -> SandboxResponse:
        return self._login_page(self._login_params(req, req.query))

    def login_authorize_submit(self, req: SandboxRequest) -> SandboxResponse:
        form = req.form_lists()
        flat = {k: v[0] for k, v in form.items()}
        params = self._login_params(req, flat)
        decision = "deny" if flat.get("action") == "cancel" else "allow"
        try:
            auth = self.model.validate_login_authorize(params)
            url = self.model.login_consent(
                auth, flat.get("username", ""), flat.get("password", ""), decision, form.get("scopes", [])
            )
        except PageError:
            return self._login_page(params)
        except ConsentError as exc:
            return self._login_page(params, error=exc.message, username=flat.get("username", ""))
        return redirect(url)

    def login_token(self, req: SandboxRequest) -> SandboxResponse:
        if req.content_type != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.", 400)
        try:
            t = self.model.login_token(req.form())
        except OAuthError as exc:
            return oauth_error(exc.error, exc.description, exc.status)
        return json_response(
            {
                "access_token": t.access_token,
                "expires_in": t.expires_in,
                "open_id": t.open_id,
                "refresh_expires_in": t.refresh_expires_in,
                "refresh_token": t.refresh_token,
                "scope": t.scope,
                "token_type": "Bearer",
            },
            headers={"X-Tt-Logid": log_id(), "Cache-Control": "no-store"},
        )

    def login_revoke(self, req: SandboxRequest) -> SandboxResponse:
        if req.content_type != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.", 400)
        try:
            self.model.login_revoke(req.form())
        except OAuthError as exc:
            return oauth_error(exc.error, exc.description, exc.status)
        return json_response({}, headers={"X-Tt-Logid": log_id()})

    def login_user_info(self, req: SandboxRequest) -> SandboxResponse:
        try:
            user = self.model.login_user_info(req.headers.get("Authorization"), req.query.get("fields"))
        except ApiError as exc:
            return api_error(exc.code, exc.message, exc.status)
        lid = log_id()
        return json_response(
            {"data": {"user": user}, "error": {"code": "ok", "message": "", "log_id": lid}}, headers={"X-Tt-Logid": lid}
        )

    # ===================================== TikTok Shop: authorization ====================================
    def _shop_page(self, params: Mapping[str, str], error: str = "", username: str = "") -> SandboxResponse:
        try:
            app = self.model.validate_shop_authorize(params)
        except PageError as exc:
            return self.render(
                "error.html", 400, title="Authorization link is invalid", parameter=exc.parameter, message=exc.message
            )
        perms = [(s, SHOP_SCOPES[s]) for s in app.scopes]
        return self.render("shop_authorize.html", app=app, perms=perms, params=params, error=error, username=username)

    def shop_authorize_page(self, req: SandboxRequest) -> SandboxResponse:
        return self._shop_page({k: req.query[k] for k in ("service_id", "state") if k in req.query})

    def shop_authorize_submit(self, req: SandboxRequest) -> SandboxResponse:
        form = req.form()
        params: dict[str, str] = {k: form[k] for k in ("service_id", "state") if k in form}
        decision = "deny" if form.get("action") == "cancel" else "allow"
        try:
            url = self.model.shop_consent(params, form.get("username", ""), form.get("password", ""), decision)
        except PageError:
            return self._shop_page(params)
        except ConsentError as exc:
            return self._shop_page(params, error=exc.message, username=form.get("username", ""))
        return redirect(url)

    @staticmethod
    def _token_data(t: Any) -> dict[str, Any]:
        return {
            "access_token": t.access_token,
            "access_token_expire_in": t.access_token_expire_in,
            "refresh_token": t.refresh_token,
            "refresh_token_expire_in": t.refresh_token_expire_in,
            "open_id": t.open_id,
            "seller_name": t.seller.name,
            "seller_base_region": t.seller.base_region,
            "user_type": 0,
            "granted_scopes": t.granted_scopes,
        }

    def shop_token_get(self, req: SandboxRequest) -> SandboxResponse:
        try:
            tokens = self.model.shop_token_get(req.query)
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope(self._token_data(tokens), message="success")

    def shop_token_refresh(self, req: SandboxRequest) -> SandboxResponse:
        try:
            tokens = self.model.shop_token_refresh(req.query)
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope(self._token_data(tokens), message="success")

    # ===================================== TikTok Shop: signed API ========================================
    def _signed(self, req: SandboxRequest, meta: Mapping[str, str]) -> tuple[Any, Shop | None]:
        body = "" if req.content_type == "multipart/form-data" else req.body_text
        grant, shop = self.model.authenticate_shop_call(
            path=req.path,
            query=req.query,
            access_token=req.headers.get("x-tts-access-token"),
            body=body,
            scope=meta["scope"],
            shop_cipher=meta["shop_cipher"],
        )
        if req.method == "POST" and req.content_type != "application/json":
            raise ShopError(
                36009022,
                "Invalid request format. The request body format must be `application/json` "
                "for structured data or `multipart/form-data` for binary files.",
            )
        return grant, shop

    def shop_authorized_shops(self, req: SandboxRequest, meta: Mapping[str, str]) -> SandboxResponse:
        try:
            grant, _ = self._signed(req, meta)
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
            for s in self.model.seller_shops(grant.seller)
        ]
        return shop_envelope({"shops": shops})

    # --- orders -----------------------------------------------------------------------------------------
    def shop_orders_search(self, req: SandboxRequest, meta: Mapping[str, str]) -> SandboxResponse:
        try:
            _, shop = self._signed(req, meta)
            assert shop is not None
            return self._orders(req, shop)
        except ShopError as exc:
            return shop_error(exc)

    def _orders(self, req: SandboxRequest, shop: Shop) -> SandboxResponse:
        bad = "Invalid request parameters. "  # no sourced code for parameter validation: 40006 is UNCONFIRMED
        raw_size = req.query.get("page_size", "")
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
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
        now = int(self.model.now())
        orders = list(self.model.orders(shop.id))
        for key, attr in (("create_time", "create_time"), ("update_time", "update_time")):
            ge, lt = filters.get(f"{key}_ge"), filters.get(f"{key}_lt")
            if ge is None and lt is None:
                continue
            lo = int(ge) if ge is not None else 0
            hi = int(lt) if lt is not None else now
            orders = [o for o in orders if lo <= getattr(o, attr) < hi]
        if filters.get("order_status"):
            orders = [o for o in orders if o.status == filters["order_status"]]
        if filters.get("buyer_user_id"):
            orders = [o for o in orders if o.user_id == filters["buyer_user_id"]]
        orders.sort(key=lambda o: (getattr(o, sort_field), o.id), reverse=sort_order == "DESC")
        start = (page - 1) * size
        chunk = orders[start : start + size]
        more = start + size < len(orders)
        return shop_envelope(
            {
                "next_page_token": _page_token(page + 1) if more else "",
                "total_count": len(orders),
                "orders": [self._order_json(o, shop) for o in chunk],
            }
        )

    @staticmethod
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
    def _analytics_args(self, req: SandboxRequest) -> tuple[_dt.date, _dt.date, str]:
        invalid = "invalid request params; detail: "
        try:
            start, end = _date(req.query.get("start_date_ge")), _date(req.query.get("end_date_lt"))
        except ValueError as exc:
            raise ShopError(28001022, invalid + "start time or end time is invalid.") from exc
        if start >= end:
            raise ShopError(28001022, invalid + "start time or end time is invalid.")
        currency = req.query.get("currency", "LOCAL")
        if currency not in ("USD", "LOCAL"):
            raise ShopError(28001022, invalid + "currency must be USD or LOCAL.")
        return start, end, currency

    def _latest(self) -> str:
        return _dt.datetime.fromtimestamp(self.model.now(), _dt.UTC).date().isoformat()

    def shop_performance(self, req: SandboxRequest, meta: Mapping[str, str]) -> SandboxResponse:
        try:
            _, shop = self._signed(req, meta)
            assert shop is not None
            start, end, currency = self._analytics_args(req)
            granularity = req.query.get("granularity", "ALL")
            if granularity not in ("ALL", "1D"):
                raise ShopError(28001022, "invalid request params; detail: granularity must be ALL or 1D.")
        except ShopError as exc:
            return shop_error(exc)
        want = "USD" if currency == "USD" else shop.currency
        performance: dict[str, Any] = {"intervals": self._intervals(shop, start, end, granularity, want)}
        if req.query.get("with_comparison") == "true":
            span = end - start
            performance["comparison_intervals"] = self._intervals(shop, start - span, start, granularity, want)
        return shop_envelope({"performance": performance, "latest_available_date": self._latest()})

    def _intervals(
        self, shop: Shop, start: _dt.date, end: _dt.date, granularity: str, want: str
    ) -> list[dict[str, Any]]:
        if granularity == "1D":
            spans = [
                (start + _dt.timedelta(days=i), start + _dt.timedelta(days=i + 1)) for i in range((end - start).days)
            ]
        else:
            spans = [(start, end)]
        return [self._interval(shop, a, b, want) for a, b in spans]

    def _interval(self, shop: Shop, a: _dt.date, b: _dt.date, want: str) -> dict[str, Any]:
        daily = self.model.daily_stats(shop.id)
        channels = ("LIVE", "VIDEO", "PRODUCT_CARD")
        gmv = orders = sku_orders = units = refunds = cancel = 0
        buyers: set[str] = set()
        ch_gmv = dict.fromkeys(channels, 0)
        ch_units = dict.fromkeys(channels, 0)
        ch_buyers: dict[str, set[str]] = {c: set() for c in channels}
        ndays = (b - a).days
        for i in range(ndays):
            d = daily.get((a + _dt.timedelta(days=i)).isoformat())
            if not d:
                continue
            gmv += d["gmv"]
            orders += d["orders"]
            sku_orders += d["sku_orders"]
            units += d["units"]
            refunds += d["refunds"]
            cancel += d["cancel"]
            buyers |= d["buyers"]
            for c in channels:
                ch_gmv[c] += d["channel_gmv"][c]
                ch_units[c] += d["channel_units"][c]
                ch_buyers[c] |= d["channel_buyers"][c]
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

    def _content_sales(self, shop: Shop) -> dict[str, dict[str, Any]]:
        sales: dict[str, dict[str, Any]] = {}
        for o in self.model.orders(shop.id):
            if o.content_id is None:
                continue
            s = sales.setdefault(
                o.content_id,
                {"gmv": 0, "sku_orders": 0, "units": 0, "customers": set(), "created": 0, "products": set()},
            )
            s["created"] += len({i.product.sku_id for i in o.items})
            if o.paid_time is None:
                continue
            s["gmv"] += o.sub_total_minor
            s["sku_orders"] += len({i.product.sku_id for i in o.items})
            s["units"] += len(o.items)
            s["customers"].add(o.user_id)
            s["products"] |= {i.product.id for i in o.items}
        return sales

    def _list_args(
        self, req: SandboxRequest, sort_fields: tuple[str, ...], account_types: tuple[str, ...]
    ) -> tuple[int, int, str, str, str]:
        invalid = "invalid request params; detail: "
        raw = req.query.get("page_size", "10")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
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

    def shop_videos(self, req: SandboxRequest, meta: Mapping[str, str]) -> SandboxResponse:
        try:
            _, shop = self._signed(req, meta)
            assert shop is not None
            start, end, currency = self._analytics_args(req)
            size, page, sort_field, sort_order, account_type = self._list_args(
                req,
                ("gmv", "sku_orders", "units_sold", "views", "click_through_rate"),
                ("ALL", "LINKED_ACCOUNTS", "AFFILIATES"),
            )
        except ShopError as exc:
            return shop_error(exc)
        want = "USD" if currency == "USD" else shop.currency
        lo, hi = _ts(start), _ts(end)
        sales = self._content_sales(shop)
        names = {p.id: p.name for p in shop.products}
        rows: list[tuple[dict[str, Any], dict[str, float]]] = []
        for v in self.model.videos(shop.id):
            if not lo <= v.post_time < hi:
                continue
            kind = self.model.account_type_at(shop.id, v.username, v.post_time)
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
                        "video_post_time": _dt.datetime.fromtimestamp(v.post_time, _dt.UTC).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
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
        return self._page(rows, "videos", size, page, sort_field, sort_order)

    def shop_lives(self, req: SandboxRequest, meta: Mapping[str, str]) -> SandboxResponse:
        try:
            _, shop = self._signed(req, meta)
            assert shop is not None
            start, end, currency = self._analytics_args(req)
            size, page, sort_field, sort_order, account_type = self._list_args(
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
        sales = self._content_sales(shop)
        wanted_kind = {
            "OFFICIAL_ACCOUNTS": "OFFICIAL",
            "MARKETING_ACCOUNTS": "MARKETING",
            "AFFILIATE_ACCOUNTS": "AFFILIATE",
        }.get(account_type)
        rows: list[tuple[dict[str, Any], dict[str, float]]] = []
        lives: list[Live] = list(self.model.world.shop_activity(shop.id).lives)
        for live in lives:
            if not lo <= live.start_time < hi:
                continue
            kind = self.model.account_type_at(shop.id, live.username, live.start_time)
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
        return self._page(rows, "live_stream_sessions", size, page, sort_field, sort_order)

    def _page(
        self,
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
                "latest_available_date": self._latest(),
                "next_page_token": _page_token(page + 1) if more else "",
                "total_count": len(rows),
            }
        )

    # ===================================== Seller Center (emulated) =======================================
    def _sc_body(self, req: SandboxRequest) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as exc:
            raise ShopError(40001, "invalid params: body must be JSON") from exc
        if not isinstance(body, dict):
            raise ShopError(40001, "invalid params: body must be a JSON object")
        return body

    @staticmethod
    def _role(body: Mapping[str, Any]) -> str:
        role = body.get("role")
        if role not in ("official", "marketing"):
            raise ShopError(40001, "invalid params: role must be official or marketing")
        return str(role)

    def _link_json(self, link: Link) -> dict[str, Any]:
        account = self.model.world.accounts[link.username]
        return {
            "username": link.username,
            "display_name": account.display_name,
            "role": link.role,
            "linked_at": link.linked_at,
            "unlinked_at": link.unlinked_at,
            "can_unlink_after": link.linked_at + UNLINK_MIN_AGE,
        }

    def _invitation_json(self, inv: Invitation) -> dict[str, Any]:
        return {
            "id": inv.id,
            "shop_id": inv.shop_id,
            "username": inv.username,
            "role": inv.role,
            "status": self.model.invitation_status(inv),
            "created_at": inv.created_at,
            "expires_at": inv.created_at + INVITATION_TTL,
        }

    def linked_state(self, shop: Shop) -> dict[str, Any]:
        active = self.model.active_links(shop.id)
        official = next((x for x in active if x.role == "official"), None)

        def current(link: Link) -> dict[str, Any]:
            j = self._link_json(link)
            j.pop("unlinked_at")
            return j

        return {
            "shop_id": shop.id,
            "shop_name": shop.name,
            "region": shop.region,
            "official": current(official) if official else None,
            "marketing": [current(x) for x in active if x.role == "marketing"],
            "invitations": [self._invitation_json(i) for i in self.model.invitations.values() if i.shop_id == shop.id],
            "history": [
                self._link_json(x) for x in sorted(self.model.links, key=lambda x: x.linked_at) if x.shop_id == shop.id
            ],
        }

    def sc_linked_accounts(self, req: SandboxRequest) -> SandboxResponse:
        try:
            shop = self.model.seller_center_shop(req.headers.get("x-tts-access-token"), req.query.get("shop_id"))
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope(self.linked_state(shop), message="success")

    def sc_eligibility(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._sc_body(req)
            shop = self.model.seller_center_shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
            role = self._role(body)
            account = self.model.account(str(body.get("username", "")))
            violations = self.model.check_link_rules(shop, account, role)
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope(
            {
                "eligible": not violations,
                "account": {
                    "username": account.username,
                    "display_name": account.display_name,
                    "region": account.region,
                    "account_type": account.account_type,
                },
                "violations": [asdict(v) for v in violations],
            },
            message="success",
        )

    def sc_invite(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._sc_body(req)
            shop = self.model.seller_center_shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
            inv = self.model.invite(shop, str(body.get("username", "")), self._role(body))
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope(self._invitation_json(inv), message="success")

    def sc_accept(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._sc_body(req)
            link = self.model.accept(
                req.path_params["invitation_id"], str(body.get("username", "")), str(body.get("password", ""))
            )
        except ShopError as exc:
            return shop_error(exc)
        inv = self.model.invitations[req.path_params["invitation_id"]]
        return shop_envelope(
            {"link": {"shop_id": link.shop_id, **self._link_json(link)}, "invitation": self._invitation_json(inv)},
            message="success",
        )

    def sc_unlink(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._sc_body(req)
            shop = self.model.seller_center_shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
            link = self.model.unlink(shop, str(body.get("username", "")))
        except ShopError as exc:
            return shop_error(exc)
        return shop_envelope({"link": {"shop_id": link.shop_id, **self._link_json(link)}}, message="success")

    def sc_page(self, req: SandboxRequest) -> SandboxResponse:
        shop = self.model.world.shops.get(req.query.get("shop_id", ""))
        if shop is None:
            return self.render(
                "error.html",
                404,
                title="Shop not found",
                parameter="shop_id",
                message="No shop with this shop_id in the sandbox.",
            )
        state = self.linked_state(shop)

        def when(ts: int | None) -> str:
            return "" if ts is None else _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

        return self.render("seller_center.html", shop=shop, state=state, when=when)

    # ===================================== controls (/_sandbox/) ==========================================
    def _control_body(self, req: SandboxRequest) -> dict[str, Any]:
        try:
            body = req.json() if req.body.strip() else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    @staticmethod
    def _bad(message: str, error: str = "invalid_request") -> SandboxResponse:
        return json_response({"error": error, "message": message}, 400)

    def ctl_world(self, req: SandboxRequest) -> SandboxResponse:
        m = self.model
        w = m.world
        apps = {
            app.kind: {
                "name": app.name,
                "client_key": app.client_key,
                "client_secret": app.client_secret,
                "redirect_uris": list(app.redirect_uris),
                "pkce": app.pkce,
            }
            for app in m.login_apps.values()
        }
        sa = m.shop_app
        return json_response(
            {
                "seed": w.seed,
                "start_day": w.start_day.isoformat(),
                "login_kit": apps,
                "shop_app": {
                    "name": sa.name,
                    "app_key": sa.app_key,
                    "app_secret": sa.app_secret,
                    "service_id": sa.service_id,
                    "redirect_url": sa.redirect_url,
                    "scopes": list(sa.scopes),
                    "withheld_scopes": sorted(m.withheld_scopes),
                },
                "sellers": [
                    {
                        "username": s.username,
                        "password": s.password,
                        "name": s.name,
                        "seller_type": s.seller_type,
                        "base_region": s.base_region,
                        "shop_ids": list(s.shop_ids),
                    }
                    for s in w.sellers.values()
                ],
                "shops": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "region": s.region,
                        "seller_type": s.seller_type,
                        "cipher": s.cipher,
                        "code": s.code,
                        "currency": s.currency,
                        "seller": s.seller,
                    }
                    for s in w.shops.values()
                ],
                "tiktok_accounts": [
                    {
                        "username": a.username,
                        "password": a.password,
                        "display_name": a.display_name,
                        "region": a.region,
                        "account_type": a.account_type,
                        "identity_verified": a.identity_verified,
                        "affiliate": a.affiliate,
                        "note": a.hint,
                    }
                    for a in w.accounts.values()
                ],
                "scopes": {"login_kit": LOGIN_SCOPES, "shop": SHOP_SCOPES},
            }
        )

    def ctl_apps(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
            if "client_key" in body:
                uris = body.get("redirect_uris")
                if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                    return self._bad("redirect_uris must be a list of strings.")
                app = self.model.set_login_redirects(body["client_key"], uris)
                return json_response({"client_key": app.client_key, "redirect_uris": list(app.redirect_uris)})
            if "app_key" in body:
                if not isinstance(body.get("redirect_url"), str):
                    return self._bad("redirect_url must be a string.")
                shop_app = self.model.set_shop_redirect(body["app_key"], body["redirect_url"])
                return json_response({"app_key": shop_app.app_key, "redirect_url": shop_app.redirect_url})
        except KeyError:
            return self._bad("No such app.", "unknown_app")
        except ValueError as exc:
            return self._bad(str(exc))
        return self._bad("Give client_key + redirect_uris or app_key + redirect_url.")

    def ctl_consent(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
        except ValueError as exc:
            return self._bad(str(exc))
        url = urllib.parse.urlsplit(str(body.get("authorize_url", "")))
        params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        decision = body.get("decision", "allow")
        username, password = str(body.get("username", "")), str(body.get("password", ""))
        try:
            if url.path == "/v2/auth/authorize/":
                auth = self.model.validate_login_authorize(params)
                scopes = body.get("scopes")
                if isinstance(scopes, str):
                    scopes = [s for s in scopes.split(",") if s]
                redirect_url = self.model.login_consent(auth, username, password, decision, scopes)
            elif url.path == "/open/authorize":
                redirect_url = self.model.shop_consent(params, username, password, decision)
            else:
                return self._bad(
                    "authorize_url must be a Login Kit (/v2/auth/authorize/) or TikTok Shop "
                    "(/open/authorize) authorize URL.",
                    "unknown_authorize_url",
                )
        except PageError as exc:
            return json_response(
                {"error": f"invalid_{exc.parameter}", "parameter": exc.parameter, "message": exc.message}, 400
            )
        except ConsentError as exc:
            return json_response({"error": exc.error, "message": exc.message}, 400)
        return json_response({"redirect_url": redirect_url})

    def ctl_reset(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
        except ValueError as exc:
            return self._bad(str(exc))
        seed = body.get("seed")
        if seed is not None and not isinstance(seed, int):
            return self._bad("seed must be an integer.")
        self._reset(seed)
        return json_response(
            {"ok": True, "seed": self.model.world.seed, "start_day": self.model.world.start_day.isoformat()}
        )

    def _clock_json(self) -> dict[str, float]:
        return {"now": self.model.now(), "offset": self.model.clock.offset}

    def ctl_clock_get(self, req: SandboxRequest) -> SandboxResponse:
        return json_response(self._clock_json())

    def ctl_clock_post(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
            seconds = float(body.get("advance_seconds", 0))
        except (ValueError, TypeError):
            return self._bad("advance_seconds must be a number.")
        if seconds < 0:
            return self._bad("The sandbox clock only moves forward.")
        self.model.clock.advance(seconds)
        return json_response(self._clock_json())

    def _faults_json(self) -> dict[str, Any]:
        return {"faults": [asdict(f) for f in self.model.faults]}

    def ctl_faults_post(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
        except ValueError as exc:
            return self._bad(str(exc))
        kind = body.get("kind")
        if kind not in ("latency", "http_429", "http_500", "http_503", "malformed"):
            return self._bad("kind must be latency, http_429, http_500, http_503 or malformed.")
        count, latency = body.get("count", 1), body.get("latency_ms", 0)
        prefix = body.get("path_prefix", "")
        if (
            not isinstance(count, int)
            or count < 1
            or not isinstance(latency, int)
            or latency < 0
            or not isinstance(prefix, str)
        ):
            return self._bad(
                "count must be a positive integer, latency_ms a non-negative integer, path_prefix a string."
            )
        self.model.add_fault(Fault(kind, count, latency, prefix))
        return json_response(self._faults_json())

    def ctl_faults_delete(self, req: SandboxRequest) -> SandboxResponse:
        self.model.faults.clear()
        return json_response(self._faults_json())

    def ctl_requests_get(self, req: SandboxRequest) -> SandboxResponse:
        return json_response({"requests": [asdict(r) for r in self.model.requests]})

    def ctl_requests_delete(self, req: SandboxRequest) -> SandboxResponse:
        self.model.requests.clear()
        return json_response({"requests": []})

    def _scopes_json(self) -> dict[str, Any]:
        return {
            "app_key": self.model.shop_app.app_key,
            "scopes": list(self.model.shop_app.scopes),
            "withheld": sorted(self.model.withheld_scopes),
            "granted": self.model.granted_shop_scopes(),
        }

    def ctl_scopes_get(self, req: SandboxRequest) -> SandboxResponse:
        return json_response(self._scopes_json())

    def ctl_scopes_post(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
        except ValueError as exc:
            return self._bad(str(exc))
        withhold = body.get("withhold")
        if not isinstance(withhold, list) or any(s not in SHOP_SCOPES for s in withhold):
            return self._bad(f"withhold must be a list of scope keys from {sorted(SHOP_SCOPES)}.")
        self.model.withheld_scopes = set(withhold)
        return json_response(self._scopes_json())

    def ctl_deauthorize(self, req: SandboxRequest) -> SandboxResponse:
        try:
            body = self._control_body(req)
        except ValueError as exc:
            return self._bad(str(exc))
        seller = body.get("seller")
        if seller not in self.model.world.sellers:
            return self._bad("seller must be a demo seller username.")
        return json_response({"revoked": self.model.deauthorize_seller(seller)})


__all__ = ["DAY", "SandboxRequest", "SandboxResponse", "SandboxResponses", "Video", "fault_response"]
