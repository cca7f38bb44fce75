"""The emulated Seller Center over HTTP: Shop-style envelopes around ``SellerCenterBackend``.

Example:
    >>> from linkkit.sandbox.seller_center.urls import ROUTES
    >>> ROUTES[0].pattern
    '/seller-center/api/linked-accounts'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..exceptions import ShopError
from ..wire import SandboxRequest, SandboxResponse, render, shop_envelope, shop_error
from ..world import Shop
from .models import INVITATION_TTL, UNLINK_MIN_AGE, Invitation, Link

if TYPE_CHECKING:
    from ..backend import SandboxBackend


def _body(req: SandboxRequest) -> dict[str, Any]:
    try:
        body = req.json()
    except ValueError as exc:
        raise ShopError(40001, "invalid params: body must be JSON") from exc
    if not isinstance(body, dict):
        raise ShopError(40001, "invalid params: body must be a JSON object")
    return body


def _role(body: Mapping[str, Any]) -> str:
    role = body.get("role")
    if role not in ("official", "marketing"):
        raise ShopError(40001, "invalid params: role must be official or marketing")
    return str(role)


def _link_json(backend: SandboxBackend, link: Link) -> dict[str, Any]:
    account = backend.world.accounts[link.username]
    return {
        "username": link.username,
        "display_name": account.display_name,
        "role": link.role,
        "linked_at": link.linked_at,
        "unlinked_at": link.unlinked_at,
        "can_unlink_after": link.linked_at + UNLINK_MIN_AGE,
    }


def _invitation_json(backend: SandboxBackend, inv: Invitation) -> dict[str, Any]:
    return {
        "id": inv.id,
        "shop_id": inv.shop_id,
        "username": inv.username,
        "role": inv.role,
        "status": backend.seller_center.invitation_status(inv),
        "created_at": inv.created_at,
        "expires_at": inv.created_at + INVITATION_TTL,
    }


def _linked_state(backend: SandboxBackend, shop: Shop) -> dict[str, Any]:
    active = backend.seller_center.active_links(shop.id)
    official = next((x for x in active if x.role == "official"), None)

    def current(link: Link) -> dict[str, Any]:
        j = _link_json(backend, link)
        j.pop("unlinked_at")
        return j

    return {
        "shop_id": shop.id,
        "shop_name": shop.name,
        "region": shop.region,
        "official": current(official) if official else None,
        "marketing": [current(x) for x in active if x.role == "marketing"],
        "invitations": [
            _invitation_json(backend, i) for i in backend.seller_center.invitations.values() if i.shop_id == shop.id
        ],
        "history": [
            _link_json(backend, x)
            for x in sorted(backend.seller_center.links, key=lambda x: x.linked_at)
            if x.shop_id == shop.id
        ],
    }


def linked_accounts(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        shop = backend.seller_center.shop(req.headers.get("x-tts-access-token"), req.query.get("shop_id"))
    except ShopError as exc:
        return shop_error(exc)
    return shop_envelope(_linked_state(backend, shop), message="success")


def eligibility(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        body = _body(req)
        shop = backend.seller_center.shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
        role = _role(body)
        account = backend.seller_center.account(str(body.get("username", "")))
        violations = backend.seller_center.check_link_rules(shop, account, role)
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


def invite(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        body = _body(req)
        shop = backend.seller_center.shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
        inv = backend.seller_center.invite(shop, str(body.get("username", "")), _role(body))
    except ShopError as exc:
        return shop_error(exc)
    return shop_envelope(_invitation_json(backend, inv), message="success")


def accept(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        body = _body(req)
        link = backend.seller_center.accept(
            req.path_params["invitation_id"], str(body.get("username", "")), str(body.get("password", ""))
        )
    except ShopError as exc:
        return shop_error(exc)
    inv = backend.seller_center.invitations[req.path_params["invitation_id"]]
    return shop_envelope(
        {"link": {"shop_id": link.shop_id, **_link_json(backend, link)}, "invitation": _invitation_json(backend, inv)},
        message="success",
    )


def unlink(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        body = _body(req)
        shop = backend.seller_center.shop(req.headers.get("x-tts-access-token"), body.get("shop_id"))
        link = backend.seller_center.unlink(shop, str(body.get("username", "")))
    except ShopError as exc:
        return shop_error(exc)
    return shop_envelope({"link": {"shop_id": link.shop_id, **_link_json(backend, link)}}, message="success")


def page(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    shop = backend.world.shops.get(req.query.get("shop_id", ""))
    if shop is None:
        return render(
            "error.html",
            404,
            title="Shop not found",
            parameter="shop_id",
            message="No shop with this shop_id in the sandbox.",
        )
    state = _linked_state(backend, shop)

    def when(ts: int | None) -> str:
        return "" if ts is None else _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    return render("seller_center.html", shop=shop, state=state, when=when)


__all__ = ["accept", "eligibility", "invite", "linked_accounts", "page", "unlink"]
