"""Login Kit v2 over HTTP: parse the request, call ``LoginKitBackend``, shape TikTok's exact JSON.

Example:
    >>> from linkkit.sandbox.login_kit.urls import ROUTES
    >>> ROUTES[1].methods["POST"].__name__
    'token'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..exceptions import ApiError, ConsentError, OAuthError, PageError
from ..wire import SandboxRequest, SandboxResponse, api_error, json_response, log_id, oauth_error, redirect, render
from ..world_data import LOGIN_SCOPES

if TYPE_CHECKING:
    from ..backend import SandboxBackend


def _params(source: Mapping[str, str]) -> dict[str, str]:
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


def _page(
    backend: SandboxBackend, params: Mapping[str, str], error: str = "", username: str = "", status: int = 200
) -> SandboxResponse:
    try:
        auth = backend.login_kit.validate_authorize(params)
    except PageError as exc:
        return render(
            "error.html", 400, title="We couldn't log in with TikTok", parameter=exc.parameter, message=exc.message
        )
    scopes = [(s, LOGIN_SCOPES[s]) for s in auth.scopes]
    return render(
        "login_kit_authorize.html",
        status,
        app=auth.app,
        scopes=scopes,
        params=params,
        error=error,
        username=username,
    )


def authorize_page(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return _page(backend, _params(req.query))


def authorize_submit(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    form = req.form_lists()
    flat = {k: v[0] for k, v in form.items()}
    params = _params(flat)
    decision = "deny" if flat.get("action") == "cancel" else "allow"
    try:
        auth = backend.login_kit.validate_authorize(params)
        url = backend.login_kit.consent(
            auth, flat.get("username", ""), flat.get("password", ""), decision, form.get("scopes", [])
        )
    except PageError:
        return _page(backend, params)
    except ConsentError as exc:
        return _page(backend, params, error=exc.message, username=flat.get("username", ""))
    return redirect(url)


def token(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    if req.content_type != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.", 400)
    try:
        t = backend.login_kit.token(req.form())
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


def revoke(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    if req.content_type != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.", 400)
    try:
        backend.login_kit.revoke(req.form())
    except OAuthError as exc:
        return oauth_error(exc.error, exc.description, exc.status)
    return json_response({}, headers={"X-Tt-Logid": log_id()})


def user_info(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        user = backend.login_kit.user_info(req.headers.get("Authorization"), req.query.get("fields"))
    except ApiError as exc:
        return api_error(exc.code, exc.message, exc.status)
    lid = log_id()
    return json_response(
        {"data": {"user": user}, "error": {"code": "ok", "message": "", "log_id": lid}}, headers={"X-Tt-Logid": lid}
    )


__all__ = ["authorize_page", "authorize_submit", "revoke", "token", "user_info"]
