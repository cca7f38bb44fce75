"""The TikTok Shop webhook receiver over loopback: signature, persistence, de-duplication, types 6 and 7."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from linkkit.monitor import Monitor, ReceiverServer, expected_signature
from tests.integration.conftest import MAPLE, Harness
from tests.monitor.conftest import app_credentials, connected_link

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver(h: Harness, make_monitor: Callable[..., Monitor]) -> Iterator[ReceiverServer]:
    server = ReceiverServer(make_monitor(channels=["dashboard"]), port=0).start()
    try:
        yield server
    finally:
        server.stop()


def _post(h: Harness, receiver: ReceiverServer, payload: Any, *, forge: bool = False,
          raw: bytes | None = None) -> requests.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    creds = app_credentials(h)
    secret = "not-the-app-secret" if forge else creds["app_secret"]
    return requests.post(receiver.url, data=body, timeout=10,
                         headers={"Authorization": expected_signature(creds["app_key"], secret, body),
                                  "Content-Type": "application/json"})


def _handled(monitor: Monitor, notification: str, timeout: float = 10.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hook = next((w for w in monitor.registry.webhooks() if w.tts_notification_id == notification), None)
        if hook is not None and hook.outcome not in (None, "handling"):
            return hook.outcome
        time.sleep(0.02)
    return None


def _deauth(notification: str = "n-deauth-1") -> dict[str, Any]:
    return {"type": 6, "tts_notification_id": notification, "shop_id": MAPLE, "timestamp": 1764150000,
            "data": {"reason": "seller removed the app"}}


def test_a_signed_deauthorization_marks_the_shop_and_raises_deauthorized(h: Harness,
                                                                         receiver: ReceiverServer) -> None:
    connected_link(h)
    response = _post(h, receiver, _deauth())
    assert response.status_code == 200
    assert _handled(receiver.monitor, "n-deauth-1") == "deauthorized"
    registry = receiver.monitor.registry
    health = registry.shop_health(MAPLE)
    assert health is not None and health.deauthorized_at is not None
    assert [(e.kind, e.shop_id, e.reason, e.actor) for e in registry.health_events()] == [
        ("deauthorized", MAPLE, "shop_not_connected", "monitor")]
    assert [e.actor for e in h.service.events(MAPLE, kinds=["health_deauthorized"])] == ["monitor"]


def test_a_replayed_webhook_is_handled_once(h: Harness, receiver: ReceiverServer) -> None:
    connected_link(h)
    answers = [_post(h, receiver, _deauth("n-replay")).status_code for _ in range(5)]  # TikTok's 4 retries
    assert answers == [200] * 5
    assert _handled(receiver.monitor, "n-replay") == "deauthorized"
    (hook,) = receiver.monitor.registry.webhooks()
    assert hook.deliveries == 5
    assert len(receiver.monitor.registry.health_events()) == 1
    assert len(h.service.events(MAPLE, kinds=["health_deauthorized"])) == 1


def test_a_forged_signature_is_refused_and_nothing_is_stored(h: Harness, receiver: ReceiverServer) -> None:
    connected_link(h)
    forged = _post(h, receiver, _deauth("n-forged"), forge=True)
    unsigned = requests.post(receiver.url, data=json.dumps(_deauth("n-unsigned")), timeout=10)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    counts = receiver.monitor.registry.counts()
    assert (counts["monitor_webhooks_received"], counts["monitor_health_events"],
            counts["monitor_shop_health"]) == (0, 0, 0)
    assert h.service.events(MAPLE, kinds=["health_deauthorized"]) == []


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"type": 6}', b'{"type": "6", "tts_notification_id": "x"}',
                                 b'{"type": 6, "tts_notification_id": ""}',
                                 '{"type": 6, "tts_notification_id": "n"}'.encode("utf-16")])
def test_a_malformed_body_is_refused_with_400_and_nothing_is_stored(h: Harness, receiver: ReceiverServer,
                                                                     raw: bytes) -> None:
    response = _post(h, receiver, None, raw=raw)
    assert response.status_code == 400
    assert receiver.monitor.registry.counts()["monitor_webhooks_received"] == 0


def test_an_unknown_type_is_stored_and_ignored(h: Harness, receiver: ReceiverServer) -> None:
    connected_link(h)
    response = _post(h, receiver, {"type": 1, "tts_notification_id": "n-order", "shop_id": MAPLE, "data": {}})
    assert response.status_code == 200
    assert _handled(receiver.monitor, "n-order") == "ignored_type_1"
    assert receiver.monitor.registry.health_events() == []


def test_upcoming_expiration_raises_expiring_once_per_threshold(h: Harness, receiver: ReceiverServer) -> None:
    connected_link(h)
    ends = int(h.service.now().timestamp()) + 30 * 86400
    for day, notification in enumerate(("n-exp-30", "n-exp-29")):  # TikTok: 30 days before, then daily
        payload = {"type": 7, "tts_notification_id": notification, "shop_id": MAPLE,
                   "data": {"expiration_time": ends}}
        assert _post(h, receiver, payload).status_code == 200
        assert _handled(receiver.monitor, notification) == "expiring", day
    h.control("POST", "/clock", {"advance_seconds": 24 * 86400})
    payload = {"type": 7, "tts_notification_id": "n-exp-6", "shop_id": MAPLE, "data": {"expiration_time": ends}}
    assert _post(h, receiver, payload).status_code == 200
    assert _handled(receiver.monitor, "n-exp-6") == "expiring"
    shop_events = [e for e in reversed(receiver.monitor.registry.health_events()) if e.link_id is None]
    assert [(e.kind, e.reason) for e in shop_events] == [("expiring", "shop_not_connected")] * 2
    assert "TikTok Shop announced it" in shop_events[0].detail


def test_a_stored_but_unhandled_webhook_is_acted_on_by_the_next_pass(h: Harness,
                                                                      make_monitor: Callable[..., Monitor]) -> None:
    connected_link(h)
    monitor = make_monitor()
    body = json.dumps(_deauth("n-crashed"))
    monitor.registry.save_webhook("n-crashed", type_=6, shop_id=MAPLE, body=body, now=monitor.now())
    report = monitor.run_once()
    assert report.webhooks_handled == 1
    assert [e.kind for e in report.events] == ["deauthorized"]
