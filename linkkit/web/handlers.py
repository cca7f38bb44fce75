"""Tornado handlers that begin and finish authorizations in the Voila server, without a kernel.

``GET {base}/linkkit/authorize`` mints a pending authorization the moment the seller presses Authorize (never
when Voila preheats a kernel), binds its ``state`` to the browser with a signed, HttpOnly, SameSite=Lax cookie
and redirects to TikTok. ``GET {base}/linkkit/callback`` (and the redirect URI's own path, when that is the
onboarding notebook) completes it: it refuses a ``state`` the browser's cookie does not hold *before* touching
the pending record, calls :meth:`~linkkit.linking.LinkService.complete_authorization` once, shows the specific
outcome, tells the seller to go back to their tab and records the outcome for that tab
(:mod:`linkkit.web.relay`). Neither handler ever answers 404 or logs a query string.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import jinja2
import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from tornado.ioloop import IOLoop

from linkkit.web.binding import COOKIE_NAME, add_binding, drop_binding, is_bound, state_hash
from linkkit.web.relay import AttemptRelay

if TYPE_CHECKING:
    from linkkit.config import Settings
    from linkkit.linking import LinkService

__all__ = ["AuthorizeHandler", "CallbackHandler", "CallbackPage", "WebContext", "is_callback_query"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long this browser's binding of a state lasts (wall clock; the registry's 10-minute expiry still rules).
BINDING_SECONDS = 15 * 60

#: Query parameters that make a request TikTok's redirect back to us.
CALLBACK_PARAMS = ("state", "code", "error", "auth_code")


def is_callback_query(query: str) -> bool:
    """Whether a query string is an authorization callback (has ``state``, ``code`` or ``error``)."""
    params = parse_qs(query or "")
    return any(name in params for name in CALLBACK_PARAMS)


@dataclass
class WebContext:
    """What the handlers share: settings, a service factory, the relay, a worker pool and the templates."""

    settings_factory: Callable[[], Settings]
    service_factory: Callable[[Settings], LinkService] | None = None
    relay: AttemptRelay | None = None
    workers: int = 4
    _settings: Settings | None = field(default=None, init=False)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    templates: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.PackageLoader("linkkit.web", "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined),
        init=False)

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = self.settings_factory()
            return self._settings

    def service(self, headers: Mapping[str, str] | None = None) -> LinkService:
        """A service for one request (fresh, so it reads the current clock; kernels live long, requests don't),
        acting as the user the request's trusted proxy header names when one is configured
        (:func:`linkkit.identity.user_from_headers`; refused with ``config_invalid`` when it is missing)."""
        from linkkit.identity import user_from_headers

        actor = user_from_headers(headers or {})
        if self.service_factory is not None:
            return self.service_factory(self.settings)
        from linkkit.linking import LinkService

        return LinkService.from_settings(self.settings, actor=actor)

    def get_relay(self) -> AttemptRelay:
        if self.relay is None:
            self.relay = AttemptRelay.default()
        return self.relay

    async def run(self, func: Callable[[], T]) -> T:
        """Run blocking work (registry, TikTok HTTP) off the server's event loop."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="linkkit-web")
            executor = self._executor
        future: Awaitable[T] = IOLoop.current().run_in_executor(executor, func)
        return await future


@dataclass(frozen=True)
class CallbackPage:
    """What the return tab shows.

    Attributes:
        ok: Whether the authorization succeeded.
        title: One line.
        message: The specific outcome ("…registered in GB, but the shop sells in US").
        steps: What to do next.
        reason: The reason code ("" when ok).
        go_back: Tell the seller their original tab already shows this.
        close: Try ``window.close()`` (the original tab has the outcome).
    """

    ok: bool
    title: str
    message: str
    steps: tuple[str, ...] = ()
    reason: str = ""
    go_back: bool = True
    close: bool = False


def _entry(reason: str) -> Any:
    from linkkit import troubleshoot

    return troubleshoot.entry(reason)


def refusal_page(reason: str, message: str, *, go_back: bool = True, close: bool = False) -> CallbackPage:
    """The page for a refused authorization: the catalogue's title and steps, the specific message."""
    entry = _entry(reason)
    return CallbackPage(False, entry.title, message or entry.meaning, tuple(entry.steps), reason, go_back, close)


class LinkkitHandler(JupyterHandler):
    """Shared behaviour: no query string in logs, no caching, friendly error pages."""

    web: WebContext

    def initialize(self, web: WebContext, **kwargs: Any) -> None:
        self.web = web
        super().initialize(**kwargs)

    def _request_summary(self) -> str:  # tornado's access log line: path only, never the query
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")

    @property
    def wizard_url(self) -> str:
        from linkkit.config import ONBOARDING_NOTEBOOK

        return f"{self.base_url.rstrip('/')}/voila/render/{ONBOARDING_NOTEBOOK}"

    def render_page(self, page: CallbackPage, *, status: int = 200, back_url: str = "") -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        template = self.web.templates.get_template("callback.html")
        self.finish(template.render(page=page, back_url=back_url or self.wizard_url))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        page = CallbackPage(False, "linkkit could not finish this page",
                            "This is a fault in linkkit, not something you did. Go back to the linkkit tab and "
                            "try again.", reason="", go_back=True)
        template = self.web.templates.get_template("callback.html")
        self.finish(template.render(page=page, back_url=self.wizard_url))

    def _cookie_value(self) -> bytes | None:
        return self.get_signed_cookie(COOKIE_NAME, max_age_days=1)

    def _store_cookie(self, value: str) -> None:
        secure = self.request.protocol == "https"
        self.set_signed_cookie(COOKIE_NAME, value, expires_days=1, httponly=True, samesite="Lax",
                               path=self.base_url or "/", secure=secure)


class AuthorizeHandler(LinkkitHandler):
    """``GET {base}/linkkit/authorize?provider=shop`` or ``?shop_id=…&role=…[&replace=1][&expected=…]
    [&link_id=…][&attempt=…]``: mint now, bind to this browser, redirect to TikTok."""

    @tornado.web.authenticated
    async def get(self) -> None:
        from linkkit.errors import LinkkitError
        from linkkit.models import Role

        provider = self.get_query_argument("provider", "login")
        attempt = self.get_query_argument("attempt", "") or None
        shop_id = self.get_query_argument("shop_id", "")
        role = self.get_query_argument("role", "")
        replace = self.get_query_argument("replace", "") in ("1", "true", "yes")
        expected = self.get_query_argument("expected", "").strip().lstrip("@") or None
        link_raw = self.get_query_argument("link_id", "")
        link_id = int(link_raw) if link_raw.isdigit() and len(link_raw) < 12 else None
        if provider not in ("shop", "login") or (
                provider == "login" and (role not in ("official", "marketing") or not shop_id.isdigit())):
            self.render_page(refusal_page("state_mismatch", "This Authorize address is incomplete. Go back to "
                                          "the linkkit tab and press Authorize there."), status=400)
            return

        def mint() -> Any:
            service = self.web.service(self.request.headers)
            if provider == "shop":
                return service.begin_shop_authorization()
            return service.begin_authorization(shop_id, Role(role), replace=replace, expected_username=expected,
                                               link_id=link_id)

        try:
            start = await self.web.run(mint)
        except LinkkitError as exc:
            from linkkit.redact import redact

            reason, message = exc.reason, redact(exc.message)
            await self.web.run(lambda: self.web.get_relay().refused(attempt, reason=reason, message=message))
            self.render_page(refusal_page(reason, message), status=409)
            return
        state = (parse_qs(urlsplit(start.url).query).get("state") or [""])[0]
        now = time.time()
        # The registry enforces the 10-minute life by the service's clock; the cookie only says "this browser".
        self._store_cookie(add_binding(self._cookie_value(), state, expires_at=now + BINDING_SECONDS, now=now))
        digest = state_hash(state)
        await self.web.run(lambda: self.web.get_relay().started(attempt, pending_id=start.pending_id,
                                                                state_digest=digest))
        log.info("authorization %s started from the browser", start.pending_id)
        self.redirect(start.url)


class CallbackMixin:
    """Finishing a callback in the server: the part shared by the callback route and the notebook route."""

    web: WebContext
    request: Any

    async def finish_callback(self: Any) -> None:
        from linkkit.errors import LinkkitError
        from linkkit.redact import redact

        query = self.request.query
        params = parse_qs(query)
        state = (params.get("state") or [""])[0]
        if not state:
            self.render_page(refusal_page(
                "state_mismatch", "This address has no state parameter, so it is not TikTok sending you back "
                "from an authorization linkkit started. Nothing was changed."), status=400)
            return
        now = time.time()
        cookie = self._cookie_value()
        if not is_bound(cookie, state, now=now):
            # Refused before the pending record is touched: another browser cannot burn the seller's attempt.
            log.warning("callback refused: its state is not bound to this browser")
            self.render_page(refusal_page(
                "state_mismatch",
                "This sign-in was started in a different browser (or this browser's linkkit cookie expired or "
                "was removed), so linkkit did not use it and nothing was changed. Go back to linkkit in the "
                "browser where you pressed Authorize and press it again.", go_back=False), status=400)
            return
        digest = state_hash(state)
        relay = self.web.get_relay()
        callback_url = f"{self.web.settings.redirect_uri}?{query}"

        def complete() -> CallbackPage:
            pending_id = relay.pending_for_state(digest)
            try:
                service = self.web.service(self.request.headers)
                result = service.complete_authorization(callback_url)
            except LinkkitError as exc:
                message = redact(exc.message)
                if pending_id:
                    relay.finished(pending_id, reason=exc.reason, message=message)
                return refusal_page(exc.reason, message, close=bool(pending_id))
            relay.finished(result.pending_id, reason="ok",
                           link_id=result.link.id if result.link is not None else None)
            if result.link is None:
                names = ", ".join(shop.name for shop in result.shops) or "your shop"
                return CallbackPage(True, "Seller Center authorized linkkit",
                                    f"Seller Center authorized linkkit on {names}. Go back to the linkkit tab "
                                    "and pick the shop to continue.", close=True)
            link = result.link
            shop = service.shop(link.shop_id)
            who = f"@{link.account.username}" if link.account.username else link.account.display_name
            return CallbackPage(True, "TikTok authorized the account",
                                f"TikTok authorized {who} as the {link.role.label} account of {shop.name}. Go "
                                "back to the linkkit tab to finish the link in Seller Center.", close=True)

        try:
            page = await self.web.run(complete)
        finally:
            self._store_cookie(drop_binding(cookie, state, now=now))
        self.render_page(page, status=200 if page.ok else 400)


class CallbackHandler(CallbackMixin, LinkkitHandler):
    """``GET {base}/linkkit/callback?…``: TikTok's redirect back, finished without a kernel."""

    @tornado.web.authenticated
    async def get(self) -> None:
        if not is_callback_query(self.request.query):
            self.render_page(CallbackPage(
                False, "Nothing to finish here",
                "This page finishes an authorization when TikTok sends you back to it. Open linkkit to start "
                "one.", go_back=False))
            return
        await self.finish_callback()
