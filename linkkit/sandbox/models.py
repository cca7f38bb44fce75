"""Sandbox state and TikTok's rules, with no HTTP in sight (moto's ``models.py``).

``SandboxModel`` owns the sandbox clock, the apps, issued codes and tokens (Login Kit and TikTok Shop),
the emulated Seller Center link state, recorded requests and injected faults. Every method either
returns domain objects or raises one of ``exceptions.py``'s errors; ``responses.py`` shapes both into
the exact bodies TikTok sends.

Example:
    >>> import datetime
    >>> from linkkit.sandbox.world import build_world
    >>> m = SandboxModel(build_world(7, datetime.date(2025, 1, 1)), Clock(0.0))
    >>> m.clock.advance(60)
    >>> m.clock.offset
    60.0
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import re
import secrets
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .exceptions import ApiError, ConsentError, OAuthError, PageError, ShopError
from .world import (
    DAY,
    LOGIN_SCOPES,
    SHOP_SCOPES,
    Account,
    LoginApp,
    Order,
    Seller,
    Shop,
    ShopApp,
    Video,
    World,
)

# --- lifetimes --------------------------------------------------------------------------------------
LOGIN_CODE_TTL = 600  # Login Kit auth code: 10 minutes (brief; TT-LK-DESKTOP says "short-lived")
LOGIN_ACCESS_TTL = 7200  # TT-TOKEN-NEW: 2 h (the older page says 24 h; see COVERAGE.md)
LOGIN_REFRESH_TTL = 15_552_000  # TT-TOKEN-NEW: 180 days, rotated on every refresh
SHOP_CODE_TTL = 1800  # TTS-AUTH-202407: auth_code expires in 30 minutes, single use
SHOP_ACCESS_TTL = 7 * DAY  # TTS-AUTH-202309: "must be refreshed every 7 days"
SHOP_REFRESH_TTL = 365 * DAY  # seller-chosen authorization length; 365 d is folklore (UNCONFIRMED)
TIMESTAMP_PAST = 300  # TTS-ERR: timestamp within [now - 5 min, now + 30 s]
TIMESTAMP_FUTURE = 30
INVITATION_TTL = 48 * 3600  # third-party (xingkuajing): 48 h to respond — UNCONFIRMED
MARKETING_RELINK_WINDOW = 180 * DAY
MARKETING_RELINK_MAX = 10
MARKETING_MAX = 4
UNLINK_MIN_AGE = 24 * 3600

# Login Kit user-info fields -> required scope (TT-USERINFO, TT-SCOPE-MIG)
USER_FIELDS = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # TT-LK-DESKTOP / RFC 7636 §4.1
PKCE_ERROR = "Code verifier or code challenge is invalid."  # ISSUE-PKCE (reported text)


class Clock:
    """Sandbox time: real time plus an offset that the ``/_sandbox/clock`` control advances."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = float(offset)

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += float(seconds)


# --- records ------------------------------------------------------------------------------------------
@dataclass
class LoginAuthRequest:
    app: LoginApp
    scopes: tuple[str, ...]
    redirect_uri: str
    state: str | None
    code_challenge: str | None


@dataclass
class LoginCode:
    code: str
    client_key: str
    username: str
    scopes: tuple[str, ...]
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class LoginGrant:
    id: str
    client_key: str
    username: str
    scopes: tuple[str, ...]
    refresh_expires_at: float
    revoked: bool = False


@dataclass
class IssuedToken:
    token: str
    grant_id: str
    expires_at: float
    superseded: bool = False


@dataclass
class LoginTokens:
    open_id: str
    scope: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


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


@dataclass
class Link:
    shop_id: str
    username: str
    role: str
    linked_at: int
    unlinked_at: int | None = None
    source: str = "seed"

    def active_at(self, t: float) -> bool:
        return self.linked_at <= t and (self.unlinked_at is None or t < self.unlinked_at)


@dataclass
class Invitation:
    id: str
    shop_id: str
    username: str
    role: str
    created_at: int
    status: str = "pending"  # pending | accepted | expired
    responded_at: int | None = None


@dataclass
class Violation:
    rule: str
    message: str


@dataclass
class Fault:
    kind: str
    remaining: int
    latency_ms: int = 0
    path_prefix: str = ""


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int = 0


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def shop_sign(app_secret: str, path: str, query: Mapping[str, str], body: str = "") -> str:
    """TikTok Shop request signature (TTS-SIGN; EcomPHP ``Client::prepareSignature``).

    ``hex(HMAC_SHA256(app_secret, app_secret + path + sorted {k}{v} (minus sign, access_token) + body +
    app_secret))``. Pass ``body=""`` for multipart requests.
    """
    params = "".join(f"{k}{query[k]}" for k in sorted(query) if k not in ("sign", "access_token"))
    wrapped = f"{app_secret}{path}{params}{body}{app_secret}"
    return hmac.new(app_secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


def redirect_uri_matches(registered: str, requested: str) -> bool:
    """Exact match, except TikTok's desktop rule: ``http://127.0.0.1:*/p`` matches any port (TT-LK-DESKTOP)."""
    if registered == requested:
        return True
    m = re.match(r"^(https?)://(127\.0\.0\.1|localhost):\*(/.*)?$", registered)
    if not m:
        return False
    scheme, host, path = m.group(1), m.group(2), m.group(3) or ""
    pattern = rf"^{re.escape(scheme)}://{re.escape(host)}:\d{{1,5}}{re.escape(path)}$"
    return re.match(pattern, requested) is not None


def _append_query(url: str, params: Mapping[str, str | None]) -> str:
    pairs = [(k, v) for k, v in params.items() if v is not None]
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(pairs)


class SandboxModel:
    """All mutable sandbox state plus the rules that govern it."""

    def __init__(self, world: World, clock: Clock) -> None:
        self.clock = clock
        self.reset(world)

    # --- lifecycle -----------------------------------------------------------------------------------
    def reset(self, world: World) -> None:
        self.world = world
        self.login_apps: dict[str, LoginApp] = dict(world.login_apps)
        self.shop_app: ShopApp = world.shop_app
        self.login_codes: dict[str, LoginCode] = {}
        self.login_grants: dict[str, LoginGrant] = {}
        self.login_access: dict[str, IssuedToken] = {}
        self.login_refresh: dict[str, IssuedToken] = {}
        self.shop_codes: dict[str, ShopCode] = {}
        self.shop_grants: dict[str, ShopGrant] = {}
        self.shop_access: dict[str, IssuedToken] = {}
        self.shop_refresh: dict[str, IssuedToken] = {}
        self.withheld_scopes: set[str] = set()
        self.links: list[Link] = [
            Link(s.shop_id, s.username, s.role, s.linked_at, s.unlinked_at, "seed") for s in world.seed_links
        ]
        self.invitations: dict[str, Invitation] = {}
        self.extra_videos: list[Video] = []
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self._daily: dict[str, dict[str, Any]] = {}
        self._counter = 0

    def now(self) -> float:
        return self.clock.now()

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    # --- apps (controls) -------------------------------------------------------------------------------
    def set_login_redirects(self, client_key: str, redirect_uris: Iterable[str]) -> LoginApp:
        app = self.login_apps.get(client_key)
        if app is None:
            raise KeyError(client_key)
        uris = tuple(str(u) for u in redirect_uris)
        self.login_apps[client_key] = LoginApp(
            app.name, app.kind, app.client_key, app.client_secret, uris, app.developer_id
        )
        return self.login_apps[client_key]

    def set_shop_redirect(self, app_key: str, redirect_url: str) -> ShopApp:
        if app_key != self.shop_app.app_key:
            raise KeyError(app_key)
        a = self.shop_app
        self.shop_app = ShopApp(a.name, a.app_key, a.app_secret, a.service_id, str(redirect_url), a.scopes)
        return self.shop_app

    # --- Login Kit: authorize -----------------------------------------------------------------------
    def validate_login_authorize(self, params: Mapping[str, str]) -> LoginAuthRequest:
        """Check an authorize request the way TikTok's page does; errors name the parameter."""
        app = self.login_apps.get(params.get("client_key", ""))
        if app is None:
            raise PageError("client_key", "The client_key is invalid or the app is not available.")
        if params.get("response_type") != "code":
            raise PageError("response_type", "response_type must be code.")
        raw_scope = params.get("scope", "")
        scopes = tuple(s.strip() for s in raw_scope.split(",") if s.strip())
        if not scopes:
            raise PageError("scope", "At least one scope is required.")
        unknown = [s for s in scopes if s not in LOGIN_SCOPES]
        if unknown:
            raise PageError("scope", f"Unknown or unauthorized scope: {', '.join(unknown)}.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not any(redirect_uri_matches(r, redirect_uri) for r in app.redirect_uris):
            raise PageError("redirect_uri", "The redirect_uri does not match a redirect URI registered for this app.")
        challenge = params.get("code_challenge") or None
        if app.pkce == "required_hex" and challenge is None:
            raise PageError("code_challenge", "code_challenge is required for this app (PKCE).")
        if challenge is not None:
            if params.get("code_challenge_method") != "S256":
                raise PageError("code_challenge_method", "code_challenge_method must be S256.")
            if app.pkce == "required_hex" and not re.fullmatch(r"[0-9a-f]{64}", challenge):
                raise PageError("code_challenge", "code_challenge must be the hex-encoded SHA256 of the code_verifier.")
        ordered = tuple(dict.fromkeys(scopes))
        return LoginAuthRequest(app, ordered, redirect_uri, params.get("state"), challenge)

    def login_consent(
        self, req: LoginAuthRequest, username: str, password: str, decision: str, scopes: Iterable[str] | None
    ) -> str:
        """Apply the consent form's decision; returns the redirect URL."""
        if decision == "deny":
            return _append_query(
                req.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied the authorization request.",
                    "state": req.state,
                },
            )
        if decision != "allow":
            raise ConsentError("invalid_decision", "decision must be allow or deny.")
        account = self.world.accounts.get(username)
        if account is None or not hmac.compare_digest(account.password, password):
            raise ConsentError("invalid_credentials", "Incorrect username or password.")
        chosen = set(req.scopes if scopes is None else scopes)
        granted = tuple(s for s in req.scopes if s in chosen or s == "user.info.basic")
        if "user.info.basic" not in granted:
            granted = ("user.info.basic", *granted)  # added by default with Login Kit (TT-SCOPES-OVERVIEW)
        # Codes carry '*' and '!' like TikTok's: clients must URL-decode before exchanging (TT-TOKEN-OLD).
        code = f"{secrets.token_urlsafe(40)}*3!{secrets.randbelow(10_000):04d}.va"
        self.login_codes[code] = LoginCode(
            code,
            req.app.client_key,
            account.username,
            granted,
            req.redirect_uri,
            req.code_challenge,
            self.now() + LOGIN_CODE_TTL,
        )
        return _append_query(req.redirect_uri, {"code": code, "scopes": ",".join(granted), "state": req.state})

    # --- Login Kit: tokens ----------------------------------------------------------------------------
    def open_id(self, client_key: str, username: str) -> str:
        return "-000" + _b64url(hashlib.sha256(f"open:{client_key}:{username}".encode()).digest())[:39]

    def union_id(self, developer_id: str, username: str) -> str:
        return "c9" + hashlib.sha256(f"union:{developer_id}:{username}".encode()).hexdigest()[:30]

    def _login_client(self, form: Mapping[str, str]) -> LoginApp:
        app = self.login_apps.get(form.get("client_key", ""))
        secret = form.get("client_secret", "")
        if app is None or not hmac.compare_digest(app.client_secret, secret):
            raise OAuthError("invalid_client", "Client key or secret is invalid.", 401)
        return app

    def _issue_login_tokens(self, grant: LoginGrant) -> LoginTokens:
        now = self.now()
        access = IssuedToken("act." + secrets.token_urlsafe(36) + "!6431.va", grant.id, now + LOGIN_ACCESS_TTL)
        refresh = IssuedToken("rft." + secrets.token_urlsafe(36) + "!6431.va", grant.id, grant.refresh_expires_at)
        self.login_access[access.token] = access
        self.login_refresh[refresh.token] = refresh
        return LoginTokens(
            open_id=self.open_id(grant.client_key, grant.username),
            scope=",".join(grant.scopes),
            access_token=access.token,
            expires_in=LOGIN_ACCESS_TTL,
            refresh_token=refresh.token,
            refresh_expires_in=max(0, round(grant.refresh_expires_at - now)),
        )

    def login_token(self, form: Mapping[str, str]) -> LoginTokens:
        """``POST /v2/oauth/token/`` for both grant types."""
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        app = self._login_client(form)
        if grant_type == "refresh_token":
            return self._refresh_login(app, form)
        code_value = form.get("code", "")
        if not code_value:
            raise OAuthError("invalid_request", "code is required.")
        code = self.login_codes.get(code_value)
        if code is None or code.client_key != app.client_key:
            raise OAuthError("invalid_grant", "Authorization code is invalid.")
        if code.used:
            raise OAuthError("invalid_grant", "Authorization code has already been used.")
        if self.now() >= code.expires_at:
            raise OAuthError("invalid_grant", "Authorization code is expired.")
        if form.get("redirect_uri", "") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the redirect_uri of the authorization.")
        verifier = form.get("code_verifier") or None
        if code.code_challenge is not None or app.pkce == "required_hex":
            if not self._pkce_ok(app, code.code_challenge, verifier):
                code.used = True  # a PKCE mismatch burns the code
                raise OAuthError("invalid_request", PKCE_ERROR)
        code.used = True
        grant = LoginGrant(
            self._next_id("lkg"), app.client_key, code.username, code.scopes, self.now() + LOGIN_REFRESH_TTL
        )
        self.login_grants[grant.id] = grant
        return self._issue_login_tokens(grant)

    @staticmethod
    def _pkce_ok(app: LoginApp, challenge: str | None, verifier: str | None) -> bool:
        if challenge is None or verifier is None or not PKCE_VERIFIER.match(verifier):
            return False
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if app.pkce == "required_hex":
            expected = digest.hex()  # TT-LK-DESKTOP: hex encoding of SHA256
        else:
            expected = _b64url(digest)  # RFC 7636 S256 for web (UNCONFIRMED which one TikTok's web flow wants)
        return hmac.compare_digest(expected, challenge)

    def _refresh_login(self, app: LoginApp, form: Mapping[str, str]) -> LoginTokens:
        value = form.get("refresh_token", "")
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required.")
        token = self.login_refresh.get(value)
        grant = self.login_grants.get(token.grant_id) if token else None
        if token is None or grant is None or grant.client_key != app.client_key:
            raise OAuthError("invalid_grant", "Refresh token is invalid.")
        if grant.revoked:
            raise OAuthError("invalid_grant", "Refresh token has been revoked.")
        if token.superseded:
            raise OAuthError(
                "invalid_grant",
                "Refresh token is no longer valid: it was rotated and a newer refresh token was issued.",
            )
        if self.now() >= token.expires_at:
            raise OAuthError("invalid_grant", "Refresh token is expired.")
        token.superseded = True  # TT-TOKEN-NEW: "The previous refresh token stops working once a new one is issued"
        return self._issue_login_tokens(grant)

    def login_revoke(self, form: Mapping[str, str]) -> None:
        """``POST /v2/oauth/revoke/``: revokes the grant behind ``token`` (access or refresh)."""
        app = self._login_client(form)
        value = form.get("token", "")
        if not value:
            raise OAuthError("invalid_request", "token is required.")
        issued = self.login_access.get(value) or self.login_refresh.get(value)
        grant = self.login_grants.get(issued.grant_id) if issued else None
        if grant is not None and grant.client_key == app.client_key:
            grant.revoked = True
        # Unknown tokens answer {} too (RFC 7009 §2.2); TikTok's exact behaviour is UNCONFIRMED.

    def login_user_info(self, authorization: str | None, fields_param: str | None) -> dict[str, Any]:
        """``GET /v2/user/info/``: returns the ``user`` object with exactly the requested fields."""
        token = None
        if authorization and authorization.startswith("Bearer "):
            token = self.login_access.get(authorization[len("Bearer ") :].strip())
        grant = self.login_grants.get(token.grant_id) if token else None
        if token is None or grant is None or grant.revoked or self.now() >= token.expires_at:
            raise ApiError("access_token_invalid", "The access token is invalid or not found in the request.", 401)
        if not fields_param:
            raise ApiError("invalid_params", "fields is required.", 400)
        fields = [f.strip() for f in fields_param.split(",") if f.strip()]
        unknown = [f for f in fields if f not in USER_FIELDS]
        if unknown:
            raise ApiError("invalid_params", f"Invalid fields: {', '.join(unknown)}.", 400)
        missing = sorted({USER_FIELDS[f] for f in fields} - set(grant.scopes))
        if missing:
            raise ApiError(
                "scope_not_authorized",
                f"The user did not authorize the scope required for this field: {', '.join(missing)}.",
                401,
            )
        account = self.world.accounts[grant.username]
        app = self.login_apps[grant.client_key]
        avatar = f"https://sandbox.linkkit.invalid/avatar/{urllib.parse.quote(account.username)}"
        values: dict[str, Any] = {
            "open_id": self.open_id(app.client_key, account.username),
            "union_id": self.union_id(app.developer_id, account.username),
            "avatar_url": avatar + ".jpeg",
            "avatar_url_100": avatar + "_100.jpeg",
            "avatar_large_url": avatar + "_large.jpeg",
            "display_name": account.display_name,
            "bio_description": account.bio,
            "profile_deep_link": f"https://www.tiktok.com/@{urllib.parse.quote(account.username)}",
            "is_verified": account.is_verified,
            "username": account.username,
            "follower_count": account.follower_count,
            "following_count": account.following_count,
            "likes_count": account.likes_count,
            "video_count": account.video_count,
        }
        return {f: values[f] for f in dict.fromkeys(fields)}

    # --- TikTok Shop: seller authorization --------------------------------------------------------------
    def validate_shop_authorize(self, params: Mapping[str, str]) -> ShopApp:
        if params.get("service_id", "") != self.shop_app.service_id:
            raise PageError("service_id", "The service_id is invalid or the service is not published.")
        return self.shop_app

    def shop_consent(self, params: Mapping[str, str], username: str, password: str, decision: str) -> str:
        app = self.validate_shop_authorize(params)
        state = params.get("state") or None
        if decision == "deny":
            # TTS-AUTH-202407: "code=null&error=auth_denied"
            return _append_query(app.redirect_url, {"code": "null", "error": "auth_denied", "state": state})
        if decision != "allow":
            raise ConsentError("invalid_decision", "decision must be allow or deny.")
        seller = self.world.sellers.get(username)
        if seller is None or not hmac.compare_digest(seller.password, password):
            raise ConsentError("invalid_credentials", "Incorrect Seller Center username or password.")
        code = "TTP_" + secrets.token_urlsafe(18)
        self.shop_codes[code] = ShopCode(code, seller.username, self.now() + SHOP_CODE_TTL)
        return _append_query(app.redirect_url, {"code": code, "state": state})

    def _shop_app_creds(self, params: Mapping[str, str]) -> ShopApp:
        app = self.shop_app
        if params.get("app_key", "") != app.app_key:
            raise ShopError(36009004, "Invalid credentials. Invalid `app_key` query parameter.")
        if not hmac.compare_digest(params.get("app_secret", ""), app.app_secret):
            # No sourced code for a wrong app_secret; 36009004 is the documented credentials catch-all.
            raise ShopError(36009004, "Invalid credentials. The `app_secret` does not match the `app_key`.")
        return app

    def _shop_open_id(self, seller: str) -> str:
        return _b64url(hashlib.sha256(f"shop-open:{self.shop_app.app_key}:{seller}".encode()).digest())[:40]

    def granted_shop_scopes(self) -> list[str]:
        return [s for s in self.shop_app.scopes if s not in self.withheld_scopes]

    def _issue_shop_tokens(self, grant: ShopGrant) -> ShopTokens:
        now = self.now()
        access = IssuedToken("TTP_" + secrets.token_urlsafe(48), grant.id, int(now) + SHOP_ACCESS_TTL)
        refresh = IssuedToken("TTP_" + secrets.token_urlsafe(36), grant.id, grant.refresh_expires_at)
        self.shop_access[access.token] = access
        self.shop_refresh[refresh.token] = refresh
        return ShopTokens(
            access.token,
            int(access.expires_at),
            refresh.token,
            int(refresh.expires_at),
            self._shop_open_id(grant.seller),
            self.world.sellers[grant.seller],
            self.granted_shop_scopes(),
        )

    def shop_token_get(self, params: Mapping[str, str]) -> ShopTokens:
        app = self._shop_app_creds(params)
        if params.get("grant_type") != "authorized_code":
            raise ShopError(36009004, "Invalid credentials. `grant_type` must be authorized_code.")
        code = self.shop_codes.get(params.get("auth_code", ""))
        if code is None or code.used or self.now() >= code.expires_at:
            # 36004004 "invalid auth code": observed live (third-party code), not in TikTok's tables.
            raise ShopError(36004004, "invalid auth code")
        code.used = True
        grant = ShopGrant(self._next_id("tsg"), app.app_key, code.seller, int(self.now()) + SHOP_REFRESH_TTL)
        self.shop_grants[grant.id] = grant
        return self._issue_shop_tokens(grant)

    def shop_token_refresh(self, params: Mapping[str, str]) -> ShopTokens:
        self._shop_app_creds(params)
        if params.get("grant_type") != "refresh_token":
            raise ShopError(36009004, "Invalid credentials. `grant_type` must be refresh_token.")
        token = self.shop_refresh.get(params.get("refresh_token", ""))
        grant = self.shop_grants.get(token.grant_id) if token else None
        if token is None or grant is None or grant.revoked:
            # EcomPHP PR#15: 36004005 "can not find related auth record"
            raise ShopError(36004005, "can not find related auth record")
        if self.now() >= token.expires_at:
            raise ShopError(36004001, "rt has expired")  # EcomPHP PR#15
        # Whether Shop refresh rotates is UNCONFIRMED: issue a new refresh token, keep the old one valid.
        return self._issue_shop_tokens(grant)

    def deauthorize_seller(self, seller: str) -> int:
        n = 0
        for grant in self.shop_grants.values():
            if grant.seller == seller and not grant.revoked:
                grant.revoked = True
                n += 1
        return n

    # --- TikTok Shop: signed calls ------------------------------------------------------------------
    def shop_access_grant(self, token_value: str | None) -> ShopGrant:
        token = self.shop_access.get(token_value or "")
        grant = self.shop_grants.get(token.grant_id) if token else None
        if token is None or grant is None:
            raise ShopError(36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.")
        if grant.revoked:
            raise ShopError(105001, "access token is invalid; detail: your token has been deauthorized")
        if self.now() >= token.expires_at:
            raise ShopError(105002, "access token is expired, please refresh it")
        return grant

    def authenticate_shop_call(
        self, *, path: str, query: Mapping[str, str], access_token: str | None, body: str, scope: str, shop_cipher: str
    ) -> tuple[ShopGrant, Shop | None]:
        """Run TikTok Shop's gate for a signed call; returns the grant and the addressed shop.

        ``shop_cipher`` is ``"required"`` or ``"forbidden"`` for the endpoint.
        """
        app = self.shop_app
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
        grant = self.shop_access_grant(access_token)
        if grant.app_key != app.app_key:
            raise ShopError(36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.")
        if scope not in self.granted_shop_scopes():
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

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.world.shops.values() if s.cipher == cipher), None)

    def seller_shops(self, seller: str) -> list[Shop]:
        return [self.world.shops[sid] for sid in self.world.sellers[seller].shop_ids]

    def orders(self, shop_id: str) -> tuple[Order, ...]:
        return self.world.shop_activity(shop_id).orders

    def videos(self, shop_id: str) -> list[Video]:
        return list(self.world.shop_activity(shop_id).videos) + [v for v in self.extra_videos if v.shop_id == shop_id]

    def account_type_at(self, shop_id: str, username: str, t: float) -> str:
        """OFFICIAL / MARKETING / AFFILIATE for content posted at ``t``, from Seller Center's link state."""
        for link in self.links:
            if link.shop_id == shop_id and link.username == username and link.active_at(t):
                return link.role.upper()
        return "AFFILIATE"

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

    # --- Seller Center (emulated) -------------------------------------------------------------------
    def seller_center_shop(self, access_token: str | None, shop_id: str | None) -> Shop:
        grant = self.shop_access_grant(access_token)
        if not shop_id:
            raise ShopError(40001, "invalid params: shop_id is required")
        shop = self.world.shops.get(shop_id)
        if shop is None:
            raise ShopError(40403, "shop not found")
        if shop.seller != grant.seller:
            raise ShopError(101000, "Invalid query or header. The `x-tts-access-token` header does not match the shop.")
        return shop

    def active_links(self, shop_id: str, at: float | None = None) -> list[Link]:
        t = self.now() if at is None else at
        return [link for link in self.links if link.shop_id == shop_id and link.active_at(t)]

    def invitation_status(self, inv: Invitation) -> str:
        if inv.status == "pending" and self.now() >= inv.created_at + INVITATION_TTL:
            inv.status = "expired"
        return inv.status

    def account(self, username: str) -> Account:
        account = self.world.accounts.get(username)
        if account is None:
            raise ShopError(40401, "account not found", data={"username": username})
        return account

    def check_link_rules(self, shop: Shop, account: Account, role: str) -> list[Violation]:
        """The Seller Center linking rules for inviting ``account`` as ``role`` into ``shop`` now."""
        now = self.now()
        out: list[Violation] = []
        here = self.active_links(shop.id)
        mine = [link for link in here if link.username == account.username]
        # SELLER-US-IDV / KEYOUYUN-CN: identity verification required; personal accounts without it refused.
        if account.account_type == "personal" and not account.identity_verified:
            out.append(
                Violation(
                    "eligible_account",
                    "Personal accounts must complete identity verification before they can be linked.",
                )
            )
        # SELLER-US-LINK: "The account region must equal the shop region."
        if account.region != shop.region:
            out.append(
                Violation(
                    "same_region", f"The account is registered in {account.region}; this shop sells in {shop.region}."
                )
            )
        if any(link.role == role for link in mine):
            out.append(Violation("already_linked", f"This account is already the shop's {role} account."))
        # SELLER-US-LINK: the same account cannot be both the official and a marketing account of one shop.
        if any(link.role != role for link in mine):
            other = "marketing" if role == "official" else "official"
            out.append(
                Violation(
                    "not_both_roles",
                    f"This account is already linked to this shop as {other}; an account cannot hold both roles.",
                )
            )
        if role == "official":
            # SELLER-US-OA-RULES: "Only 1 official account per shop".
            if any(link.role == "official" and link.username != account.username for link in here):
                out.append(
                    Violation("one_official", "This shop already has an Official account; unlink it first (replace).")
                )
            # SELLER-US-LINK: an Official account is linked to one shop at a time.
            if any(
                link.role == "official"
                and link.shop_id != shop.id
                and link.active_at(now)
                and link.username == account.username
                for link in self.links
            ):
                out.append(
                    Violation("official_one_shop", "This account is already the Official account of another shop.")
                )
        else:
            # SELLER-US-LINK / TTS-TSP-PLAYBOOK: at most 4 Marketing accounts per shop.
            if (
                sum(1 for link in here if link.role == "marketing" and link.username != account.username)
                >= MARKETING_MAX
            ):
                out.append(Violation("marketing_max_four", "This shop already has 4 Marketing accounts."))
            # SELLER-US-LINK: a Marketing account can be linked up to 10 times within 180 days, across shops.
            recent = [
                link
                for link in self.links
                if link.username == account.username
                and link.role == "marketing"
                and link.linked_at > now - MARKETING_RELINK_WINDOW
            ]
            if len(recent) >= MARKETING_RELINK_MAX:
                out.append(
                    Violation(
                        "marketing_relink_limit",
                        "This account has been linked as a Marketing account 10 times in the last 180 days.",
                    )
                )
        return out

    def invite(self, shop: Shop, username: str, role: str) -> Invitation:
        account = self.account(username)
        violations = self.check_link_rules(shop, account, role)
        if violations:
            raise ShopError(40901, "link rules violated", data={"violations": violations})
        inv = Invitation(self._next_id("inv"), shop.id, account.username, role, int(self.now()))
        self.invitations[inv.id] = inv
        return inv

    def accept(self, invitation_id: str, username: str, password: str) -> Link:
        inv = self.invitations.get(invitation_id)
        if inv is None:
            raise ShopError(40402, "invitation not found")
        account = self.world.accounts.get(username)
        if account is None or not hmac.compare_digest(account.password, password):
            raise ShopError(40301, "incorrect username or password")
        if inv.username != account.username:
            raise ShopError(40302, "this invitation was sent to another TikTok account")
        status = self.invitation_status(inv)
        if status != "pending":
            raise ShopError(40902, f"invitation is {status}", data={"status": status})
        shop = self.world.shops[inv.shop_id]
        violations = self.check_link_rules(shop, account, inv.role)
        if violations:
            raise ShopError(40901, "link rules violated", data={"violations": violations})
        now = int(self.now())
        inv.status, inv.responded_at = "accepted", now
        link = Link(shop.id, account.username, inv.role, now, None, "invitation")
        self.links.append(link)
        # Sandbox convenience (COVERAGE.md): the new account's "first shoppable video", so that the shop's
        # analytics show the account under OFFICIAL/MARKETING straight away.
        product = shop.products[0]
        self.extra_videos.append(
            Video(
                id=f"79{int(hashlib.sha256(f'{inv.id}:{now}'.encode()).hexdigest(), 16) % 10**17:017d}",
                shop_id=shop.id,
                username=account.username,
                title=f"First shoppable video · {product.name}",
                post_time=now,
                views=0,
                click_through_rate="0.0000",
                product_ids=(product.id,),
            )
        )
        return link

    def unlink(self, shop: Shop, username: str) -> Link:
        link = next((x for x in self.active_links(shop.id) if x.username == username), None)
        if link is None:
            raise ShopError(40903, "this account is not linked to this shop")
        now = int(self.now())
        if now - link.linked_at < UNLINK_MIN_AGE:  # SELLER-US-LINK: unlinking only 24 h after linking
            raise ShopError(
                40901,
                "link rules violated",
                data={
                    "violations": [
                        Violation("unlink_after_24h", "An account can only be unlinked 24 hours after it was linked.")
                    ]
                },
            )
        link.unlinked_at = now
        return link

    # --- faults and recorded requests -----------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def record(self, req: RecordedRequest) -> None:
        self.requests.append(req)
        del self.requests[:-2000]


__all__ = ["SHOP_SCOPES", "Clock", "Fault", "RecordedRequest", "SandboxModel", "Violation", "shop_sign"]
