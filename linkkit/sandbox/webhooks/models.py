"""TikTok Shop webhooks the sandbox emits: events, signatures, the retry schedule and the delivery log.

No HTTP here (``sender.py`` posts). Types follow TikTok Shop's seller webhooks: **6**
``SELLER_DEAUTHORIZATION`` when a seller removes the app, **7** ``UPCOMING_AUTHORIZATION_EXPIRATION`` from
30 days before an authorization expires, then daily at 00:00 UTC until the seller re-authorizes. Payload
``{type, tts_notification_id, shop_id, timestamp, data}``; header ``Authorization:
hex(HMAC_SHA256(app_secret, app_key + raw_body))``. A delivery that does not get a 2xx is retried 2 min,
30 min, 3 h and 12 h after the first attempt, on the sandbox clock, each delay multiplied by
``retry_scale`` (a test sets e.g. 0.001 to finish in a fraction of a second), then given up.

Example:
    >>> webhook_signature("key", "secret", '{"type":6}')[:16]
    'd6d1a82d123e6864'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..world import DAY

SELLER_DEAUTHORIZATION = 6
UPCOMING_AUTHORIZATION_EXPIRATION = 7
TYPE_NAMES = {
    SELLER_DEAUTHORIZATION: "SELLER_DEAUTHORIZATION",
    UPCOMING_AUTHORIZATION_EXPIRATION: "UPCOMING_AUTHORIZATION_EXPIRATION",
}
RETRY_OFFSETS = (120.0, 1800.0, 10800.0, 43200.0)  # after the first attempt: 2 min, 30 min, 3 h, 12 h
EXPIRY_NOTICE = 30 * DAY
DELIVERY_LIMIT = 1000


def webhook_signature(app_key: str, app_secret: str, raw_body: str) -> str:
    """The ``Authorization`` header TikTok Shop sends: ``hex(HMAC_SHA256(app_secret, app_key + raw_body))``."""
    return hmac.new(app_secret.encode(), (app_key + raw_body).encode(), hashlib.sha256).hexdigest()


@dataclass
class Attempt:
    at: float  # sandbox time
    status: int | None  # HTTP status, or None when the receiver could not be reached
    error: str | None = None


@dataclass
class Delivery:
    """One event and its delivery attempts."""

    tts_notification_id: str
    type: int
    shop_id: str
    body: str  # the exact bytes (UTF-8) that are signed and posted
    created_at: float
    next_attempt_at: float | None
    state: str = "pending"  # pending | in_flight | delivered | failed
    attempts: list[Attempt] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """The delivery as ``GET /_sandbox/webhooks`` shows it (the signature is never shown)."""
        return {
            "tts_notification_id": self.tts_notification_id,
            "type": self.type,
            "type_name": TYPE_NAMES.get(self.type, ""),
            "shop_id": self.shop_id,
            "payload": json.loads(self.body),
            "signature": "[redacted]",
            "state": self.state,
            "created_at": self.created_at,
            "next_attempt_at": self.next_attempt_at,
            "attempts": [{"at": a.at, "status": a.status, "error": a.error} for a in self.attempts],
        }


class WebhookBackend:
    """Where events go, the events waiting or delivered, and which expiry notices were sent."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.retry_scale = 1.0
        self.deliveries: list[Delivery] = []
        self._seq = 0
        self._expiry_sent: dict[str, str] = {}  # grant id -> notice key (first / YYYY-MM-DD)

    def configure(self, url: str | None, retry_scale: float) -> None:
        self.url = url
        self.retry_scale = retry_scale

    def _notification_id(self) -> str:
        # TikTok's ids are 19-digit decimal strings; the sequence number makes ours unique.
        self._seq += 1
        return str(7_300_000_000_000_000_000 + self._seq * 1_000_000 + secrets.randbelow(1_000_000))

    def emit(self, type_: int, shop_id: str, data: dict[str, Any], now: float) -> Delivery | None:
        """Queue an event for the configured URL (nothing happens while no URL is configured)."""
        if self.url is None:
            return None
        notification_id = self._notification_id()
        payload = {
            "type": type_,
            "tts_notification_id": notification_id,
            "shop_id": shop_id,
            "timestamp": int(now),
            "data": data,
        }
        body = json.dumps(payload, separators=(",", ":"))
        delivery = Delivery(notification_id, type_, shop_id, body, now, now)
        self.deliveries.append(delivery)
        del self.deliveries[:-DELIVERY_LIMIT]
        return delivery

    def seller_deauthorized(self, shop_ids: list[str], now: float) -> list[Delivery]:
        """Type 6, one per shop of the seller."""
        out = [
            self.emit(SELLER_DEAUTHORIZATION, shop_id, {"message": "The seller deauthorized the app."}, now)
            for shop_id in shop_ids
        ]
        return [d for d in out if d is not None]

    def check_expiry(self, grant_id: str, expires_at: float, shop_ids: list[str], now: float) -> list[Delivery]:
        """Type 7 when ``now`` is within 30 days of ``expires_at``: once on entering the window, then once per
        UTC day (a clock jump over several days sends one notice, not one per day skipped)."""
        start = expires_at - EXPIRY_NOTICE
        if self.url is None or not start <= now < expires_at:
            return []
        first_midnight = (int(start) // DAY + 1) * DAY
        key = "first" if now < first_midnight else _dt.datetime.fromtimestamp(now, _dt.UTC).date().isoformat()
        if self._expiry_sent.get(grant_id) == key:
            return []
        self._expiry_sent[grant_id] = key
        out = [
            self.emit(UPCOMING_AUTHORIZATION_EXPIRATION, shop_id, {"expiration_time": int(expires_at)}, now)
            for shop_id in shop_ids
        ]
        return [d for d in out if d is not None]

    def take_due(self, now: float) -> list[Delivery]:
        """Deliveries whose next attempt is due, marked ``in_flight``."""
        if self.url is None:
            return []
        due = [
            d
            for d in self.deliveries
            if d.state == "pending" and d.next_attempt_at is not None and d.next_attempt_at <= now
        ]
        for d in due:
            d.state = "in_flight"
        return due

    def record_attempt(self, delivery: Delivery, now: float, status: int | None, error: str | None) -> None:
        """Log an attempt; schedule the next retry, or mark the delivery delivered or failed."""
        delivery.attempts.append(Attempt(now, status, error))
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.next_attempt_at = "delivered", None
            return
        retries = len(delivery.attempts) - 1
        if retries >= len(RETRY_OFFSETS):
            delivery.state, delivery.next_attempt_at = "failed", None
            return
        first = delivery.attempts[0].at
        delivery.state = "pending"
        delivery.next_attempt_at = first + RETRY_OFFSETS[retries] * self.retry_scale


__all__ = [
    "RETRY_OFFSETS",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
    "Delivery",
    "WebhookBackend",
    "webhook_signature",
]
