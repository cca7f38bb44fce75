"""The TikTok Shop webhook receiver (tornado): verify, persist, reply 200, then act.

Signature: TikTok Shop sends ``Authorization: hex(HMAC-SHA256(key=app_secret, msg=app_key + raw_body))``.
Source followed: the formula as implemented by EcomPHP's ``src/Webhook.php`` and, independently, PyPI
``tiktok-shop-api`` 0.1.0 (``webhooks.py``, ``Webhooks.verify``) — TikTok's own webhook page only points to
its API signing guide, so the formula is confirmed by client libraries, not by TikTok's text. It is computed
on the raw body exactly as received and compared in constant time (:func:`hmac.compare_digest`).

Contract (TikTok Shop: reply within 3 s; retries after 2 min, 30 min, 3 h, 12 h):

- bad or missing signature → 401, nothing stored;
- body that is not a JSON object with ``type`` (int) and ``tts_notification_id`` (non-empty string) → 400,
  nothing stored;
- otherwise the raw body is stored (unique on ``tts_notification_id``) *before* the 200 goes out; a
  notification seen before is acknowledged and not acted on again; acting (type 6 deauthorization, type 7
  upcoming expiration) happens after the reply, on a worker thread; unknown types are stored and ignored.
  If the process dies between storing and acting, the monitor's next pass acts on the stored row.

Example:
    >>> expected_signature("k", "s", b'{"type":6}')
    '9b93e4d04f98ab922104a36cd2701a84661c11140dfc7d5dac4a813d4cce682b'
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from linkkit.monitor.service import Monitor
from linkkit.tiktok.signing import webhook_signature

__all__ = ["ReceiverServer", "expected_signature", "make_app", "serve"]

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


def expected_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """TikTok Shop's webhook signature for ``body`` (:func:`linkkit.tiktok.signing.webhook_signature`)."""
    return webhook_signature(app_key, app_secret, body)


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, monitor: Monitor, sign: Callable[[bytes], str], executor: ThreadPoolExecutor) -> None:
        self.monitor = monitor
        self.sign = sign
        self.executor = executor

    def check_xsrf_cookie(self) -> None:  # a machine-to-machine POST, authenticated by its signature
        return

    def _request_summary(self) -> str:  # tornado logs this: method and path only
        return f"{self.request.method} {self.request.path}"

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def post(self) -> None:
        body = self.request.body
        given = self.request.headers.get("Authorization", "").strip().encode("utf-8", "replace")
        wanted = self.sign(body).encode()
        if not hmac.compare_digest(given.lower(), wanted):
            log.warning("Refused a webhook with a bad signature")
            self._answer(401, {"code": 401, "message": "invalid signature"})
            return
        try:
            text = body.decode("utf-8")
            payload = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            text, payload = "", None
        notification = payload.get("tts_notification_id") if isinstance(payload, dict) else None
        type_ = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(notification, str) or not notification or not isinstance(type_, int) or \
                isinstance(type_, bool):
            self._answer(400, {"code": 400, "message": "malformed webhook body"})
            return
        shop_id = payload.get("shop_id")
        loop = asyncio.get_running_loop()
        # Persist before replying (a crash after the 200 must not lose the event); off the event loop.
        stored = await loop.run_in_executor(self.executor, lambda: self.monitor.registry.save_webhook(
            notification, type_=type_, shop_id=str(shop_id) if shop_id is not None else None,
            body=text, now=self.monitor.now()))
        self._answer(200, {"code": 0, "message": "success", "duplicate": stored is None})
        if stored is not None:
            loop.run_in_executor(self.executor, self._act, stored)

    def _act(self, webhook_id: int) -> None:
        try:
            self.monitor.handle_webhook(webhook_id)
        except Exception:
            log.exception("Acting on webhook %s failed; the next monitor pass retries", webhook_id)


def make_app(monitor: Monitor, *, app_key: str | None = None, app_secret: str | None = None,
             path: str | None = None, executor: ThreadPoolExecutor | None = None) -> tornado.web.Application:
    """The receiver's tornado application.

    Args:
        monitor: Stores and acts on the events.
        app_key / app_secret: The TikTok Shop app's; when ``None`` the service signs
            (:meth:`~linkkit.linking.LinkService.shop_webhook_signature`: its configured app, or in sandbox
            mode the sandbox world's), so the secret never leaves the façade.
        path: Where TikTok POSTs (``[monitor] webhook_path``).
        executor: Threads for the database work and acting after the reply.
    """
    sign: Callable[[bytes], str]
    if app_key is None or app_secret is None:
        sign = monitor.service.shop_webhook_signature
    else:
        key, secret = app_key, app_secret

        def sign(body: bytes) -> str:
            return webhook_signature(key, secret, body)

    executor = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="monitor-webhook")
    route = path or monitor.config.webhook_path
    return tornado.web.Application(
        [(route, _WebhookHandler, {"monitor": monitor, "sign": sign, "executor": executor})],
        log_function=_log_request,
    )


def _log_request(handler: tornado.web.RequestHandler) -> None:
    log.info("%s %s %d", handler.request.method, handler.request.path, handler.get_status())


class ReceiverServer:
    """The receiver on a daemon thread (tests, and ``linkkit monitor --listen`` next to the scheduler)."""

    def __init__(self, monitor: Monitor, host: str = "127.0.0.1", port: int = 0, **app_kwargs: Any) -> None:
        self.monitor = monitor
        self.host = host
        self.port = port
        self._app_kwargs = app_kwargs
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="monitor-webhook")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: tornado.httpserver.HTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.monitor.config.webhook_path}"

    def start(self) -> ReceiverServer:
        app = make_app(self.monitor, executor=self._executor, **self._app_kwargs)
        sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def setup() -> None:
                self._server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY)
                self._server.add_sockets(sockets)

            loop.run_until_complete(setup())
            self._loop = loop
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                if self._server is not None:
                    try:
                        loop.run_until_complete(asyncio.wait_for(self._server.close_all_connections(), 5))
                    except (TimeoutError, OSError):
                        log.warning("webhook receiver: connections did not close in time")
                loop.close()

        self._thread = threading.Thread(target=run, name="linkkit-monitor-webhooks", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the webhook receiver did not start within 10 s")
        log.info("Webhook receiver listening on %s", self.url)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            def shutdown() -> None:
                if self._server is not None:
                    self._server.stop()
                loop.stop()

            loop.call_soon_threadsafe(shutdown)
            thread.join(timeout)
        self._executor.shutdown(wait=True, cancel_futures=False)
        self._thread = self._loop = self._server = None

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(monitor: Monitor, host: str, port: int, *, stop: threading.Event | None = None) -> None:
    """Serve the receiver until ``stop`` is set (or Ctrl-C), running the monitor's schedule alongside."""
    stop = stop or threading.Event()
    receiver = ReceiverServer(monitor, host, port).start()
    try:
        monitor.run_forever(stop)
    finally:
        receiver.stop()
