"""TikTok Shop seller authorization: the Partner Center app, the consent page's codes, grants and tokens.

No HTTP here. ``ShopAuthBackend.access_grant`` is the gate the Shop API and the emulated Seller Center use
to turn an ``x-tts-access-token`` into a grant.

Example:
    >>> import datetime
    >>> from linkkit.sandbox.common import Clock, Ids
    >>> from linkkit.sandbox.world import build_world
    >>> auth = ShopAuthBackend(build_world(7, datetime.date(2025, 1, 1)), Clock(), Ids())
    >>> auth.granted_scopes() == list(auth.app.scopes)
    True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from ..common import Clock, Ids, IssuedToken, append_query, b64url
from ..exceptions import ConsentError, PageError, ShopError
from ..world import DAY, Seller, ShopApp, World

SHOP_CODE_TTL = 1800  # TTS-AUTH-202407: auth_code expires in 30 minutes, single use
SHOP_ACCESS_TTL = 7 * DAY  # TTS-AUTH-202309: "must be refreshed every 7 days"
SHOP_REFRESH_TTL = 365 * DAY  # seller-chosen authorization length; 365 d is folklore (UNCONFIRMED)


@dataclass
class ShopCode:
    code: str
    seller: str
    expires_at: float
    used: bool = False


@dataclass
class ShopGrant:
    id: str
    app_key: str
    seller: str
    refresh_expires_at: float
    revoked: bool = False


@dataclass
class ShopTokens:
    access_token: str
    access_token_expire_in: int
    refresh_token: str
    refresh_token_expire_in: int
    open_id: str
    seller: Seller
    granted_scopes: list[str]


class ShopAuthBackend:
    """The shop app, auth codes, grants and tokens, and the withheld-scope switch."""

    def __init__(self, world: World, clock: Clock, ids: Ids) -> None:
        self.world = world
        self.clock = clock
        self.ids = ids
        self.app: ShopApp = world.shop_app
        self.codes: dict[str, ShopCode] = {}
        self.grants: dict[str, ShopGrant] = {}
        self.access: dict[str, IssuedToken] = {}
        self.refresh: dict[str, IssuedToken] = {}
        self.withheld_scopes: set[str] = set()

    def now(self) -> float:
        return self.clock.now()

    def set_redirect(self, app_key: str, redirect_url: str) -> ShopApp:
        if app_key != self.app.app_key:
            raise KeyError(app_key)
        a = self.app
        self.app = ShopApp(a.name, a.app_key, a.app_secret, a.service_id, str(redirect_url), a.scopes)
        return self.app

    # --- TikTok Shop: seller authorization --------------------------------------------------------------
    def validate_authorize(self, params: Mapping[str, str]) -> ShopApp:
        if params.get("service_id", "") != self.app.service_id:
            raise PageError("service_id", "The service_id is invalid or the service is not published.")
        return self.app

    def consent(self, params: Mapping[str, str], username: str, password: str, decision: str) -> str:
        app = self.validate_authorize(params)
        state = params.get("state") or None
        if decision == "deny":
            # TTS-AUTH-202407: "code=null&error=auth_denied"
            return append_query(app.redirect_url, {"code": "null", "error": "auth_denied", "state": state})
        if decision != "allow":
            raise ConsentError("invalid_decision", "decision must be allow or deny.")
        seller = self.world.sellers.get(username)
        if seller is None or not hmac.compare_digest(seller.password, password):
            raise ConsentError("invalid_credentials", "Incorrect Seller Center username or password.")
        code = "TTP_" + secrets.token_urlsafe(18)
        self.codes[code] = ShopCode(code, seller.username, self.now() + SHOP_CODE_TTL)
        return append_query(app.redirect_url, {"code": code, "state": state})

    def _app_creds(self, params: Mapping[str, str]) -> ShopApp:
        app = self.app
        if params.get("app_key", "") != app.app_key:
            raise ShopError(36009004, "Invalid credentials. Invalid `app_key` query parameter.")
        if not hmac.compare_digest(params.get("app_secret", ""), app.app_secret):
            # No sourced code for a wrong app_secret; 36009004 is the documented credentials catch-all.
            raise ShopError(36009004, "Invalid credentials. The `app_secret` does not match the `app_key`.")
        return app

    def _open_id(self, seller: str) -> str:
        return b64url(hashlib.sha256(f"shop-open:{self.app.app_key}:{seller}".encode()).digest())[:40]

    def granted_scopes(self) -> list[str]:
        return [s for s in self.app.scopes if s not in self.withheld_scopes]

    def _issue_tokens(self, grant: ShopGrant) -> ShopTokens:
        now = self.now()
        access = IssuedToken("TTP_" + secrets.token_urlsafe(48), grant.id, int(now) + SHOP_ACCESS_TTL)
        refresh = IssuedToken("TTP_" + secrets.token_urlsafe(36), grant.id, grant.refresh_expires_at)
        self.access[access.token] = access
        self.refresh[refresh.token] = refresh
        return ShopTokens(
            access.token,
            int(access.expires_at),
            refresh.token,
            int(refresh.expires_at),
            self._open_id(grant.seller),
            self.world.sellers[grant.seller],
            self.granted_scopes(),
        )

    def token_get(self, params: Mapping[str, str]) -> ShopTokens:
        app = self._app_creds(params)
        if params.get("grant_type") != "authorized_code":
            raise ShopError(36009004, "Invalid credentials. `grant_type` must be authorized_code.")
        code = self.codes.get(params.get("auth_code", ""))
        if code is None or code.used or self.now() >= code.expires_at:
            # 36004004 "invalid auth code": observed live (third-party code), not in TikTok's tables.
            raise ShopError(36004004, "invalid auth code")
        code.used = True
        grant = ShopGrant(self.ids.next("tsg"), app.app_key, code.seller, int(self.now()) + SHOP_REFRESH_TTL)
        self.grants[grant.id] = grant
        return self._issue_tokens(grant)

    def token_refresh(self, params: Mapping[str, str]) -> ShopTokens:
        self._app_creds(params)
        if params.get("grant_type") != "refresh_token":
            raise ShopError(36009004, "Invalid credentials. `grant_type` must be refresh_token.")
        token = self.refresh.get(params.get("refresh_token", ""))
        grant = self.grants.get(token.grant_id) if token else None
        if token is None or grant is None or grant.revoked:
            # EcomPHP PR#15: 36004005 "can not find related auth record"
            raise ShopError(36004005, "can not find related auth record")
        if self.now() >= token.expires_at:
            raise ShopError(36004001, "rt has expired")  # EcomPHP PR#15
        # Whether Shop refresh rotates is UNCONFIRMED: issue a new refresh token, keep the old one valid.
        return self._issue_tokens(grant)

    def deauthorize_seller(self, seller: str) -> list[ShopGrant]:
        """Revoke every live grant of ``seller`` (the seller removed the app); returns the grants revoked."""
        revoked = [g for g in self.grants.values() if g.seller == seller and not g.revoked]
        for grant in revoked:
            grant.revoked = True
        return revoked

    def current_grants(self) -> list[ShopGrant]:
        """Per seller, the newest grant that is neither revoked nor expired."""
        now = self.now()
        newest: dict[str, ShopGrant] = {}
        for grant in self.grants.values():
            if grant.revoked or grant.refresh_expires_at <= now:
                continue
            if grant.seller not in newest or grant.refresh_expires_at >= newest[grant.seller].refresh_expires_at:
                newest[grant.seller] = grant
        return list(newest.values())

    def access_grant(self, token_value: str | None) -> ShopGrant:
        token = self.access.get(token_value or "")
        grant = self.grants.get(token.grant_id) if token else None
        if token is None or grant is None:
            raise ShopError(36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.")
        if grant.revoked:
            raise ShopError(105001, "access token is invalid; detail: your token has been deauthorized")
        if self.now() >= token.expires_at:
            raise ShopError(105002, "access token is expired, please refresh it")
        return grant


__all__ = ["SHOP_ACCESS_TTL", "SHOP_REFRESH_TTL", "ShopAuthBackend", "ShopGrant", "ShopTokens"]
