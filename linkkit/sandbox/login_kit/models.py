"""Login Kit v2 state and rules: apps, authorize requests, codes, grants, rotating tokens, user info.

No HTTP here: methods return records or raise ``exceptions.py`` errors; ``responses.py`` shapes them.

Example:
    >>> import datetime
    >>> from linkkit.sandbox.common import Clock, Ids
    >>> from linkkit.sandbox.world import build_world
    >>> kit = LoginKitBackend(build_world(7, datetime.date(2025, 1, 1)), Clock(), Ids())
    >>> sorted(app.kind for app in kit.apps.values())
    ['desktop', 'web']
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..common import Clock, Ids, IssuedToken, append_query, b64url
from ..exceptions import ApiError, ConsentError, OAuthError, PageError
from ..world import LoginApp, World
from ..world_data import LOGIN_SCOPES

LOGIN_CODE_TTL = 600  # Login Kit auth code: 10 minutes (TikTok only says "short-lived"; see COVERAGE.md)
LOGIN_ACCESS_TTL = 7200  # TT-TOKEN-NEW: 2 h (the older page says 24 h; see COVERAGE.md)
LOGIN_REFRESH_TTL = 15_552_000  # TT-TOKEN-NEW: 180 days, rotated on every refresh


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
class LoginTokens:
    open_id: str
    scope: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


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


class LoginKitBackend:
    """Login Kit's mutable state (apps, codes, grants, tokens) and TikTok's rules over it."""

    def __init__(self, world: World, clock: Clock, ids: Ids) -> None:
        self.world = world
        self.clock = clock
        self.ids = ids
        self.apps: dict[str, LoginApp] = dict(world.login_apps)
        self.codes: dict[str, LoginCode] = {}
        self.grants: dict[str, LoginGrant] = {}
        self.access: dict[str, IssuedToken] = {}
        self.refresh: dict[str, IssuedToken] = {}

    def now(self) -> float:
        return self.clock.now()

    def set_redirects(self, client_key: str, redirect_uris: Iterable[str]) -> LoginApp:
        app = self.apps.get(client_key)
        if app is None:
            raise KeyError(client_key)
        uris = tuple(str(u) for u in redirect_uris)
        self.apps[client_key] = LoginApp(app.name, app.kind, app.client_key, app.client_secret, uris, app.developer_id)
        return self.apps[client_key]

    # --- Login Kit: authorize -----------------------------------------------------------------------
    def validate_authorize(self, params: Mapping[str, str]) -> LoginAuthRequest:
        """Check an authorize request the way TikTok's page does; errors name the parameter."""
        app = self.apps.get(params.get("client_key", ""))
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

    def consent(
        self, req: LoginAuthRequest, username: str, password: str, decision: str, scopes: Iterable[str] | None
    ) -> str:
        """Apply the consent form's decision; returns the redirect URL."""
        if decision == "deny":
            return append_query(
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
        self.codes[code] = LoginCode(
            code,
            req.app.client_key,
            account.username,
            granted,
            req.redirect_uri,
            req.code_challenge,
            self.now() + LOGIN_CODE_TTL,
        )
        return append_query(req.redirect_uri, {"code": code, "scopes": ",".join(granted), "state": req.state})

    # --- Login Kit: tokens ----------------------------------------------------------------------------
    def open_id(self, client_key: str, username: str) -> str:
        return "-000" + b64url(hashlib.sha256(f"open:{client_key}:{username}".encode()).digest())[:39]

    def union_id(self, developer_id: str, username: str) -> str:
        return "c9" + hashlib.sha256(f"union:{developer_id}:{username}".encode()).hexdigest()[:30]

    def _client(self, form: Mapping[str, str]) -> LoginApp:
        app = self.apps.get(form.get("client_key", ""))
        secret = form.get("client_secret", "")
        if app is None or not hmac.compare_digest(app.client_secret, secret):
            raise OAuthError("invalid_client", "Client key or secret is invalid.", 401)
        return app

    def _issue_tokens(self, grant: LoginGrant) -> LoginTokens:
        now = self.now()
        access = IssuedToken("act." + secrets.token_urlsafe(36) + "!6431.va", grant.id, now + LOGIN_ACCESS_TTL)
        refresh = IssuedToken("rft." + secrets.token_urlsafe(36) + "!6431.va", grant.id, grant.refresh_expires_at)
        self.access[access.token] = access
        self.refresh[refresh.token] = refresh
        return LoginTokens(
            open_id=self.open_id(grant.client_key, grant.username),
            scope=",".join(grant.scopes),
            access_token=access.token,
            expires_in=LOGIN_ACCESS_TTL,
            refresh_token=refresh.token,
            refresh_expires_in=max(0, round(grant.refresh_expires_at - now)),
        )

    def token(self, form: Mapping[str, str]) -> LoginTokens:
        """``POST /v2/oauth/token/`` for both grant types."""
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        app = self._client(form)
        if grant_type == "refresh_token":
            return self._refresh(app, form)
        code_value = form.get("code", "")
        if not code_value:
            raise OAuthError("invalid_request", "code is required.")
        code = self.codes.get(code_value)
        if code is None or code.client_key != app.client_key:
            raise OAuthError("invalid_grant", "Authorization code is invalid.")
        if code.used:
            raise OAuthError("invalid_grant", "Authorization code has already been used.")
        if self.now() >= code.expires_at:
            raise OAuthError("invalid_grant", "Authorization code is expired.")
        if form.get("redirect_uri", "") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the redirect_uri of the authorization.")
        verifier = form.get("code_verifier") or None
        # A verifier for a code issued without a challenge means the challenge was stripped on the way to the
        # authorize page (RFC 9700 §4.8.2, "PKCE downgrade"): refuse it like a mismatch, for every app type.
        if code.code_challenge is not None or app.pkce == "required_hex" or verifier is not None:
            if not self._pkce_ok(app, code.code_challenge, verifier):
                code.used = True  # a PKCE mismatch burns the code
                raise OAuthError("invalid_request", PKCE_ERROR)
        code.used = True
        grant = LoginGrant(
            self.ids.next("lkg"), app.client_key, code.username, code.scopes, self.now() + LOGIN_REFRESH_TTL
        )
        self.grants[grant.id] = grant
        return self._issue_tokens(grant)

    @staticmethod
    def _pkce_ok(app: LoginApp, challenge: str | None, verifier: str | None) -> bool:
        if challenge is None or verifier is None or not PKCE_VERIFIER.match(verifier):
            return False
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if app.pkce == "required_hex":
            expected = digest.hex()  # TT-LK-DESKTOP: hex encoding of SHA256
        else:
            expected = b64url(digest)  # RFC 7636 S256 for web (UNCONFIRMED which one TikTok's web flow wants)
        return hmac.compare_digest(expected, challenge)

    def _refresh(self, app: LoginApp, form: Mapping[str, str]) -> LoginTokens:
        value = form.get("refresh_token", "")
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required.")
        token = self.refresh.get(value)
        grant = self.grants.get(token.grant_id) if token else None
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
        return self._issue_tokens(grant)

    def revoke(self, form: Mapping[str, str]) -> None:
        """``POST /v2/oauth/revoke/``: disconnects the app from the account behind ``token`` (access or refresh).

        TT-REVOKE: revoking "disconnects your app from the user's TikTok account" and the app leaves the user's
        connected apps. There is one connection per account and app, so every grant that account gave this app
        (an earlier consent as well as the one whose token was sent) stops working together.
        """
        app = self._client(form)
        value = form.get("token", "")
        if not value:
            raise OAuthError("invalid_request", "token is required.")
        issued = self.access.get(value) or self.refresh.get(value)
        grant = self.grants.get(issued.grant_id) if issued else None
        if grant is not None and grant.client_key == app.client_key:
            for other in self.grants.values():
                if other.client_key == grant.client_key and other.username == grant.username:
                    other.revoked = True
        # Unknown tokens answer {} too (RFC 7009 §2.2); TikTok's exact behaviour is UNCONFIRMED.

    def user_info(self, authorization: str | None, fields_param: str | None) -> dict[str, Any]:
        """``GET /v2/user/info/``: returns the ``user`` object with exactly the requested fields."""
        token = None
        if authorization and authorization.startswith("Bearer "):
            token = self.access.get(authorization[len("Bearer ") :].strip())
        grant = self.grants.get(token.grant_id) if token else None
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
        app = self.apps[grant.client_key]
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


__all__ = ["LoginAuthRequest", "LoginKitBackend", "LoginTokens", "redirect_uri_matches"]
