"""``TikTokClients``: Login Kit and TikTok Shop clients built from one app config and one HTTP session.

The session is injectable the way httpx takes a transport: tests and benchmarks pass their own, production
gets one retrying, keep-alive session shared by every client the service builds.

Example:
    >>> from linkkit.tiktok.endpoints import Endpoints
    >>> app = AppConfig(client_key="ck", client_secret="cs", app_key="ak", app_secret="as", service_id="7",
    ...                 redirect_uri="http://127.0.0.1:8866/cb")
    >>> clients = TikTokClients(Endpoints.sandbox("http://127.0.0.1:8765"), lambda: app)
    >>> clients.shop_auth().authorization_url(state="st")
    'http://127.0.0.1:8765/open/authorize?service_id=7&state=st'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from linkkit import redact
from linkkit.tiktok.endpoints import Endpoints
from linkkit.tiktok.http import make_session
from linkkit.tiktok.login_kit import LoginKitFlow
from linkkit.tiktok.shop import ShopAuth, ShopClient

__all__ = ["AppConfig", "TikTokClients"]


@dataclass(frozen=True)
class AppConfig:
    """The two TikTok apps linkkit is (Login Kit and the Partner Center app), and how to call them."""

    client_key: str
    client_secret: str = field(repr=False)
    app_key: str
    app_secret: str = field(repr=False)
    service_id: str
    redirect_uri: str
    pkce_encoding: str = "hex"
    timeout: float = 15.0
    max_retries: int = 3
    backoff: float = 0.5


class TikTokClients:
    """Factory for TikTok's clients, sharing one HTTP session (keep-alive, retries).

    Args:
        endpoints: Where TikTok's services live (live hosts or the sandbox's origin).
        app: Returns the app config; called lazily (in sandbox mode it reads the sandbox's world once).
        session: The HTTP session to send through; a retrying session when ``None``.
        clock: Seconds since the epoch, for Shop API request timestamps.
        on_clock_skew: Called once when TikTok Shop says a timestamp is off (re-read the clock).
    """

    def __init__(self, endpoints: Endpoints, app: Callable[[], AppConfig], *,
                 session: requests.Session | None = None, clock: Callable[[], float] = time.time,
                 on_clock_skew: Callable[[], None] | None = None) -> None:
        self.endpoints = endpoints
        self._app_source = app
        self._app: AppConfig | None = None
        self._session = session
        self._clock = clock
        self._on_clock_skew = on_clock_skew

    def __repr__(self) -> str:
        return f"TikTokClients({self.endpoints.login_api!r})"

    @property
    def app(self) -> AppConfig:
        """The app config (resolved once)."""
        if self._app is None:
            app = self._app_source()
            redact.register(app.client_secret, app.app_secret)
            self._app = app
        return self._app

    @property
    def session(self) -> requests.Session:
        """The shared HTTP session."""
        if self._session is None:
            self._session = make_session(max_retries=self.app.max_retries, backoff=self.app.backoff)
        return self._session

    def login(self, scopes: Sequence[str]) -> LoginKitFlow:
        """A Login Kit flow asking for ``scopes``."""
        a = self.app
        return LoginKitFlow(self.endpoints, client_key=a.client_key, client_secret=a.client_secret,
                            redirect_uri=a.redirect_uri, scopes=scopes, pkce_encoding=a.pkce_encoding,
                            timeout=a.timeout, max_retries=a.max_retries, backoff=a.backoff, session=self.session)

    def shop_auth(self) -> ShopAuth:
        """TikTok Shop seller authorization for the Partner Center app."""
        a = self.app
        return ShopAuth(self.endpoints, app_key=a.app_key, app_secret=a.app_secret, service_id=a.service_id,
                        timeout=a.timeout, max_retries=a.max_retries, backoff=a.backoff, session=self.session)

    def shop(self, access_token: str) -> ShopClient:
        """Signed Shop API calls with one seller's access token."""
        a = self.app
        return ShopClient(self.endpoints, app_key=a.app_key, app_secret=a.app_secret, access_token=access_token,
                          clock=self._clock, timeout=a.timeout, max_retries=a.max_retries, backoff=a.backoff,
                          on_clock_skew=self._on_clock_skew, session=self.session)
