"""The emulated Seller Center "Linked TikTok accounts" page, as JSON (sandbox only).

TikTok offers no public API that binds an account to a shop [tiktok-api.md §3.1]: in live mode the seller
sends the invitation in Seller Center and the account accepts it in the TikTok app. The sandbox emulates that
page so the demo completes; this client drives it. In live mode ``Endpoints.seller_center_api`` is ``None``
and nothing here is used.
"""

from __future__ import annotations

from typing import Any

import requests

from linkkit.errors import ProviderError, RuleViolation
from linkkit.rules import SELLER_CENTER_RULE_REASONS, Violation
from linkkit.tiktok.http import make_session, network_error, parse_json

__all__ = ["SellerCenterClient"]


class SellerCenterClient:
    """Seller-side calls authenticate with the shop's access token, like Seller Center's own session."""

    def __init__(self, base_url: str, *, access_token: str, timeout: float = 15.0, max_retries: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self._access_token = access_token
        self.timeout = timeout
        self._session = make_session(max_retries=max_retries)

    def __repr__(self) -> str:
        return f"SellerCenterClient({self.base_url!r})"

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            response = self._session.request(method, url, params=params, json=body, timeout=self.timeout,
                                             headers={"x-tts-access-token": self._access_token})
        except requests.RequestException as exc:
            raise network_error(exc, url) from exc
        data = parse_json(response)
        if data.get("code") != 0:
            violations = _violations(data)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
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


def _violations(data: dict[str, Any]) -> list[Violation]:
    rows = (data.get("data") or {}).get("violations") if isinstance(data.get("data"), dict) else None
    found = []
    for row in rows or []:
        rule = str(row.get("rule", ""))
        reason = SELLER_CENTER_RULE_REASONS.get(rule)
        if reason:
            found.append(Violation(rule, reason, str(row.get("message") or rule)))
    return found
