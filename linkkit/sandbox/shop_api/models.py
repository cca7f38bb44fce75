"""TikTok Shop's signed API: the request gate (app key, timestamp, signature, token, scope, shop cipher) and
the shop data behind orders and analytics. No HTTP here; ``responses.py`` shapes TikTok's JSON.

Example:
    >>> shop_sign("e59af819cc", "/authorization/202309/shops", {"app_key": "29a39d", "timestamp": "1623812664"})[:12]
    'b596b73e0cc6'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from ..common import Clock
from ..exceptions import ShopError
from ..seller_center.models import SellerCenterBackend
from ..shop_auth.models import ShopAuthBackend, ShopGrant
from ..world import Order, Shop, Video, World

TIMESTAMP_PAST = 300  # TTS-ERR: timestamp within [now - 5 min, now + 30 s]
TIMESTAMP_FUTURE = 30
CHANNELS = ("LIVE", "VIDEO", "PRODUCT_CARD")


def shop_sign(app_secret: str, path: str, query: Mapping[str, str], body: str = "") -> str:
    """TikTok Shop request signature (TTS-SIGN; EcomPHP ``Client::prepareSignature``).

    ``hex(HMAC_SHA256(app_secret, app_secret + path + sorted {k}{v} (minus sign, access_token) + body +
    app_secret))``. Pass ``body=""`` for multipart requests.
    """
    params = "".join(f"{k}{query[k]}" for k in sorted(query) if k not in ("sign", "access_token"))
    wrapped = f"{app_secret}{path}{params}{body}{app_secret}"
    return hmac.new(app_secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


class ShopApiBackend:
    """Reads for the signed Shop API: the gate, the seller's shops, orders, content and their sales."""

    def __init__(
        self, world: World, clock: Clock, shop_auth: ShopAuthBackend, seller_center: SellerCenterBackend
    ) -> None:
        self.world = world
        self.clock = clock
        self.shop_auth = shop_auth
        self.seller_center = seller_center
        self._daily: dict[str, dict[str, Any]] = {}

    def now(self) -> float:
        return self.clock.now()

    def authenticate(
        self, *, path: str, query: Mapping[str, str], access_token: str | None, body: str, scope: str, shop_cipher: str
    ) -> tuple[ShopGrant, Shop | None]:
        """Run TikTok Shop's gate for a signed call; returns the grant and the addressed shop.

        ``shop_cipher`` is ``"required"`` or ``"forbidden"`` for the endpoint.
        """
        app = self.shop_auth.app
        if query.get("app_key", "") != app.app_key:
            raise ShopError(36009004, "Invalid credentials. Invalid `app_key` query parameter.")
        if not query.get("sign"):
            raise ShopError(
                36009004, "Missing credentials. The request does not include a required signature in the query."
            )
        ts_raw = query.get("timestamp", "")
        if not re.fullmatch(r"-?\d+", ts_raw or "") or int(ts_raw) < 0:
            raise ShopError(
                36009004, "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0."
            )
        ts, now = int(ts_raw), self.now()
        if ts < now - TIMESTAMP_PAST:
            raise ShopError(
                36009004,
                "Invalid timestamp. The value of the `timestamp` query parameter must not be "
                "earlier than 5 minutes before the current time.",
            )
        if ts > now + TIMESTAMP_FUTURE:
            raise ShopError(
                36009004,
                "Invalid timestamp. The value of the `timestamp` query parameter must not "
                "exceed the current time by more than 30 seconds.",
            )
        expected = shop_sign(app.app_secret, path, query, body)
        if not hmac.compare_digest(expected, query.get("sign", "")):
            raise ShopError(106001, "Invalid credentials. The `sign` query parameter is invalid.")
        grant = self.shop_auth.access_grant(access_token)
        if grant.app_key != app.app_key:
            raise ShopError(36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.")
        if scope not in self.shop_auth.granted_scopes():
            raise ShopError(105005, "you should apply auth pkg for this api")  # EcomPHP#40 (live message)
        cipher = query.get("shop_cipher")
        if shop_cipher == "forbidden":
            if cipher is not None:
                raise ShopError(
                    36009004,
                    "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
                )
            return grant, None
        if not cipher:
            raise ShopError(
                106013, "Missing identifier. The `shop_cipher` query parameter is required to identify the target shop."
            )
        shop = self.shop_by_cipher(cipher)
        if shop is None or shop.seller != grant.seller:
            raise ShopError(
                101000,
                "Invalid query or header. The `x-tts-access-token` header does not match the "
                "`shop_cipher` query parameter.",
            )
        return grant, shop

    def search_orders(self, shop_id: str, filters: Mapping[str, Any], sort_field: str, sort_order: str) -> list[Order]:
        """The shop's orders matching Get Order List's body filters, sorted as asked."""
        bad = "Invalid request parameters. "  # no sourced code for parameter validation: 40006 is UNCONFIRMED
        now = int(self.now())
        orders = list(self.orders(shop_id))
        for key in ("create_time", "update_time"):
            ge, lt = filters.get(f"{key}_ge"), filters.get(f"{key}_lt")
            if ge is None and lt is None:
                continue
            if any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in (ge, lt)):
                raise ShopError(40006, bad + f"{key}_ge and {key}_lt must be unix timestamps.")
            lo = ge if ge is not None else 0
            hi = lt if lt is not None else now
            orders = [o for o in orders if lo <= getattr(o, key) < hi]
        for key, attr in (("order_status", "status"), ("buyer_user_id", "user_id")):
            wanted = filters.get(key)
            if wanted is not None and not isinstance(wanted, str):
                raise ShopError(40006, bad + f"{key} must be a string.")
            if wanted:
                orders = [o for o in orders if getattr(o, attr) == wanted]
        orders.sort(key=lambda o: (getattr(o, sort_field), o.id), reverse=sort_order == "DESC")
        return orders

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.world.shops.values() if s.cipher == cipher), None)

    def seller_shops(self, seller: str) -> list[Shop]:
        return [self.world.shops[sid] for sid in self.world.sellers[seller].shop_ids]

    def orders(self, shop_id: str) -> tuple[Order, ...]:
        return self.world.shop_activity(shop_id).orders

    def videos(self, shop_id: str) -> list[Video]:
        return list(self.world.shop_activity(shop_id).videos) + [
            v for v in self.seller_center.extra_videos if v.shop_id == shop_id
        ]

    def daily_stats(self, shop_id: str) -> dict[str, Any]:
        """Per-day aggregates of the shop's orders (payment day, UTC), cached."""
        if shop_id not in self._daily:
            days: dict[str, Any] = {}
            for o in self.orders(shop_id):
                if o.paid_time is None:
                    continue
                day = _dt.datetime.fromtimestamp(o.paid_time, _dt.UTC).date().isoformat()
                d = days.setdefault(
                    day,
                    {
                        "gmv": 0,
                        "orders": 0,
                        "sku_orders": 0,
                        "units": 0,
                        "buyers": set(),
                        "refunds": 0,
                        "cancel": 0,
                        "channel_gmv": {"LIVE": 0, "VIDEO": 0, "PRODUCT_CARD": 0},
                        "channel_units": {"LIVE": 0, "VIDEO": 0, "PRODUCT_CARD": 0},
                        "channel_buyers": {"LIVE": set(), "VIDEO": set(), "PRODUCT_CARD": set()},
                    },
                )
                d["gmv"] += o.sub_total_minor
                d["orders"] += 1
                d["sku_orders"] += len({i.product.sku_id for i in o.items})
                d["units"] += len(o.items)
                d["buyers"].add(o.user_id)
                d["channel_gmv"][o.channel] += o.sub_total_minor
                d["channel_units"][o.channel] += len(o.items)
                d["channel_buyers"][o.channel].add(o.user_id)
                if o.refunded:
                    d["refunds"] += o.sub_total_minor
                if o.status == "CANCELLED":
                    d["cancel"] += len(o.items)
            self._daily[shop_id] = days
        return self._daily[shop_id]

    def period_totals(self, shop_id: str, a: _dt.date, b: _dt.date) -> dict[str, Any]:
        """Sums of ``daily_stats`` over the UTC days ``[a, b)``, overall and per channel."""
        daily = self.daily_stats(shop_id)
        channels = CHANNELS
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
        return {
            "gmv": gmv,
            "orders": orders,
            "sku_orders": sku_orders,
            "units": units,
            "refunds": refunds,
            "cancel": cancel,
            "buyers": buyers,
            "channel_gmv": ch_gmv,
            "channel_units": ch_units,
            "channel_buyers": ch_buyers,
        }

    def content_sales(self, shop_id: str) -> dict[str, dict[str, Any]]:
        """Per video/LIVE id, the sales its attributed orders made (paid orders only, except ``created``)."""
        sales: dict[str, dict[str, Any]] = {}
        for o in self.orders(shop_id):
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

    def account_type_at(self, shop_id: str, username: str, t: float) -> str:
        """OFFICIAL / MARKETING / AFFILIATE for content posted at ``t`` (from the emulated Seller Center)."""
        return self.seller_center.account_type_at(shop_id, username, t)


__all__ = ["CHANNELS", "ShopApiBackend", "shop_sign"]
