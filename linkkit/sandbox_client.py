"""A client for the sandbox's ``/_sandbox/`` controls (sandbox mode and tests; never used in live mode).

The sandbox is not TikTok, so this client lives outside :mod:`linkkit.tiktok`. It speaks the sandbox's JSON
over HTTP only; nothing here imports :mod:`linkkit.sandbox`.
"""

from __future__ import annotations

from typing import Any

import requests

from linkkit.errors import ProviderError
from linkkit.tiktok.http import make_session, parse_json, safe_url

__all__ = ["SandboxClient", "SandboxControl"]


class SandboxClient:
    """JSON calls to ``{sandbox}/_sandbox/…``."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = make_session(max_retries=2)

    def __repr__(self) -> str:
        return f"SandboxClient({self.base_url!r})"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        error: ProviderError | None = None
        try:
            response = self._session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException:
            error = ProviderError(
                f"The sandbox at {safe_url(self.base_url)} is not answering. Start it with `linkkit sandbox` "
                "(make dashboard starts it for you).", reason="provider_unavailable", retryable=True,
            )
        if error is not None:
            raise error
        data = parse_json(response)
        if response.status_code >= 400:
            raise ProviderError(str(data.get("message") or data.get("error") or "sandbox control failed"),
                                provider_code=data.get("error"), status=response.status_code)
        return data

    def world(self) -> dict[str, Any]:
        return self._call("GET", "/world")

    def set_shop_redirect(self, redirect_url: str) -> dict[str, Any]:
        """Point the sandbox's TikTok Shop app at ``redirect_url`` (TikTok Shop redirects to the app's URL)."""
        app_key = (self.world().get("shop_app") or {}).get("app_key")
        return self._call("POST", "/apps", {"app_key": app_key, "redirect_url": redirect_url})

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "/clock", {"advance_seconds": seconds})

    def consent(self, authorize_url: str, username: str, password: str, decision: str = "allow",
                scopes: list[str] | None = None) -> str:
        body: dict[str, Any] = {"authorize_url": authorize_url, "username": username, "password": password,
                                "decision": decision}
        if scopes is not None:
            body["scopes"] = scopes
        return str(self._call("POST", "/consent", body)["redirect_url"])


#: The name this client had inside ``linkkit.tiktok``.
SandboxControl = SandboxClient
