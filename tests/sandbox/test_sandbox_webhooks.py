"""The sandbox emits TikTok Shop webhooks: type 6 on deauthorization, type 7 from 30 days before an
authorization expires; signed, retried on the sandbox clock, each with its own ``tts_notification_id``.

A tiny receiver (``http.server`` on port 0) records what arrives and answers the statuses a test queues.
The signature is checked here from the formula TikTok Shop's client libraries use, written independently
of the sandbox: ``hex(HMAC_SHA256(app_secret, app_key + raw_body))``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections import deque
from typing import Any

import pytest
from sandbox_helpers import CEDAR, MAPLE, NOVA_MX, NOVA_UK, TIMEOUT, wait_until

pytestmark = pytest.mark.integration
DAY = 86400


class Receiver:
    """Records each POST (headers and raw body); answers queued statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: deque[int] = deque()
        self.gate: threading.Event | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.gate is not None:
                    receiver.gate.wait(TIMEOUT)
                with receiver.lock:
                    receiver.received.append((dict(self.headers), raw))
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/tiktok"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(raw) for _, raw in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


def _hooks(sb) -> dict[str, Any]:
    return sb.get("/_sandbox/webhooks").json()


def _states(sb) -> list[str]:
    return [d["state"] for d in _hooks(sb)["deliveries"]]


def _configure(sb, receiver, retry_scale=1.0) -> None:
    r = sb.post("/_sandbox/webhooks", json={"url": receiver.url, "retry_scale": retry_scale})
    assert r.status_code == 200 and r.json()["url"] == receiver.url


def _expected_signature(sb, raw: bytes) -> str:
    app = sb.shop_app
    return hmac.new(app["app_secret"].encode(), app["app_key"].encode() + raw, hashlib.sha256).hexdigest()


def test_deauthorization_posts_a_signed_type_6_event_per_shop(sb, receiver):
    _configure(sb, receiver)
    sb.shop_tokens("nova_seller")
    now = sb.now()
    assert sb.post("/_sandbox/deauthorize", json={"seller": "nova_seller"}).json() == {"revoked": 1}
    assert wait_until(lambda: len(receiver.received) == 2, timeout=TIMEOUT)
    for headers, raw in receiver.received:
        assert headers["Content-Type"] == "application/json"
        assert hmac.compare_digest(headers["Authorization"], _expected_signature(sb, raw))
    payloads = receiver.payloads()
    assert sorted(p["shop_id"] for p in payloads) == [NOVA_UK, NOVA_MX]
    assert {p["type"] for p in payloads} == {6}
    assert set(payloads[0]) == {"type", "tts_notification_id", "shop_id", "timestamp", "data"}
    assert all(abs(p["timestamp"] - now) < 60 for p in payloads)
    ids = [p["tts_notification_id"] for p in payloads]
    assert len(set(ids)) == 2 and all(len(i) == 19 and i.isdigit() for i in ids)
    # The receiver answers before the sandbox records the answer: wait for the record, not the request.
    assert wait_until(lambda: _states(sb) == ["delivered", "delivered"], timeout=TIMEOUT)
    hooks = _hooks(sb)
    assert [(d["type_name"], d["state"], d["signature"]) for d in hooks["deliveries"]] == [
        ("SELLER_DEAUTHORIZATION", "delivered", "[redacted]")
    ] * 2
    assert sb.shop_app["app_secret"] not in json.dumps(hooks)


def test_a_forged_body_does_not_match_the_signature(sb, receiver):
    _configure(sb, receiver)
    sb.shop_tokens("maple_seller")
    sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"})
    assert wait_until(lambda: len(receiver.received) == 1, timeout=TIMEOUT)
    headers, raw = receiver.received[0]
    forged = raw.replace(MAPLE.encode(), CEDAR.encode())
    assert forged != raw
    assert not hmac.compare_digest(headers["Authorization"], _expected_signature(sb, forged))


def test_no_grant_no_event_and_no_url_no_delivery(sb, receiver):
    assert sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"}).json() == {"revoked": 0}
    sb.shop_tokens("maple_seller")
    assert sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"}).json() == {"revoked": 1}
    _configure(sb, receiver)
    assert _hooks(sb)["deliveries"] == []
    assert receiver.received == []


def test_a_500_is_retried_with_the_same_id(sb, receiver):
    receiver.statuses.extend([500])
    _configure(sb, receiver, retry_scale=0.001)  # 2 min becomes 0.12 s of sandbox time
    sb.shop_tokens("maple_seller")
    sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"})
    assert wait_until(lambda: len(receiver.received) == 2, timeout=TIMEOUT)
    first, second = receiver.payloads()
    assert first == second  # a retry is the same event, byte for byte
    assert receiver.received[0][1] == receiver.received[1][1]
    assert wait_until(lambda: _states(sb) == ["delivered"], timeout=TIMEOUT)
    (delivery,) = _hooks(sb)["deliveries"]
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    gap = delivery["attempts"][1]["at"] - delivery["attempts"][0]["at"]
    assert gap >= 120 * 0.001


def test_retries_follow_tiktoks_schedule_on_the_sandbox_clock(sb, receiver):
    receiver.statuses.extend([500] * 5)
    _configure(sb, receiver)  # retry_scale 1: real TikTok delays, moved along by the sandbox clock
    sb.shop_tokens("maple_seller")
    sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"})
    assert wait_until(lambda: len(receiver.received) == 1, timeout=TIMEOUT)
    first_at = _hooks(sb)["deliveries"][0]["attempts"][0]["at"]
    for n, offset in enumerate((120, 1800, 10800, 43200), start=2):
        (delivery,) = _hooks(sb)["deliveries"]
        assert delivery["state"] == "pending"
        assert delivery["next_attempt_at"] == pytest.approx(first_at + offset)
        sb.advance(delivery["next_attempt_at"] - sb.now() - 5)  # 5 s early: nothing is sent
        assert not wait_until(lambda n=n: len(receiver.received) == n, timeout=0.3)
        sb.advance(10)
        assert wait_until(lambda n=n: len(receiver.received) == n, timeout=TIMEOUT)
    assert wait_until(lambda: _hooks(sb)["deliveries"][0]["state"] == "failed", timeout=TIMEOUT)
    assert [a["status"] for a in _hooks(sb)["deliveries"][0]["attempts"]] == [500] * 5
    sb.advance(2 * DAY)
    assert not wait_until(lambda: len(receiver.received) > 5, timeout=0.3)  # given up after 12 h


def test_upcoming_expiration_type_7_from_30_days_before_then_daily(sb, receiver):
    _configure(sb, receiver)
    tokens = sb.shop_tokens("maple_seller")
    expires = tokens["refresh_token_expire_in"]  # the authorization's end (unix time)
    sb.advance(expires - 30 * DAY - sb.now() - 60)  # a minute before the 30-day window
    assert not wait_until(lambda: receiver.received, timeout=0.3)
    sb.advance(120)
    assert wait_until(lambda: len(receiver.received) == 1, timeout=TIMEOUT)
    (event,) = receiver.payloads()
    assert (event["type"], event["shop_id"], event["data"]) == (7, MAPLE, {"expiration_time": expires})
    assert hmac.compare_digest(
        receiver.received[0][0]["Authorization"], _expected_signature(sb, receiver.received[0][1])
    )
    assert not wait_until(lambda: len(receiver.received) > 1, timeout=0.3)  # once, not on every tick
    sb.advance(DAY)
    assert wait_until(lambda: len(receiver.received) == 2, timeout=TIMEOUT)  # the next day's notice
    sb.advance(5 * DAY)  # a jump over several days sends one notice, not five
    assert wait_until(lambda: len(receiver.received) == 3, timeout=TIMEOUT)
    assert not wait_until(lambda: len(receiver.received) > 3, timeout=0.3)
    ids = [p["tts_notification_id"] for p in receiver.payloads()]
    assert len(set(ids)) == 3
    sb.shop_tokens("maple_seller")  # re-authorized: the new authorization is a year away
    sb.advance(DAY)
    assert not wait_until(lambda: len(receiver.received) > 3, timeout=0.3)


def test_delivery_does_not_block_the_sandbox(sb, receiver):
    receiver.gate = threading.Event()  # the receiver holds its reply until the test lets go
    _configure(sb, receiver)
    sb.shop_tokens("maple_seller")
    sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"})
    assert wait_until(lambda: _hooks(sb)["deliveries"][0]["state"] == "in_flight", timeout=TIMEOUT)
    assert sb.get("/_sandbox/clock").status_code == 200  # answered while the delivery is in flight
    assert sb.login_tokens()["access_token"].startswith("act.")
    assert receiver.received == []
    receiver.gate.set()
    assert wait_until(lambda: _hooks(sb)["deliveries"][0]["state"] == "delivered", timeout=TIMEOUT)


def test_webhook_control_validates_and_clears(sb, receiver):
    assert sb.post("/_sandbox/webhooks", json={"url": "ftp://x/"}).status_code == 400
    assert sb.post("/_sandbox/webhooks", json={"url": receiver.url, "retry_scale": 0}).status_code == 400
    assert sb.post("/_sandbox/webhooks", json={"url": receiver.url, "retry_scale": 2}).status_code == 400
    _configure(sb, receiver)
    cleared = sb.http.delete(sb.base + "/_sandbox/webhooks", timeout=TIMEOUT).json()
    assert cleared == {"url": None, "retry_scale": 1.0, "deliveries": []}
