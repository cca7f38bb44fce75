"""TikTok Login Kit v2 (OAuth 2.0 with PKCE) on requests-oauthlib's ``OAuth2Session``.

TikTok's departures from RFC 6749 are compliance hooks on the session, not a fork of it [docs/tiktok-contracts.md §1]:
``client_key`` instead of ``client_id`` (authorize, token, refresh); comma-separated scopes; the callback's
granted scopes arrive as ``scopes``; desktop apps send a **hex** S256 challenge; errors carry ``log_id``.
Because Voila answers the callback in another kernel, ``state`` and the verifier are passed in explicitly —
:class:`~linkkit.linking.LinkService` persists them between the two halves.

Example:
    >>> from linkkit.tiktok.endpoints import Endpoints
    >>> flow = LoginKitFlow(Endpoints.sandbox("http://127.0.0.1:8765"), client_key="ck", client_secret="cs",
    ...                     redirect_uri="http://127.0.0.1:8866/cb", scopes=["user.info.basic", "video.list"])
    >>> url = flow.authorization_url(state="st", code_verifier="v" * 43)
    >>> "client_key=ck" in url and "scope=user.info.basic%2Cvideo.list" in url
    True
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from linkkit import redact
from linkkit.errors import ProviderError, TokenExchangeError
from linkkit.tiktok.endpoints import Endpoints
from linkkit.tiktok.http import make_session, map_exceptions, parse_json, status_error
from linkkit.tiktok.signing import code_challenge

__all__ = ["USER_FIELDS", "LoginKitFlow", "TokenSet"]

log = logging.getLogger(__name__)

#: User-info fields and the scope each needs [TT-USERINFO][TT-SCOPE-MIG]; ask only for granted ones.
USER_FIELDS: dict[str, tuple[str, ...]] = {
    "user.info.basic": ("open_id", "union_id", "avatar_url", "display_name"),
    "user.info.profile": ("username", "is_verified", "profile_deep_link", "bio_description"),
    "user.info.stats": ("follower_count", "video_count"),
}


@dataclass(frozen=True)
class TokenSet:
    """A token response, with absolute expiry times. Its repr hides the tokens."""

    open_id: str
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"TokenSet(open_id={self.open_id!r}, scopes={self.scopes!r}, expires_at={self.expires_at})"


_LOOPBACK_HOSTS = ("localhost", "::1")


def _is_loopback_http(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return url.lower().startswith("http://") and (host in _LOOPBACK_HOSTS or host.startswith("127."))


class _LoopbackAdapter(requests.adapters.BaseAdapter):
    """Sends ``https://<loopback>`` requests of one OAuth session as plain ``http://`` (the local sandbox).

    requests-oauthlib refuses plain-HTTP token URLs; RFC 8252 §8.3 allows loopback ``http``. Rather than set
    ``OAUTHLIB_INSECURE_TRANSPORT`` or patch the library's transport check (both process-wide), linkkit's own
    OAuth session is given the ``https://`` spelling of a loopback URL and this adapter, mounted on that session
    only, sends it as ``http://`` through the shared connection pool.
    """

    def __init__(self, inner: requests.adapters.BaseAdapter) -> None:
        super().__init__()
        self._inner = inner

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = "http://" + request.url[len("https://"):]
        return self._inner.send(request, **kwargs)

    def close(self) -> None:
        return None


_GRANT_ERRORS = {
    # error_description fragments -> our reason; TikTok lumps many causes into invalid_grant [TT-OAUTH-ERR]
    "redirect": "redirect_uri_mismatch",
    "superseded": "refresh_token_invalid",
    "rotated": "refresh_token_invalid",
    "revoked": "refresh_token_invalid",
}


class LoginKitFlow:
    """The Login Kit authorization-code flow for one app.

    Args:
        endpoints: Where Login Kit lives (live or sandbox).
        client_key: The app's client key.
        client_secret: The app's client secret.
        redirect_uri: Exactly as registered for the app.
        scopes: Scopes to request.
        pkce_encoding: ``"hex"`` (desktop apps, TikTok's doc) or ``"base64url"`` (RFC 7636).
        timeout: Seconds per HTTP call.
        max_retries: Retries on 429/5xx.
        session: The HTTP session to send through (connection pool, retries); a new one when ``None``.
    """

    def __init__(self, endpoints: Endpoints, *, client_key: str, client_secret: str, redirect_uri: str,
                 scopes: Sequence[str] = ("user.info.basic",), pkce_encoding: str = "hex",
                 timeout: float = 15.0, max_retries: int = 3, backoff: float = 0.5,
                 session: requests.Session | None = None) -> None:
        self.endpoints = endpoints
        self.client_key = client_key
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self.pkce_encoding = pkce_encoding
        self.timeout = timeout
        self._http = session if session is not None else make_session(max_retries=max_retries, backoff=backoff)
        redact.register(client_secret)

    def __repr__(self) -> str:
        return f"LoginKitFlow(client_key={self.client_key!r}, redirect_uri={self.redirect_uri!r})"

    def _session(self) -> OAuth2Session:
        """An OAuth session for one token call, sending through the shared HTTP session's pools."""
        session = OAuth2Session(client_id=self.client_key, redirect_uri=self.redirect_uri)
        session.trust_env = False
        for prefix, adapter in self._http.adapters.items():
            session.mount(prefix, adapter)
        for host in ("127.", "localhost", "[::1]"):
            session.mount(f"https://{host}", _LoopbackAdapter(self._http.get_adapter("http://127.0.0.1")))
        session.register_compliance_hook("access_token_request", self._token_request_hook)
        session.register_compliance_hook("refresh_token_request", self._refresh_request_hook)
        session.register_compliance_hook("access_token_response", self._token_response_hook)
        session.register_compliance_hook("refresh_token_response", self._token_response_hook)
        return session

    # --- step 1: the authorize URL ------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_verifier: str | None) -> str:
        """The URL of TikTok's consent page, built as TikTok's doc templates it [TT-LK-DESKTOP]."""
        params = {
            "client_key": self.client_key,
            "scope": ",".join(self.scopes),
            "redirect_uri": self.redirect_uri,
            "state": state,
            "response_type": "code",
        }
        if code_verifier:
            params["code_challenge"] = code_challenge(code_verifier, self.pkce_encoding)
            params["code_challenge_method"] = "S256"
        return f"{self.endpoints.login_authorize}?{urlencode(params)}"

    # --- step 2: the callback -----------------------------------------------------------------------------

    def exchange_code(self, code: str, *, code_verifier: str | None, now: datetime) -> TokenSet:
        """Exchange an authorization ``code`` for tokens (``POST /v2/oauth/token/``)."""
        redact.register(code, code_verifier)
        session = self._session()
        extra: dict[str, Any] = {"code_verifier": code_verifier} if code_verifier else {}
        try:
            with map_exceptions(self.endpoints.login_token):
                token = session.fetch_token(
                    _oauth_url(self.endpoints.login_token), code=code, client_secret=self._client_secret,
                    include_client_id=True, timeout=self.timeout, **extra,
                )
        except OAuth2Error as exc:  # the hook turns TikTok's errors into ours first; this is a fallback
            raise TokenExchangeError(f"TikTok refused the code: {exc.error}.", reason="code_invalid") from exc
        return self._token_set(token, now)

    def refresh(self, refresh_token: str, *, now: datetime) -> TokenSet:
        """Refresh (``grant_type=refresh_token``); TikTok rotates the refresh token [TT-TOKEN-NEW]."""
        redact.register(refresh_token)
        session = self._session()
        try:
            with map_exceptions(self.endpoints.login_token):
                token = session.refresh_token(
                    _oauth_url(self.endpoints.login_token), refresh_token=refresh_token, timeout=self.timeout,
                    auth=_NoAuth(), client_secret=self._client_secret, client_key=self.client_key,
                )
        except OAuth2Error as exc:
            raise ProviderError(f"TikTok refused the refresh: {exc.error}.", reason="refresh_token_invalid",
                                provider_code=exc.error) from exc
        return self._token_set(token, now)

    def revoke(self, access_token: str) -> None:
        """Revoke the grant (``POST /v2/oauth/revoke/``); TikTok answers ``{}``."""
        with map_exceptions(self.endpoints.login_revoke):
            response = self._http.post(self.endpoints.login_revoke, timeout=self.timeout, data={
                "client_key": self.client_key, "client_secret": self._client_secret, "token": access_token})
        body = parse_json(response)
        if "error" in body and body.get("error") not in ("", "ok", None) and isinstance(body["error"], str):
            raise _oauth_error(body, response.status_code)

    # --- step 3: who signed in ----------------------------------------------------------------------------

    def user_info(self, access_token: str, *, granted: Sequence[str]) -> dict[str, Any]:
        """``GET /v2/user/info/`` with only the fields the granted scopes allow."""
        fields = [f for scope, names in USER_FIELDS.items() if scope in granted for f in names]
        with map_exceptions(self.endpoints.login_user_info):
            response = self._http.get(self.endpoints.login_user_info, params={"fields": ",".join(fields)},
                                      headers={"Authorization": f"Bearer {access_token}"}, timeout=self.timeout)
        body = parse_json(response)
        raw_error = body.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = error.get("code", "ok")
        if code != "ok":
            raise _v2_error(code, error.get("message", ""), error.get("log_id"), response.status_code)
        user = (body.get("data") or {}).get("user")
        if not isinstance(user, dict) or not user.get("open_id"):
            raise ProviderError("TikTok's user info had no user in it.", reason="provider_bad_response",
                                log_id=error.get("log_id"), status=response.status_code)
        return user

    # --- hooks --------------------------------------------------------------------------------------------

    def _token_request_hook(self, url: str, headers: dict[str, str], request_kwargs: dict[str, Any]
                            ) -> tuple[str, dict[str, str], dict[str, Any]]:
        data = dict(request_kwargs.get("data") or {})
        data.pop("client_id", None)
        data["client_key"] = self.client_key  # TikTok says client_key [TT-TOKEN-OLD]
        data["client_secret"] = self._client_secret
        request_kwargs["data"] = data
        return url, headers, request_kwargs

    def _refresh_request_hook(self, url: str, headers: dict[str, str], body: str
                              ) -> tuple[str, dict[str, str], str]:
        data = dict(parse_qsl(body))
        data.pop("client_id", None)
        data.pop("scope", None)
        data["client_key"] = self.client_key  # refresh needs client_key too (better-auth#4437)
        data["client_secret"] = self._client_secret
        return url, headers, urlencode(data)

    @staticmethod
    def _token_response_hook(response: requests.Response) -> requests.Response:
        error = status_error(response)
        body = parse_json(response)
        if "access_token" not in body:
            if body.get("error"):
                raise _oauth_error(body, response.status_code)
            if error is not None:
                raise error
            raise ProviderError("TikTok's token answer had no access token.", reason="provider_bad_response",
                                status=response.status_code, log_id=body.get("log_id"))
        redact.register(body.get("access_token"), body.get("refresh_token"))
        # TikTok sends granted scopes comma-separated in `scope`; keep oauthlib from comparing them with the
        # request (it would raise "Scope has changed" on a partial grant) and check them ourselves.
        body["granted_scopes"] = [s for s in str(body.pop("scope", "")).replace(" ", ",").split(",") if s]
        response._content = json.dumps(body).encode()
        return response

    @staticmethod
    def _token_set(token: dict[str, Any], now: datetime) -> TokenSet:
        try:
            refresh_in = token.get("refresh_expires_in")
            return TokenSet(
                open_id=str(token["open_id"]),
                access_token=str(token["access_token"]),
                refresh_token=str(token["refresh_token"]),
                # read the lifetimes from the response: TikTok's docs disagree (24 h/365 d vs 2 h/180 d)
                expires_at=now + timedelta(seconds=int(token["expires_in"])),
                refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
                scopes=tuple(token.get("granted_scopes") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError("TikTok's token answer is missing fields.", reason="provider_bad_response"
                                ) from exc


def _oauth_url(url: str) -> str:
    """The spelling of ``url`` given to requests-oauthlib: loopback ``http`` as ``https`` (see _LoopbackAdapter)."""
    return "https://" + url[len("http://"):] if _is_loopback_http(url) else url


class _NoAuth(requests.auth.AuthBase):
    """Credentials go in the form body, as TikTok wants, never in a Basic header."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


def _oauth_error(body: dict[str, Any], status: int) -> ProviderError:
    error = str(body.get("error"))
    description = str(body.get("error_description") or "")
    log_id = body.get("log_id")
    lowered = description.lower()
    if error == "invalid_request" and "code verifier" in lowered:
        return ProviderError(description, reason="pkce_mismatch", provider_code=error, log_id=log_id,
                             status=status)
    if error == "invalid_grant":
        reason = next((r for key, r in _GRANT_ERRORS.items() if key in lowered), None)
        if reason is None:
            reason = "refresh_token_invalid" if "refresh" in lowered else "code_invalid"
        return ProviderError(description or "The code or token is invalid.", reason=reason, provider_code=error,
                             log_id=log_id, status=status)
    if error in ("invalid_client", "unauthorized_client"):
        return ProviderError("TikTok did not accept the app's client key or secret.",
                             reason="app_credentials_invalid", provider_code=error, log_id=log_id, status=status)
    if error == "invalid_scope":
        return ProviderError(description or "TikTok refused a requested scope.", reason="scopes_missing",
                             provider_code=error, log_id=log_id, status=status)
    if error == "access_denied":
        return ProviderError("Access was denied.", reason="consent_denied", provider_code=error, log_id=log_id,
                             status=status)
    if status == 429:  # before temporarily_unavailable: TikTok sends that error with its 429s too
        return ProviderError("TikTok is rate limiting requests.", reason="rate_limited", provider_code=error,
                             log_id=log_id, status=status, retryable=True)
    if error in ("server_error", "temporarily_unavailable") or status >= 500:
        return ProviderError("TikTok is unavailable.", reason="provider_unavailable", provider_code=error,
                             log_id=log_id, status=status, retryable=True)
    return ProviderError(description or f"TikTok answered {error}.", reason="provider_error",
                         provider_code=error, log_id=log_id, status=status)


def _v2_error(code: str, message: str, log_id: Any, status: int) -> ProviderError:
    # v2 API error codes [TT-V2-ERR]
    reason = {
        "access_token_invalid": "token_expired",
        "scope_not_authorized": "scopes_missing",
        "scope_permission_missed": "scopes_missing",
        "rate_limit_exceeded": "rate_limited",
        "internal_error": "provider_unavailable",
        "invalid_params": "provider_error",
    }.get(code, "provider_error")
    return ProviderError(message or f"TikTok answered {code}.", reason=reason, provider_code=code, log_id=log_id,
                         status=status, retryable=reason in ("rate_limited", "provider_unavailable"))
