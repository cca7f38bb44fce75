"""TikTok Shop seller authorization over HTTP: the consent page and the two token GETs.

Example:
    >>> from linkkit.sandbox.shop_auth.urls import ROUTES
    >>> [r.pattern for r in ROUTES][1:]
    ['/api/v2/token/get', '/api/v2/token/refresh']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import ConsentError, PageError, ShopError
from ..wire import SandboxRequest, SandboxResponse, redirect, render, shop_envelope, shop_error
from ..world_data import SHOP_SCOPES
from .models import ShopTokens

if TYPE_CHECKING:
    from ..backend import SandboxBackend


def _page(backend: SandboxBackend, params: Mapping[str, str], error: str = "", username: str = "") -> SandboxResponse:
    try:
        app = backend.shop_auth.validate_authorize(params)
    except PageError as exc:
        return render(
            "error.html", 400, title="Authorization link is invalid", parameter=exc.parameter, message=exc.message
        )
    perms = [(s, SHOP_SCOPES[s]) for s in app.scopes]
    return render("shop_authorize.html", app=app, perms=perms, params=params, error=error, username=username)


def authorize_page(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return _page(backend, {k: req.query[k] for k in ("service_id", "state") if k in req.query})


def authorize_submit(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    form = req.form()
    params: dict[str, str] = {k: form[k] for k in ("service_id", "state") if k in form}
    decision = "deny" if form.get("action") == "cancel" else "allow"
    try:
        url = backend.shop_auth.consent(params, form.get("username", ""), form.get("password", ""), decision)
    except PageError:
        return _page(backend, params)
    except ConsentError as exc:
        return _page(backend, params, error=exc.message, username=form.get("username", ""))
    return redirect(url)


def _token_data(t: ShopTokens) -> dict[str, Any]:
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


def token_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        tokens = backend.shop_auth.token_get(req.query)
    except ShopError as exc:
        return shop_error(exc)
    return shop_envelope(_token_data(tokens), message="success")


def token_refresh(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        tokens = backend.shop_auth.token_refresh(req.query)
    except ShopError as exc:
        return shop_error(exc)
    return shop_envelope(_token_data(tokens), message="success")


__all__ = ["authorize_page", "authorize_submit", "token_get", "token_refresh"]
