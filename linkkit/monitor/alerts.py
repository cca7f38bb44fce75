"""Alerts: each health event on each configured channel, once, never a storm, never a secret.

Channels:

- ``dashboard`` — stored; :meth:`AlertDispatcher.alerts` lists them for the dashboard's banner and Alerts list.
- ``email`` — SMTP with STARTTLS (``smtplib``), a plain-text message with the troubleshooting steps and the
  repair link.
- ``webhook`` — a JSON POST with a Slack-compatible ``text`` field, signed with HMAC-SHA256 over
  ``"<timestamp>.<body>"`` in ``X-Linkkit-Signature: t=<timestamp>,v1=<hex>`` (Stripe's webhook scheme, so
  a receiver can refuse replays), retried with exponential backoff.

A delivery row exists per (event, channel) — the unique key makes "one alert per event per channel" a
database fact. Per link, at most ``alerts_per_link_per_day`` alerts leave on email/webhook in 24 hours; the
rest are marked ``suppressed`` (still listed in the dashboard). With ``digest = true`` a channel collects its
alerts and sends one message a day.

An alert is built only from the health event's fields, the link's @username and role, the shop's name, the
troubleshooting entry for the event's reason and the repair URL; the text still passes through
:func:`linkkit.redact.redact` on its way out.

Example:
    >>> from datetime import UTC, datetime
    >>> from linkkit.monitor.registry import HealthEvent
    >>> event = HealthEvent(1, datetime(2026, 11, 26, tzinfo=UTC), "broken", "s1", 7, "token_revoked",
    ...                     "TikTok access works: access was withdrawn.", "monitor")
    >>> alert = render_alert(event, repair_url="http://127.0.0.1:8866/voila/render/x.ipynb?repair=7")
    >>> alert.subject
    '[linkkit] Link #7 is broken: Access to the account was withdrawn'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import requests

from linkkit import redact, troubleshoot
from linkkit.monitor.config import MonitorConfig
from linkkit.monitor.registry import AlertDelivery, HealthEvent, MonitorRegistry
from linkkit.store import Store

__all__ = ["Alert", "AlertDispatcher", "render_alert", "sign_payload"]

log = logging.getLogger(__name__)

_HEADLINES = {
    "expiring": "expires soon",
    "broken": "is broken",
    "repaired": "is working again",
    "deauthorized": "was deauthorized",
}


@dataclass(frozen=True)
class Alert:
    """What one health event says to a person, in every channel's shape."""

    event_id: int
    kind: str
    subject: str
    text: str  # plain text (email body, Slack ``text``)
    repair_url: str
    troubleshooting_title: str
    troubleshooting_steps: tuple[str, ...]
    link_id: int | None
    shop_id: str | None
    reason: str | None

    def payload(self) -> dict[str, Any]:
        """The outgoing webhook's JSON object (Slack reads ``text``)."""
        return {
            "text": self.text,
            "event": {"id": self.event_id, "kind": self.kind, "link_id": self.link_id, "shop_id": self.shop_id,
                      "reason": self.reason},
            "troubleshooting": {"title": self.troubleshooting_title, "steps": list(self.troubleshooting_steps)},
            "repair_url": self.repair_url,
        }


def render_alert(event: HealthEvent, *, repair_url: str, subject_name: str = "") -> Alert:
    """Build the alert for ``event``.

    Args:
        event: The health event.
        repair_url: The dashboard URL that repairs this link (or reconnects the shop).
        subject_name: How to name what changed (``@username (Official) in Maple``); defaults to the id.
    """
    name = subject_name or (f"Link #{event.link_id}" if event.link_id is not None else f"Shop {event.shop_id}")
    headline = f"{name} {_HEADLINES.get(event.kind, event.kind)}"
    lines = [f"{headline}.", event.detail] if event.detail else [f"{headline}."]
    title: str = ""
    steps: tuple[str, ...] = ()
    if event.kind != "repaired" and event.reason:
        item = troubleshoot.entry(event.reason)
        title, steps = item.title, tuple(item.steps)
        lines += ["", f"What to do — {title}:", *[f"{n}. {s}" for n, s in enumerate(steps, start=1)]]
    lines += ["", f"{'Open' if event.kind == 'repaired' else 'Repair'}: {repair_url}",
              f"(linkkit monitor, {event.at:%Y-%m-%d %H:%M} UTC)"]
    subject = f"[linkkit] {headline}" + (f": {title}" if title else "")
    return Alert(
        event_id=event.id, kind=event.kind, subject=redact.redact(subject), text=redact.redact("\n".join(lines)),
        repair_url=repair_url, troubleshooting_title=title, troubleshooting_steps=steps, link_id=event.link_id,
        shop_id=event.shop_id, reason=event.reason,
    )


def sign_payload(secret: str, body: bytes, timestamp: int) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` for ``X-Linkkit-Signature``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class AlertDispatcher:
    """Delivers due alerts on every channel.

    Args:
        registry: The monitor's storage.
        store: The registry (link and shop names for the text).
        config: Channels, SMTP, webhook, limits, URLs.
        public_url: The dashboard's public URL (fills ``{public_url}`` in the repair URL).
        session: HTTP session for the outgoing webhook (tests pass one; a new one otherwise).
    """

    def __init__(self, registry: MonitorRegistry, store: Store, config: MonitorConfig, *, public_url: str,
                 session: requests.Session | None = None,
                 smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP) -> None:
        self.registry = registry
        self.store = store
        self.config = config
        self.public_url = public_url.rstrip("/")
        self._session = session or requests.Session()
        self._smtp_factory = smtp_factory
        if config.webhook.secret:
            redact.register(config.webhook.secret)
        if config.email.password:
            redact.register(config.email.password)

    def __repr__(self) -> str:
        return f"AlertDispatcher(channels={list(self.config.channels)!r})"

    # --- text ---------------------------------------------------------------------------------------------

    def repair_url(self, event: HealthEvent) -> str:
        if event.link_id is not None:
            return self.config.repair_url.format(public_url=self.public_url, link_id=event.link_id,
                                                 shop_id=event.shop_id or "")
        return self.config.shop_url.format(public_url=self.public_url, shop_id=event.shop_id or "", link_id="")

    def render(self, event: HealthEvent) -> Alert:
        return render_alert(event, repair_url=self.repair_url(event), subject_name=self._name(event))

    def _name(self, event: HealthEvent) -> str:
        shop = self.store.shop(event.shop_id) if event.shop_id else None
        shop_name = shop.name if shop else (event.shop_id or "")
        if event.link_id is not None:
            link = self.store.link(event.link_id)
            if link is not None and link.account.username:
                return f"@{link.account.username} ({link.role.label}) in {shop_name}"
            return f"Link #{event.link_id} in {shop_name}"
        return f"Shop {shop_name}"

    # --- delivery -----------------------------------------------------------------------------------------

    def deliver_due(self, now: datetime) -> dict[str, int]:
        """Send every due delivery; returns counts by outcome."""
        counts: dict[str, int] = {}
        for channel in self.config.channels:
            for delivery in self.registry.due_deliveries(channel, now):
                outcome = self._deliver(delivery, now)
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def _deliver(self, delivery: AlertDelivery, now: datetime) -> str:
        # Claim first (compare-and-swap on attempts): two monitors never send the same attempt twice.
        if not self.registry.claim_delivery(delivery.id, delivery.attempts, now + timedelta(minutes=10)):
            return "raced"
        channel, event = delivery.channel, delivery.event
        if channel == "dashboard":
            self.registry.mark_delivery(delivery.id, "sent", now=now)
            return "sent"
        digest = self.config.email.digest if channel == "email" else self.config.webhook.digest
        if digest:
            self.registry.mark_delivery(delivery.id, "digest", now=now)
            return "digest"
        since = now - timedelta(days=1)
        if self.registry.sent_count_since(channel, event.link_id, event.shop_id, since) >= \
                self.config.alerts_per_link_per_day:
            self.registry.mark_delivery(delivery.id, "suppressed", now=now,
                                        error=f"more than {self.config.alerts_per_link_per_day} alerts in 24 h")
            return "suppressed"
        alert = self.render(event)
        try:
            self._send(channel, alert.subject, alert.text, alert.payload())
        except Exception as exc:  # any transport failure: retry with backoff, never crash the pass
            return self._retry(delivery, now, exc)
        self.registry.mark_delivery(delivery.id, "sent", now=now)
        return "sent"

    def _retry(self, delivery: AlertDelivery, now: datetime, exc: Exception) -> str:
        attempts = delivery.attempts + 1
        error = redact.redact(f"{type(exc).__name__}: {exc}")[:300]
        limit = self.config.webhook.max_attempts if delivery.channel == "webhook" else 5
        if attempts >= limit:
            self.registry.mark_delivery(delivery.id, "failed", now=now, error=error)
            log.warning("Alert %s on %s failed after %d attempts: %s", delivery.id, delivery.channel, attempts,
                        error)
            return "failed"
        base = self.config.webhook.backoff_seconds if delivery.channel == "webhook" else 60.0
        self.registry.mark_delivery(delivery.id, "pending", now=now, error=error,
                                    next_attempt_at=now + timedelta(seconds=base * 2 ** (attempts - 1)))
        log.info("Alert %s on %s will be retried (%s)", delivery.id, delivery.channel, error)
        return "retry"

    def send_digests(self, now: datetime) -> int:
        """Send one message per digest channel with every held alert; returns how many alerts went out."""
        sent = 0
        for channel in self.config.channels:
            held = self.registry.digest_deliveries(channel)
            if not held:
                continue
            alerts = [self.render(d.event) for d in held]
            subject = f"[linkkit] Daily digest: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
            text = "\n\n---\n\n".join(a.text for a in alerts)
            try:
                self._send(channel, subject, text, {"text": f"{subject}\n\n{text}",
                                                    "alerts": [a.payload() for a in alerts]})
            except Exception as exc:
                log.warning("The %s digest could not be sent: %s", channel, redact.redact(str(exc)))
                continue
            for delivery in held:
                self.registry.mark_delivery(delivery.id, "digested", now=now)
            sent += len(held)
        return sent

    def _send(self, channel: str, subject: str, text: str, payload: dict[str, Any]) -> None:
        if channel == "email":
            self.send_email(subject, text)
        elif channel == "webhook":
            self.post_webhook(payload)
        else:
            raise ValueError(f"unknown channel {channel!r}")

    def send_email(self, subject: str, text: str) -> None:
        """One plain-text message to the configured recipients (STARTTLS unless turned off)."""
        cfg = self.config.email
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = cfg.sender
        message["To"] = ", ".join(cfg.recipients)
        message.set_content(text)
        with self._smtp_factory(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=cfg.ca_file or None))
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
            smtp.send_message(message)

    def post_webhook(self, payload: dict[str, Any]) -> None:
        """POST ``payload`` signed; raises on a non-2xx answer so the caller retries."""
        cfg = self.config.webhook
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(time.time())
        response = self._session.post(cfg.url, data=body, timeout=cfg.timeout, headers={
            "Content-Type": "application/json", "X-Linkkit-Signature": sign_payload(cfg.secret, body, timestamp),
            "User-Agent": "linkkit-monitor",
        })
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"the webhook answered HTTP {response.status_code}")

    # --- dashboard ----------------------------------------------------------------------------------------

    def alerts(self, shop_id: str | None = None, unread_only: bool = True) -> list[tuple[AlertDelivery, Alert]]:
        """Dashboard alerts, newest first, each with its rendered text, troubleshooting entry and repair URL."""
        return [(d, self.render(d.event)) for d in
                self.registry.dashboard_alerts(shop_id=shop_id, unread_only=unread_only)]
