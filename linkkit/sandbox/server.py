"""The tornado application and ``SandboxServer``, which runs it on a daemon thread.

``SandboxApp.handle`` routes a request to its service's handler, applies injected faults and holds, and
records the request (redacted). The access log records method, path and status only: query strings and
bodies carry secrets (``app_secret``, codes, tokens) and are never logged.

Example:
    >>> import requests
    >>> with SandboxServer(port=0) as sandbox:                           # doctest: +SKIP
    ...     requests.get(sandbox.url + "/_sandbox/clock", timeout=5).json()["offset"]
    0.0
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import signal
import socket
import threading
import time
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from . import urls
from .backend import SandboxBackend
from .common import Clock
from .control.models import Hold
from .webhooks.sender import WebhookPump
from .wire import SandboxRequest, SandboxResponse, fault_response, method_not_allowed, not_found
from .world import DEFAULT_SEED

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("linkkit.sandbox.access")
HOLD_POLL = 0.005


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado ``log_function``: method, path (never the query) and status."""
    request = handler.request
    access_logger.info(
        "%s %s %d %.1fms", request.method, request.path, handler.get_status(), 1000.0 * request.request_time()
    )


def _recorded_body(req: SandboxRequest) -> Any:
    if not req.body:
        return None
    if req.content_type == "application/x-www-form-urlencoded":
        return req.form()
    if req.content_type == "application/json":
        try:
            return req.json()
        except ValueError:
            pass
    return f"[{len(req.body)} bytes of {req.content_type or 'unknown type'}, not recorded]"


def _grant_type(req: SandboxRequest) -> str | None:
    if req.method == "POST" and req.content_type == "application/x-www-form-urlencoded":
        return req.form().get("grant_type")
    return None


class SandboxApp:
    """Routing, faults, holds and request recording around the backend; one lock serialises the state."""

    def __init__(self, seed: int, start_day: _dt.date, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.backend = SandboxBackend(seed, start_day, clock)
        self.pump = WebhookPump(self.backend, self.lock)

    def reset(self, seed: int | None = None) -> None:
        """Re-seed: the world as built at start (same start day), fresh state, clock back to its start offset."""
        with self.lock:
            self.backend.reset(seed)

    async def _wait(self, hold: Hold) -> None:
        deadline = time.monotonic() + hold.timeout_seconds
        while True:
            with self.lock:
                if hold.state != "holding":
                    return
                if time.monotonic() >= deadline:
                    hold.state = "timed_out"
                    logger.warning("sandbox: hold %s timed out after %.1f s", hold.id, hold.timeout_seconds)
                    return
            await asyncio.sleep(HOLD_POLL)

    async def handle(self, req: SandboxRequest) -> SandboxResponse:
        route, params = urls.match(req.path)
        family = route.family if route else urls.family_of(req.path)
        control = family == "control"
        fault = hold = None
        if not control:
            with self.lock:
                fault = self.backend.control.take_fault(req.path)
                if fault is None or fault.kind == "latency":
                    hold = self.backend.control.take_hold(req.method, req.path, _grant_type(req))
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.latency_ms / 1000.0)
            fault = None
        if hold is not None and hold.phase == "before":
            await self._wait(hold)
        with self.lock:
            resp = self._respond(req, route, params, family, fault)
            if not control:
                self.backend.control.record(req.method, req.path, dict(req.query), _recorded_body(req), resp.status)
        if hold is not None and hold.phase == "after":
            await self._wait(hold)
        return resp

    def _respond(
        self, req: SandboxRequest, route: urls.Route | None, params: dict[str, str], family: str, fault: Any
    ) -> SandboxResponse:
        if fault is not None:
            injected = fault_response(family, fault.kind)
            injected.headers["X-Sandbox-Fault"] = fault.kind  # tells injected 5xx from real ones
            if fault.retry_after and injected.status in (429, 503):
                injected.headers["Retry-After"] = str(fault.retry_after)
            return injected
        if route is None:
            return not_found(family, req.method, req.path)
        handler = route.methods.get(req.method)
        if handler is None:
            return method_not_allowed(family, req.method, req.path)
        req.path_params, req.meta = params, route.meta
        try:
            return handler(self.backend, req)
        except Exception:
            logger.exception("sandbox handler failed: %s %s", req.method, req.path)
            crashed = fault_response(family, "http_500")
            crashed.headers["X-Sandbox-Unhandled"] = "1"
            return crashed


class _Handler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")

    def initialize(self, app: SandboxApp) -> None:
        self.app = app

    def _request_summary(self) -> str:  # tornado puts this in warning/error logs: keep the query out
        return f"{self.request.method} {self.request.path}"

    def check_xsrf_cookie(self) -> None:  # TikTok's endpoints are not cookie-protected forms
        return None

    async def _dispatch(self) -> None:
        r = self.request
        query = {k: v[0].decode("utf-8", errors="replace") for k, v in r.query_arguments.items() if v}
        req = SandboxRequest(r.method or "GET", r.path, query, r.headers, r.body or b"")
        resp = await self.app.handle(req)
        self.set_status(resp.status)
        self.set_header("Content-Type", resp.content_type)
        for key, value in resp.headers.items():
            self.set_header(key, value)
        if resp.body:
            self.write(resp.body)

    get = post = put = delete = patch = head = _dispatch


def make_application(app: SandboxApp) -> tornado.web.Application:
    return tornado.web.Application(
        [(r"/.*", _Handler, {"app": app})], log_function=_log_request, compress_response=False
    )


class SandboxServer:
    """The sandbox on a loopback port, driven from tests or the CLI.

    Args:
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one (read ``.url`` after ``start()``).
        now: sandbox start time (unix seconds or aware datetime); default real time. The demo world is seeded
            relative to this instant's UTC day.
        seed: the world seed.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, now: float | _dt.datetime | None = None, seed: int = DEFAULT_SEED
    ) -> None:
        if isinstance(now, _dt.datetime):
            now = now.timestamp()
        offset = 0.0 if now is None else float(now) - time.time()
        clock = Clock(offset)
        start_day = _dt.datetime.fromtimestamp(clock.now(), _dt.UTC).date()
        self.host = host
        self.port = port
        self.app = SandboxApp(seed, start_day, clock)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def backend(self) -> SandboxBackend:
        return self.app.backend

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> None:
        self._sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = self._sockets[0].getsockname()[1]

    def start(self) -> SandboxServer:
        """Start listening on a daemon thread; returns once the socket accepts connections."""
        if self._thread is not None:
            return self
        self._bind()
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            async def setup() -> None:
                self._server = tornado.httpserver.HTTPServer(make_application(self.app))
                self._server.add_sockets(self._sockets)
                self.app.pump.start()

            loop.run_until_complete(setup())
            self._loop = loop
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                self.app.pump.stop()
                if self._server is not None:
                    try:
                        loop.run_until_complete(asyncio.wait_for(self._server.close_all_connections(), 5))
                    except (TimeoutError, OSError):
                        logger.warning("sandbox: connections did not close in time")
                loop.close()

        self._thread = threading.Thread(target=run, name="linkkit-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("sandbox did not start within 10 s")
        logger.info("sandbox listening on %s", self.url)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its thread (held requests are released first)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self.app.lock:
            self.app.backend.control.release_all()

        def shutdown() -> None:
            if self._server is not None:
                self._server.stop()
            loop.stop()

        loop.call_soon_threadsafe(shutdown)
        thread.join(timeout)
        self._thread = None
        self._loop = None
        self._server = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve on the calling thread until SIGINT or SIGTERM, then shut down cleanly."""
        self._bind()

        async def main() -> None:
            server = tornado.httpserver.HTTPServer(make_application(self.app))
            server.add_sockets(self._sockets)
            self.app.pump.start()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            logger.info("sandbox listening on %s", self.url)
            await stop.wait()
            logger.info("sandbox stopping")
            self.app.pump.stop()
            with self.app.lock:
                self.app.backend.control.release_all()
            server.stop()
            await asyncio.wait_for(server.close_all_connections(), 5)

        asyncio.run(main())
