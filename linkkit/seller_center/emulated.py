"""``EmulatedSellerCenter``: the sandbox's emulated "Linked TikTok accounts" page, driven over its JSON API.

TikTok offers no public API that binds an account to a shop: in live mode the seller sends the invitation in
Seller Center and the account accepts it in the TikTok app. The sandbox emulates that page so the demo
completes; this adapter drives it (eligibility, invite, accept, unlink) and reads ``/linked-accounts``
(current links, invitations and history) for evidence and reconciliation. It is not a TikTok contract, so
it lives outside :mod:`linkkit.tiktok`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from linkkit.errors import LinkError, ProviderError, RuleViolation
from linkkit.models import Role, Shop
from linkkit.seller_center.base import (
    BindingEvidence,
    Eligibility,
    SellerCenterLink,
    ShopDataReader,
    evidence_from_shop_data,
)
from linkkit.tiktok.http import make_session, map_exceptions, parse_json

__all__ = ["EmulatedSellerCenter", "SellerCenterClient"]


class SellerCenterClient:
    """Seller-side calls authenticate with the shop's access token, like Seller Center's own session.

    Args:
        base_url: The emulated Seller Center's JSON API.
        access_token: The seller's TikTok Shop access token.
        rule_reasons: Seller Center rule name → linkkit reason code (for refusals of an invitation).
        session: The HTTP session to send through.
    """

    def __init__(self, base_url: str, *, access_token: str, timeout: float = 15.0, max_retries: int = 3,
                 rule_reasons: Mapping[str, str] | None = None, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._access_token = access_token
        self.timeout = timeout
        self._rule_reasons = dict(rule_reasons or {})
        self._session = session if session is not None else make_session(max_retries=max_retries)

    def __repr__(self) -> str:
        return f"SellerCenterClient({self.base_url!r})"

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        with map_exceptions(url):
            response = self._session.request(method, url, params=params, json=body, timeout=self.timeout,
                                             headers={"x-tts-access-token": self._access_token})
        data = parse_json(response)
        if data.get("code") != 0:
            rows = (data.get("data") or {}).get("violations") if isinstance(data.get("data"), dict) else None
            refused = [(str(r.get("rule", "")), str(r.get("message") or r.get("rule") or "")) for r in rows or []]
            known = [(rule, message) for rule, message in refused if rule in self._rule_reasons]
            if known:
                rule, message = known[0]
                raise RuleViolation(message, reason=self._rule_reasons[rule])
            raise ProviderError(str(data.get("message") or "Seller Center refused the request."),
                                provider_code=data.get("code"), log_id=data.get("request_id"),
                                status=response.status_code)
        payload = data.get("data")
        return payload if isinstance(payload, dict) else {}

    def linked_accounts(self, shop_id: str) -> dict[str, Any]:
        """``{official, marketing[], invitations[], history[]}`` of the shop."""
        return self._call("GET", "/linked-accounts", params={"shop_id": shop_id})

    def eligibility(self, shop_id: str, username: str, role: str) -> dict[str, Any]:
        """Seller Center's own eligibility check: ``{eligible, account{region, account_type}, violations}``."""
        return self._call("POST", "/linked-accounts/eligibility",
                          body={"shop_id": shop_id, "username": username, "role": role})

    def invite(self, shop_id: str, username: str, role: str) -> dict[str, Any]:
        return self._call("POST", "/invitations", body={"shop_id": shop_id, "username": username, "role": role})

    def accept(self, invitation_id: str, username: str, password: str) -> dict[str, Any]:
        """Accept as the TikTok user would in the TikTok app."""
        return self._call("POST", f"/invitations/{invitation_id}/accept",
                          body={"username": username, "password": password})

    def unlink(self, shop_id: str, username: str) -> dict[str, Any]:
        return self._call("POST", "/linked-accounts/unlink", body={"shop_id": shop_id, "username": username})


def _at(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC) if value is not None else None
    except (TypeError, ValueError):
        return None


class EmulatedSellerCenter:
    """The sandbox's Seller Center: every step of step 4 can be done from linkkit.

    Args:
        api_url: The emulated Seller Center JSON API (``{sandbox}/seller-center/api``).
        page_url: The emulated page, for the seller to look at.
        access_token: The seller's current TikTok Shop access token for a shop (``None`` = not connected).
        shop_client: A Shop API client for a shop (evidence from the shop's own data comes first).
        rule_reasons: Seller Center rule name → linkkit reason code.
        session: The HTTP session to send through.
    """

    automated = True

    def __init__(self, api_url: str, page_url: str, *, access_token: Callable[[Shop], str | None],
                 shop_client: Callable[[Shop], ShopDataReader], rule_reasons: Mapping[str, str],
                 timeout: float = 15.0, session: requests.Session | None = None) -> None:
        self._api_url = api_url
        self._page_url = page_url
        self._access_token = access_token
        self._shop_client = shop_client
        self._rule_reasons = dict(rule_reasons)
        self._timeout = timeout
        self._session = session

    def __repr__(self) -> str:
        return f"EmulatedSellerCenter({self._api_url!r})"

    def client(self, shop: Shop) -> SellerCenterClient:
        """The JSON client with the shop's token.

        Raises:
            LinkError: ``shop_not_connected`` when linkkit holds no Seller Center access for the shop.
        """
        token = self._access_token(shop)
        if token is None:
            raise LinkError("Connect Seller Center first.", reason="shop_not_connected")
        return self._client(token)

    def _client(self, token: str) -> SellerCenterClient:
        return SellerCenterClient(self._api_url, access_token=token, timeout=self._timeout,
                                  rule_reasons=self._rule_reasons, session=self._session)

    def url(self, shop_id: str) -> str:
        return f"{self._page_url}/linked-accounts?shop_id={shop_id}"

    def eligibility(self, shop: Shop, username: str, role: Role) -> Eligibility | None:
        token = self._access_token(shop)
        if token is None:
            return None
        verdict = self._client(token).eligibility(shop.id, username, role.value)
        info = verdict.get("account") or {}
        return Eligibility(region=info.get("region"), account_type=info.get("account_type"),
                           rules=tuple(str(v.get("rule")) for v in verdict.get("violations") or []))

    def find_binding(self, shop: Shop, username: str, role: Role, now: datetime) -> BindingEvidence | None:
        found = evidence_from_shop_data(self._shop_client(shop), shop, username, role, now)
        if found is not None:
            return found
        name = username.lstrip("@").lower()
        if any(link.username.lower() == name and link.role is role and link.unlinked_at is None
               for link in self.existing_links(shop, now)):
            return BindingEvidence("seller_center", f"Seller Center lists @{username} as a {role.label} account.")
        return None

    def existing_links(self, shop: Shop, now: datetime) -> list[SellerCenterLink]:
        """Current links and history from ``/linked-accounts`` (history rows carry ``unlinked_at``)."""
        state = self.client(shop).linked_accounts(shop.id)
        rows = list(state.get("history") or [])
        current = [state.get("official"), *(state.get("marketing") or [])]
        keys = {(r.get("username"), r.get("role"), r.get("linked_at")) for r in rows}
        rows += [r for r in current if r and (r.get("username"), r.get("role"), r.get("linked_at")) not in keys]
        found = []
        for row in rows:
            try:
                role = Role(str(row.get("role")))
            except ValueError:
                continue
            found.append(SellerCenterLink(str(row.get("username", "")), role, _at(row.get("linked_at")),
                                          _at(row.get("unlinked_at")), str(row.get("display_name") or "")))
        return found

    def unlink(self, shop: Shop, username: str) -> bool:
        client = self.client(shop)
        state = client.linked_accounts(shop.id)
        bound = [state.get("official") or {}, *(state.get("marketing") or [])]
        if not any((row or {}).get("username") == username for row in bound):
            return False
        client.unlink(shop.id, username)
        return True

    # --- what a person does by hand in live mode (sandbox demo only) --------------------------------------

    def invite(self, shop: Shop, username: str, role: Role) -> dict[str, Any]:
        """Seller Center › Linked TikTok accounts › invite (unlinking a replaced Official there first)."""
        client = self.client(shop)
        if role is Role.OFFICIAL:
            current = (client.linked_accounts(shop.id).get("official") or {}).get("username")
            if current and current != username:
                client.unlink(shop.id, current)
        return client.invite(shop.id, username, role.value)

    def accept(self, shop: Shop, username: str, password: str) -> dict[str, Any]:
        """Accept the newest pending invitation for ``username``, as that TikTok user."""
        client = self.client(shop)
        invitations = client.linked_accounts(shop.id).get("invitations") or []
        mine = [i for i in invitations if i.get("username") == username and i.get("status", "pending") == "pending"]
        if not mine:
            raise LinkError("There is no pending invitation for this account; send one first.",
                            reason="binding_not_visible")
        return client.accept(str(mine[-1]["id"]), username, password)
