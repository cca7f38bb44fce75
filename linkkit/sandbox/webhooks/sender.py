"""Posting webhook deliveries, on the sandbox's tornado loop (never blocking request handling).

A ``WebhookPump`` ticks every ``interval`` seconds: under the sandbox lock it lets the backend emit due
expiry notices and takes the deliveries whose attempt is due, then posts each with tornado's async HTTP
client (3 s connect and request timeouts, TikTok's reply window) and records the outcome. Logs name the
event id and status only — never the body or the signature.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import tornado.httpclient
import tornado.ioloop

from .models import Delivery, webhook_signature

if TYPE_CHECKING:
    from ..backend import SandboxBackend

logger = logging.getLogger(__name__)
TIMEOUT = 3.0


class WebhookPump:
    """Emits and delivers webhooks for one sandbox backend."""

    def __init__(self, backend: SandboxBackend, lock: threading.RLock, interval: float = 0.05) -> None:
        self._backend = backend
        self._lock = lock
        self._interval = interval
        self._callback: tornado.ioloop.PeriodicCallback | None = None

    def start(self) -> None:
        """Start ticking on the current IOLoop."""
        self._callback = tornado.ioloop.PeriodicCallback(self.tick, self._interval * 1000)
        self._callback.start()

    def stop(self) -> None:
        if self._callback is not None:
            self._callback.stop()
            self._callback = None

    def tick(self) -> None:
        backend = self._backend
        with self._lock:
            backend.check_expirations()
            due = backend.webhooks.take_due(backend.now())
            url = backend.webhooks.url
            app = backend.shop_auth.app
            jobs = [(d, webhook_signature(app.app_key, app.app_secret, d.body)) for d in due]
        for delivery, signature in jobs:
            if url is not None:
                tornado.ioloop.IOLoop.current().spawn_callback(self._deliver, backend, url, delivery, signature)

    async def _deliver(self, backend: SandboxBackend, url: str, delivery: Delivery, signature: str) -> None:
        request = tornado.httpclient.HTTPRequest(
            url,
            method="POST",
            body=delivery.body.encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": signature},
            connect_timeout=TIMEOUT,
            request_timeout=TIMEOUT,
            follow_redirects=False,
        )
        status: int | None
        error: str | None = None
        try:
            response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
            status = None if response.code == 599 else response.code
            if status is None:
                error = type(response.error).__name__ if response.error else "unreachable"
        except Exception as exc:
            status, error = None, type(exc).__name__
        logger.info("webhook %s type %d: %s", delivery.tts_notification_id, delivery.type, status or error)
        with self._lock:
            backend.webhooks.record_attempt(delivery, backend.now(), status, error)


__all__ = ["WebhookPump"]
