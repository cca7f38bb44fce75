"""The whole loop offline, over loopback: the in-process sandbox emits signed TikTok Shop webhooks to the
monitor's receiver, which marks the shop and raises health events that reach the dashboard channel.

Nothing here posts a webhook by hand: the sandbox's ``/_sandbox/webhooks`` control points its emitter at
the receiver, and the seller's actions in the sandbox (deauthorizing the app, time passing) make the events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from linkkit import troubleshoot
from linkkit.models import Provider
from linkkit.monitor import Monitor, ReceiverServer
from tests.integration.conftest import MAPLE, Harness
from tests.monitor.conftest import connected_link

pytestmark = pytest.mark.integration

DAY = 86400.0
RETRY_SCALE = 0.001  # TikTok's 2 min first retry becomes 0.12 s of sandbox time


@pytest.fixture
def loop(h: Harness, make_monitor: Callable[..., Monitor]) -> Iterator[tuple[Monitor, ReceiverServer]]:
    monitor = make_monitor(channels=["dashboard"])
    server = ReceiverServer(monitor, port=0).start()
    try:
        yield monitor, server
    finally:
        requests.delete(f"{h.sandbox_url}/_sandbox/webhooks", timeout=10)
        server.stop()


def _point_sandbox_at(h: Harness, url: str) -> None:
    answer = h.control("POST", "/webhooks", {"url": url, "retry_scale": RETRY_SCALE})
    assert answer["url"] == url


def _sandbox_deliveries(h: Harness, type_: int, *, settled: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The sandbox's log of its deliveries of ``type_`` once ``settled`` of them are delivered or failed."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = [d for d in h.control("GET", "/webhooks")["deliveries"] if d["type"] == type_]
        if sum(d["state"] in ("delivered", "failed") for d in found) >= settled:
            return found
        time.sleep(0.05)
    raise AssertionError(f"the sandbox did not settle {settled} type-{type_} deliveries in {timeout} s: {found}")


def _handled(monitor: Monitor, notification: str, timeout: float = 10.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hook = next((w for w in monitor.registry.webhooks() if w.tts_notification_id == notification), None)
        if hook is not None and hook.outcome not in (None, "handling"):
            return hook.outcome
        time.sleep(0.02)
    return None


def test_a_seller_deauthorizing_in_the_sandbox_reaches_the_receiver_and_the_dashboard(
        h: Harness, loop: tuple[Monitor, ReceiverServer]) -> None:
    monitor, receiver = loop
    connected_link(h)
    _point_sandbox_at(h, receiver.url)
    assert h.control("POST", "/deauthorize", {"seller": "maple_seller"})["revoked"] >= 1
    (delivery,) = _sandbox_deliveries(h, 6)
    assert [a["status"] for a in delivery["attempts"]] == [200]  # signed as the receiver expects
    assert delivery["shop_id"] == MAPLE
    assert _handled(monitor, delivery["tts_notification_id"]) == "deauthorized"
    health = monitor.registry.shop_health(MAPLE)
    assert health is not None and health.deauthorized_at is not None
    assert [(e.kind, e.shop_id, e.reason) for e in monitor.registry.health_events(kinds=["deauthorized"])] == [
        ("deauthorized", MAPLE, "shop_not_connected")]
    monitor.run_once()  # the alerts job delivers the dashboard channel
    shown = [(d.event.kind, a) for d, a in monitor.alerts(shop_id=MAPLE)]
    (alert,) = [a for kind, a in shown if kind == "deauthorized"]
    assert alert.shop_id == MAPLE
    assert alert.troubleshooting_title == troubleshoot.entry("shop_not_connected").title
    assert alert.repair_url.endswith(f"01_link_accounts.ipynb?shop_id={MAPLE}")  # the wizard selects the shop


def test_the_sandbox_clock_passing_30_days_before_expiry_raises_expiring(
        h: Harness, loop: tuple[Monitor, ReceiverServer]) -> None:
    monitor, receiver = loop
    connected_link(h)
    _point_sandbox_at(h, receiver.url)
    token = h.service.store.token(Provider.SHOP, h.service.shop(MAPLE).seller_open_id)
    assert token is not None and token.refresh_expires_at is not None
    ends = token.refresh_expires_at.timestamp()  # the shop authorization's end, as TikTok told linkkit
    now = h.control("GET", "/clock")["now"]
    # 29.5 days before the shop authorization ends: inside TikTok's 30-day notice, outside our 7/1-day windows.
    h.control("POST", "/clock", {"advance_seconds": ends - now - 29.5 * DAY})
    (delivery,) = _sandbox_deliveries(h, 7)
    assert [a["status"] for a in delivery["attempts"]] == [200]
    assert delivery["payload"]["data"]["expiration_time"] == int(ends)
    assert _handled(monitor, delivery["tts_notification_id"]) == "expiring"
    health = monitor.registry.shop_health(MAPLE)
    assert health is not None
    assert health.authorization_expires_at == datetime.fromtimestamp(int(ends), UTC)
    assert [(e.kind, e.shop_id) for e in monitor.registry.health_events()] == [("expiring", MAPLE)]


class _LosesFirstReply:
    """A hop between the sandbox and the receiver that forwards everything but answers the first POST with
    500 (the receiver got and stored it; its reply was lost), so TikTok's retry schedule re-sends it."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.answers: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                forwarded = requests.post(outer.target, data=body, timeout=10, headers={
                    "Authorization": self.headers.get("Authorization", ""), "Content-Type": "application/json"})
                status = 500 if not outer.answers else forwarded.status_code
                outer.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/tiktok-shop"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _LosesFirstReply:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def test_a_delivery_retried_after_a_500_is_handled_once(h: Harness, loop: tuple[Monitor, ReceiverServer]) -> None:
    monitor, receiver = loop
    connected_link(h)
    with _LosesFirstReply(receiver.url) as hop:
        _point_sandbox_at(h, hop.url)
        h.control("POST", "/deauthorize", {"seller": "maple_seller"})
        deadline = time.monotonic() + 20
        while len(hop.answers) < 2 and time.monotonic() < deadline:
            # The retry is due 2 min (scaled) after the first attempt on the sandbox clock.
            h.control("POST", "/clock", {"advance_seconds": 1.0})
            time.sleep(0.05)
        (delivery,) = _sandbox_deliveries(h, 6)
    assert hop.answers == [500, 200]
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    assert _handled(monitor, delivery["tts_notification_id"]) == "deauthorized"
    (hook,) = monitor.registry.webhooks()
    assert hook.deliveries == 2  # TikTok sent it twice
    assert len(monitor.registry.health_events(kinds=["deauthorized"])) == 1  # acted on once
    assert len(h.service.events(MAPLE, kinds=["health_deauthorized"])) == 1
