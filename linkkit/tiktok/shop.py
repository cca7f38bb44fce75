"""TikTok Shop (Partner Center): seller authorization, tokens, and signed, paginated API calls.

Seller authorization is not standard OAuth 2.0 [docs/tiktok-contracts.md §2]: the authorize link carries
``service_id`` (the redirect URL is configured on the app), and the token endpoints are **GET** requests with
``app_secret`` in the query, answering ``{code, message, data, request_id}`` with HTTP 200 even on failure and
absolute Unix times in ``access_token_expire_in`` / ``refresh_token_expire_in``. Signed calls carry
``app_key``, ``timestamp`` and ``sign`` in the query and the token in ``x-tts-access-token`` [TTS-SIGN].

Example:
    >>> from linkkit.tiktok.endpoints import Endpoints
    >>> auth = ShopAuth(Endpoints.sandbox("http://127.0.0.1:8765"), app_key="k", app_secret="s", service_id="7")
    >>> auth.authorization_url(state="st")
    'http://127.0.0.1:8765/open/authorize?service_id=7&state=st'
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from linkkit import redact
from linkkit.errors import ProviderError
from linkkit.models import Shop
from linkkit.tiktok.endpoints import Endpoints
from linkkit.tiktok.http import make_session, map_exceptions, parse_json, status_error
from linkkit.tiktok.signing import sign_request

__all__ = ["SHOP_ERROR_REASONS", "ShopAuth", "ShopClient", "ShopToken", "shop_error"]

log = logging.getLogger(__name__)

#: TikTok Shop error codes [TTS-ERR] → linkkit reason codes. 36009004 is a catch-all; see shop_error().
SHOP_ERROR_REASONS: dict[int, str] = {
    105001: "token_revoked",
    105002: "token_expired",
    105005: "shop_scope_missing",
    106001: "signature_invalid",
    101000: "token_revoked",
    36009002: "rate_limited",
    36009003: "provider_unavailable",
    36009007: "provider_unavailable",
}


def shop_error(body: dict[str, Any], status: int, *, default: str = "provider_error") -> ProviderError:
    """A ProviderError for a non-zero TikTok Shop ``code``."""
    try:
        code = int(body.get("code"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        code = -1
    message = str(body.get("message") or f"TikTok Shop answered code {code}.")
    reason = SHOP_ERROR_REASONS.get(code)
    if reason is None and code == 36009004:
        lowered = message.lower()
        if "timestamp" in lowered:
            reason = "clock_skew"
        elif "sign" in lowered:
            reason = "signature_invalid"
        elif "token" in lowered:
            reason = "token_revoked"
        else:
            reason = "app_credentials_invalid"
    if reason is None and status == 429:
        reason = "rate_limited"
    if reason is None and status >= 500:
        reason = "provider_unavailable"
    reason = reason or default
    return ProviderError(message, reason=reason, provider_code=code, log_id=body.get("request_id"),
                         status=status, retryable=reason in ("rate_limited", "provider_unavailable"))


@dataclass(frozen=True)
class ShopToken:
    """A seller token (``data`` of token/get or token/refresh). Its repr hides the tokens."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    open_id: str
    seller_name: str
    seller_base_region: str
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"ShopToken(open_id={self.open_id!r}, seller_name={self.seller_name!r}, expires_at={self.expires_at})"

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ShopToken:
        """Translate TikTok's ``data`` (the one place its field names meet our model)."""
        try:
            refresh_at = data.get("refresh_token_expire_in")
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                # absolute Unix times, not durations [TTS-AUTH-202309]
                expires_at=datetime.fromtimestamp(int(data["access_token_expire_in"]), UTC),
                refresh_expires_at=datetime.fromtimestamp(int(refresh_at), UTC) if refresh_at else None,
                open_id=str(data.get("open_id", "")),
                seller_name=str(data.get("seller_name", "")),
                seller_base_region=str(data.get("seller_base_region", "")),
                scopes=tuple(data.get("granted_scopes") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError("TikTok Shop's token answer is missing fields.", reason="provider_bad_response"
                                ) from exc


class ShopAuth:
    """Seller authorization for one Partner Center app."""

    def __init__(self, endpoints: Endpoints, *, app_key: str, app_secret: str, service_id: str,
                 timeout: float = 15.0, max_retries: int = 3, backoff: float = 0.5,
                 session: requests.Session | None = None) -> None:
        self.endpoints = endpoints
        self.app_key = app_key
        self._app_secret = app_secret
        self.service_id = service_id
        self.timeout = timeout
        self._session = session if session is not None else make_session(max_retries=max_retries, backoff=backoff)
        redact.register(app_secret)

    def __repr__(self) -> str:
        return f"ShopAuth(app_key={self.app_key!r}, service_id={self.service_id!r})"

    def authorization_url(self, *, state: str) -> str:
        """The seller authorization link, plus our ``state`` (recommended by [TTS-AUTH-202309])."""
        return f"{self.endpoints.shop_authorize}?{urlencode({'service_id': self.service_id, 'state': state})}"

    def get_token(self, auth_code: str) -> ShopToken:
        """``GET /api/v2/token/get`` (``grant_type=authorized_code``)."""
        redact.register(auth_code)
        return self._token(self.endpoints.shop_token_get, {"auth_code": auth_code, "grant_type": "authorized_code"},
                           default_reason="code_invalid")

    def refresh(self, refresh_token: str) -> ShopToken:
        """``GET /api/v2/token/refresh``; always store the refresh token it returns."""
        redact.register(refresh_token)
        return self._token(self.endpoints.shop_token_refresh,
                           {"refresh_token": refresh_token, "grant_type": "refresh_token"},
                           default_reason="refresh_token_invalid")

    def _token(self, url: str, params: dict[str, str], *, default_reason: str) -> ShopToken:
        query = {"app_key": self.app_key, "app_secret": self._app_secret, **params}
        with map_exceptions(url):  # the query carries app_secret and the code or refresh token
            response = self._session.get(url, params=query, timeout=self.timeout)
        body = parse_json(response)
        if body.get("code") != 0:  # success is in the body, not the HTTP status [openlinker#2882]
            raise shop_error(body, response.status_code, default=default_reason)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderError("TikTok Shop's token answer had no data.", reason="provider_bad_response")
        redact.register(data.get("access_token"), data.get("refresh_token"))
        return ShopToken.from_data(data)


class ShopClient:
    """Signed TikTok Shop API calls with one seller's access token.

    Args:
        endpoints: Where the Shop API lives.
        app_key / app_secret: The Partner Center app.
        access_token: The seller's token (sent as ``x-tts-access-token``, never signed, never logged).
        clock: Seconds since the epoch for ``timestamp``; the sandbox's clock in sandbox mode.
        session: The HTTP session to send through (shared connection pool); a new one when ``None``.
    """

    def __init__(self, endpoints: Endpoints, *, app_key: str, app_secret: str, access_token: str,
                 clock: Callable[[], float] = time.time, timeout: float = 15.0, max_retries: int = 3,
                 backoff: float = 0.5, on_clock_skew: Callable[[], None] | None = None,
                 session: requests.Session | None = None) -> None:
        self.endpoints = endpoints
        self.app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token
        self.clock = clock
        self.timeout = timeout
        self._session = session if session is not None else make_session(max_retries=max_retries, backoff=backoff)
        self._on_clock_skew = on_clock_skew
        redact.register(app_secret, access_token)

    def __repr__(self) -> str:
        return f"ShopClient(app_key={self.app_key!r}, access_token=<hidden>)"

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, shop_cipher: str | None = None) -> dict[str, Any]:
        """One signed call; returns ``data`` or raises a ProviderError with TikTok's code."""
        try:
            return self._call(method, path, params=params, body=body, shop_cipher=shop_cipher)
        except ProviderError as exc:
            if exc.reason != "clock_skew" or self._on_clock_skew is None:
                raise
            self._on_clock_skew()  # re-read the (sandbox) clock once, then try again
            return self._call(method, path, params=params, body=body, shop_cipher=shop_cipher)

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None, body: dict[str, Any] | None,
              shop_cipher: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        if shop_cipher:
            query["shop_cipher"] = shop_cipher
        query["app_key"] = self.app_key
        query["timestamp"] = str(int(self.clock()))
        raw_body = json.dumps(body, separators=(",", ":")) if body is not None else ""
        query["sign"] = sign_request(path, {k: str(v) for k, v in query.items()}, app_secret=self._app_secret,
                                     body=raw_body)
        url = f"{self.endpoints.shop_api}{path}"
        headers = {"x-tts-access-token": self._access_token, "content-type": "application/json"}
        with map_exceptions(url):
            response = self._session.request(method, url, params=query, data=raw_body.encode() or None,
                                             headers=headers, timeout=self.timeout)
        data = parse_json(response)
        if data.get("code") != 0:
            error = status_error(response, provider_code=data.get("code"), log_id=data.get("request_id"))
            raise error if error is not None and data.get("code") is None else shop_error(data, response.status_code)
        payload = data.get("data")
        return payload if isinstance(payload, dict) else {}

    def pages(self, method: str, path: str, items_key: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None, shop_cipher: str | None = None,
              max_pages: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Yield ``data[items_key]`` page by page, following ``next_page_token`` [TTS-UPGRADE]."""
        token: str | None = None
        for _ in range(max_pages):
            page_params = dict(params or {})
            if token:
                page_params["page_token"] = token
            data = self.call(method, path, params=page_params, body=body, shop_cipher=shop_cipher)
            items = data.get(items_key) or []
            if not isinstance(items, list):
                raise ProviderError(f"TikTok Shop's page had no {items_key} list.", reason="provider_bad_response")
            yield items
            token = data.get("next_page_token") or None
            if not token:
                return

    # --- endpoints ----------------------------------------------------------------------------------------

    def authorized_shops(self, *, seller_name: str = "", seller_open_id: str = "") -> list[Shop]:
        """``GET /authorization/202309/shops`` (no ``shop_cipher`` here: TikTok rejects it)."""
        data = self.call("GET", "/authorization/202309/shops")
        shops = []
        for row in data.get("shops") or []:
            try:
                shops.append(Shop(id=str(row["id"]), name=str(row["name"]), region=str(row["region"]),
                                  seller_type=str(row.get("seller_type", "")), cipher=str(row["cipher"]),
                                  code=str(row.get("code", "")), seller_name=seller_name,
                                  seller_open_id=seller_open_id))
            except KeyError as exc:
                raise ProviderError("A shop in TikTok's answer lacks a field.", reason="provider_bad_response"
                                    ) from exc
        return shops

    def search_orders(self, shop_cipher: str, *, create_time_ge: int | None = None,
                      create_time_lt: int | None = None, page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """``POST /order/202309/orders/search``, page by page."""
        body = {k: v for k, v in {"create_time_ge": create_time_ge, "create_time_lt": create_time_lt}.items()
                if v is not None}
        return self.pages("POST", "/order/202309/orders/search", "orders", shop_cipher=shop_cipher, body=body,
                          params={"page_size": page_size, "sort_field": "create_time", "sort_order": "ASC"})

    def shop_performance(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                         granularity: str = "1D", currency: str = "LOCAL") -> dict[str, Any]:
        """``GET /analytics/202405/shop/performance`` (LIVE/VIDEO/PRODUCT_CARD breakdowns)."""
        return self.call("GET", "/analytics/202405/shop/performance", shop_cipher=shop_cipher, params={
            "start_date_ge": start_date_ge.isoformat(), "end_date_lt": end_date_lt.isoformat(),
            "granularity": granularity, "currency": currency})

    def shop_videos(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                    account_type: str = "ALL", page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """``GET /analytics/202409/shop_videos/performance`` (``ALL|LINKED_ACCOUNTS|AFFILIATES``)."""
        return self.pages("GET", "/analytics/202409/shop_videos/performance", "videos", shop_cipher=shop_cipher,
                          params={"start_date_ge": start_date_ge.isoformat(), "end_date_lt": end_date_lt.isoformat(),
                                  "account_type": account_type, "page_size": page_size})

    def shop_lives(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                   account_type: str = "ALL", page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """``GET /analytics/202508/shop_lives/performance``
        (``ALL|OFFICIAL_ACCOUNTS|MARKETING_ACCOUNTS|AFFILIATE_ACCOUNTS``)."""
        return self.pages("GET", "/analytics/202508/shop_lives/performance", "live_stream_sessions",
                          shop_cipher=shop_cipher,
                          params={"start_date_ge": start_date_ge.isoformat(), "end_date_lt": end_date_lt.isoformat(),
                                  "account_type": account_type, "page_size": page_size})
