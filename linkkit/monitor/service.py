"""The monitor: one pass refreshes tokens, re-verifies links, watches expiry, handles webhooks, sends alerts.

Each pass runs six jobs; each job is done by one instance even when several monitors share a registry.
A job's lease (``monitor:<job>``) is taken by compare-and-swap before the job runs and, when the job
finishes, kept until the job is next due — so a second monitor arriving during the same interval skips it.
A job that fails lets its lease go at once, so another instance may retry.

Health events come from changes, never from a status alone (Plaid's item webhooks are the model):

- ``expiring`` — a link's refresh token or a shop's authorization ends within one of
  ``expiry_warning_days`` (default 7 and 1 days); one event per threshold per expiry date;
- ``broken`` — a link that was established (Seller Center's binding was seen, or it was Connected) now
  fails a check; "couldn't check" outcomes (``rate_limited``, ``provider_unavailable``) are not breakage;
- ``repaired`` — a link the monitor last called broken passes every check again, whoever fixed it;
- ``deauthorized`` — TikTok Shop's webhook type 6 said the seller removed the app.

Example:
    >>> from linkkit.monitor.service import JOBS
    >>> JOBS
    ('outbox', 'webhooks', 'refresh', 'verify', 'expiry', 'alerts')
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from linkkit import redact
from linkkit.errors import LinkkitError
from linkkit.linking import LinkService
from linkkit.models import Link, LinkStatus, Provider
from linkkit.monitor.alerts import Alert, AlertDispatcher
from linkkit.monitor.config import MonitorConfig
from linkkit.monitor.registry import AlertDelivery, HealthEvent, MonitorRegistry

__all__ = ["JOBS", "Monitor", "PassReport"]

log = logging.getLogger(__name__)

JOBS = ("outbox", "webhooks", "refresh", "verify", "expiry", "alerts")
COULD_NOT_CHECK = frozenset({"rate_limited", "provider_unavailable"})
# Reason codes (linkkit.troubleshoot entries) for events that have no failing check.
REASON_LINK_EXPIRING = "token_expired"  # its steps: Verify now, then Repair (re-authorize the same account)
REASON_SHOP_ENDING = "shop_not_connected"  # its steps: connect Seller Center again (step 1)
WEBHOOK_DEAUTHORIZATION = 6  # SELLER_DEAUTHORIZATION
WEBHOOK_UPCOMING_EXPIRATION = 7  # UPCOMING_AUTHORIZATION_EXPIRATION


@dataclass
class PassReport:
    """What one pass did (the CLI prints it; tests and the benchmark read it)."""

    started_at: datetime
    jobs_run: list[str] = field(default_factory=list)
    jobs_skipped: list[str] = field(default_factory=list)
    revoked: int = 0
    refreshed: int = 0
    verified: int = 0
    rate_limited: int = 0
    webhooks_handled: int = 0
    events: list[HealthEvent] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # reason codes, never messages with data in them

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(), "jobs_run": self.jobs_run, "jobs_skipped": self.jobs_skipped,
            "revoked": self.revoked, "refreshed": self.refreshed, "verified": self.verified,
            "rate_limited": self.rate_limited,
            "webhooks_handled": self.webhooks_handled,
            "events": [{"id": e.id, "kind": e.kind, "link_id": e.link_id, "shop_id": e.shop_id, "reason": e.reason}
                       for e in self.events],
            "deliveries": self.deliveries, "errors": self.errors,
        }


def _default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Monitor:
    """Keeps links healthy: run :meth:`run_once` from cron, or :meth:`run_forever` as a service.

    Args:
        service: The link service (its public ``refresh_tokens`` and ``verify`` do the TikTok work).
        registry: The monitor's storage (created on the service's registry when ``None``).
        config: The ``[monitor]`` settings (defaults when ``None``).
        holder: This instance's name in leases (host:pid:random by default).
        sleep: Used for rate-limit backoff (tests pass a fake).
    """

    def __init__(self, service: LinkService, registry: MonitorRegistry | None = None,
                 config: MonitorConfig | None = None, *, holder: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.service = service
        self.registry = registry or MonitorRegistry(service.store)
        self.config = config or MonitorConfig()
        self.holder = holder or _default_holder()
        self._sleep = sleep
        self.dispatcher = AlertDispatcher(self.registry, service.store, self.config,
                                          public_url=service.settings.public_url)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Monitor(holder={self.holder!r}, channels={list(self.config.channels)!r})"

    # --- time ---------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.service.now()

    def _sync_clock(self) -> None:
        """In sandbox mode, re-read the sandbox clock (someone may have advanced it since we last looked)."""
        if self.service.sandbox is None:
            return
        try:
            # LinkService exposes no public "sync"; advancing by zero seconds re-reads the offset.
            self.service.sandbox.advance_clock(0.0)
        except LinkkitError as exc:
            log.warning("Could not read the sandbox clock (%s)", exc.reason)

    # --- the pass -----------------------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        """One pass of every job this instance wins the lease for."""
        with self._lock:
            self._sync_clock()
            report = PassReport(started_at=self.now())
            jobs: dict[str, Callable[[PassReport], None]] = {
                "outbox": self._job_outbox, "webhooks": self._job_webhooks, "refresh": self._job_refresh,
                "verify": self._job_verify,
                "expiry": self._job_expiry, "alerts": self._job_alerts,
            }
            for name, job in jobs.items():
                self._run_job(name, job, report)
            log.info("Monitor pass: ran %s, skipped %s, %d events", report.jobs_run, report.jobs_skipped,
                     len(report.events))
            return report

    def _run_job(self, name: str, job: Callable[[PassReport], None], report: PassReport) -> None:
        lease = f"monitor:{name}"
        started = self.now()
        if not self.registry.try_lease(lease, self.holder, now=started,
                                       until=started + timedelta(seconds=self.config.lease_seconds)):
            report.jobs_skipped.append(name)
            return
        # A long job (thousands of links) renews its lease while it runs, so no other instance starts it too.
        done = threading.Event()
        heartbeat = threading.Thread(target=self._renew_while_running, args=(lease, done),
                                     name=f"monitor-lease-{name}", daemon=True)
        heartbeat.start()
        try:
            job(report)
        except Exception:
            log.exception("Monitor job %s failed; its lease is released for another instance", name)
            report.errors.append(f"job_failed:{name}")
            done.set()
            heartbeat.join(timeout=30)
            self.registry.release_lease(lease, self.holder, self.now())
            return
        done.set()
        heartbeat.join(timeout=30)
        report.jobs_run.append(name)
        # Keep the lease until the job is next due: another instance arriving this interval skips it.
        keep = started + timedelta(seconds=self.config.pass_interval_seconds * 0.9)
        self.registry.hold_lease(lease, self.holder, max(keep, self.now()))

    def _renew_while_running(self, lease: str, done: threading.Event) -> None:
        every = max(0.05, self.config.lease_seconds / 3)
        while not done.wait(every):
            try:
                self.registry.hold_lease(lease, self.holder,
                                         self.now() + timedelta(seconds=self.config.lease_seconds))
            except LinkkitError as exc:
                log.warning("Could not renew the lease %s (%s)", lease, exc.reason)

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Run passes on the configured schedule (APScheduler 3.x) until ``stop`` is set or Ctrl-C."""
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        stop = stop or threading.Event()
        trigger: Any = (IntervalTrigger(seconds=self.config.interval_seconds, timezone=UTC)
                        if self.config.interval_seconds else CronTrigger.from_crontab(self.config.schedule,
                                                                                      timezone=UTC))
        scheduler = BackgroundScheduler(timezone=UTC)
        # coalesce + max_instances=1: a slow pass never piles up a queue of missed ones.
        scheduler.add_job(self._scheduled_pass, trigger, id="monitor-pass", coalesce=True, max_instances=1,
                          next_run_time=datetime.now(UTC), misfire_grace_time=None)
        scheduler.start()
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown(wait=True)

    def _scheduled_pass(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("Monitor pass failed")

    # --- jobs ---------------------------------------------------------------------------------------------

    def _job_outbox(self, report: PassReport) -> None:
        """Give back the grants the revocation outbox still holds (a process died, or TikTok did not answer).

        A drain takes a bounded batch; drain again while batches confirm something. A row TikTok refused
        backs off inside the drain (not due again this pass), so the loop ends.
        """
        for _ in range(100):
            done = self.service.drain_outbox()
            report.revoked += done
            if done == 0:
                return

    def _job_webhooks(self, report: PassReport) -> None:
        """Act on webhooks received but not yet handled (the receiver crashed, or handling failed)."""
        for hook in self.registry.unhandled_webhooks():
            if self.handle_webhook(hook.id, report) is not None:
                report.webhooks_handled += 1

    def _job_refresh(self, report: PassReport) -> None:
        now = self.now()
        window = timedelta(seconds=self.config.refresh_window_seconds)
        done: set[str] = set()
        for link in self.service.store.links():
            if link.account.open_id in done or link.access_expires_at is None:
                continue
            if link.access_expires_at - now > window:
                continue
            if link.token_expires_at is not None and link.token_expires_at <= now:
                continue  # the refresh token itself ended: only re-authorizing helps (verify says so)
            done.add(link.account.open_id)
            try:
                # Rotation-safe inside LinkService: the refresh token is spent under its lease (TokenKeeper).
                report.refreshed += self.service.refresh_tokens(link.id, force=True)
            except LinkkitError as exc:
                report.errors.append(f"refresh:{exc.reason}")
                log.info("Refreshing link %s failed (%s); verification will report it", link.id, exc.reason)

    def _job_verify(self, report: PassReport) -> None:
        """Re-verify every active link, a shop at a time (its Seller Center data read once for all its links),
        several shops at once (``concurrency``); a rate-limited link is retried alone with backoff."""
        links = [link for link in self.service.store.links() if link.status is not LinkStatus.UNLINKED]
        last = self.registry.last_link_state_events()
        by_shop: dict[str, list[Link]] = {}
        for link in links:
            by_shop.setdefault(link.shop_id, []).append(link)
        with ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="monitor-verify") as pool:
            checked = list(pool.map(self._verify_shop, by_shop.items()))
        for shop_links, results in zip(by_shop.values(), checked, strict=True):
            for before in shop_links:
                after, reason = results.get(before.id, (None, None))
                if reason is not None:
                    if reason == "rate_limited":
                        report.rate_limited += 1
                    report.errors.append(f"verify:{reason}")
                if after is None:
                    continue
                report.verified += 1
                event = self._transition(before, after, last.get(before.id))
                if event is not None:
                    report.events.append(event)

    def _verify_shop(self, item: tuple[str, list[Link]]) -> dict[int, tuple[Link | None, str | None]]:
        """Verify one shop's links in one batch; ``{link id: (link after, reason it could not be checked)}``.

        Links the batch leaves out (found in Seller Center, not authorized in linkkit) have no entry.
        """
        shop_id, links = item
        wanted = {link.id for link in links}
        try:
            checked = self.service.verify_all(shop_id)
        except LinkkitError as exc:
            return {link.id: (None, exc.reason) for link in links}
        results: dict[int, tuple[Link | None, str | None]] = {}
        for link in checked:
            if link.id not in wanted:
                continue  # imported by this pass's reconciliation: nothing of ours to check yet
            if link.last_check_failed_reason == "rate_limited":
                results[link.id] = self._retry_rate_limited(link)
            else:
                results[link.id] = (link, None)
        return results

    def _retry_rate_limited(self, link: Link) -> tuple[Link | None, str | None]:
        """TikTok rate-limited a link's check: back off exponentially and verify it alone again (bounded)."""
        delay = self.config.rate_limit_backoff_seconds
        result: Link | None = link
        for attempt in range(1, self.config.rate_limit_retries + 1):
            self._sleep(delay * 2 ** (attempt - 1))
            try:
                result = self.service.verify(link.id)
            except LinkkitError as exc:
                if exc.reason != "rate_limited" or attempt == self.config.rate_limit_retries:
                    return None, exc.reason
                continue
            # a check TikTok would not answer leaves the link as it was and says why in last_check_failed_reason
            if result.last_check_failed_reason != "rate_limited":
                return result, None
        return result, "rate_limited"

    def _transition(self, before: Link, after: Link, last: HealthEvent | None) -> HealthEvent | None:
        failing = after.failing_check
        if after.status is LinkStatus.CONNECTED:
            if last is not None and last.kind == "broken":
                return self._raise("repaired", dedupe_key=f"repaired:link:{after.id}:after:{last.id}",
                                   link=after, reason=None, detail="Every check passes again.")
            return None
        if after.status is not LinkStatus.NEEDS_ATTENTION or failing is None:
            return None
        if failing.reason in COULD_NOT_CHECK:
            return None  # couldn't check is not broken: the previous status stands
        established = before.status is LinkStatus.CONNECTED or after.linked_at is not None
        if not established or (last is not None and last.kind == "broken"):
            return None
        return self._raise("broken", dedupe_key=f"broken:link:{after.id}:after:{last.id if last else 0}",
                           link=after, reason=failing.reason, detail=f"{failing.name.label}: {failing.detail}")

    def _job_expiry(self, report: PassReport) -> None:
        now = self.now()
        current = self.service.store.links()
        self._clear_resolved_alerts(now, {link.id: link for link in current})
        for link in current:
            if link.token_expires_at is None:
                continue
            event = self._expiring(now, link.token_expires_at, key=f"link:{link.id}", link=link,
                                   shop_id=link.shop_id, what="linkkit's TikTok access to this account",
                                   reason=REASON_LINK_EXPIRING)
            if event is not None:
                report.events.append(event)
        health = self.registry.all_shop_health()
        for shop in self.service.store.shops():
            known = health.get(shop.id)
            if known is not None and known.deauthorized_at is not None:
                continue
            ends = known.authorization_expires_at if known else None
            if ends is None and shop.seller_open_id:
                token = self.service.store.token(Provider.SHOP, shop.seller_open_id)
                ends = token.refresh_expires_at if token else None
            if ends is None:
                continue
            event = self._expiring(now, ends, key=f"shop:{shop.id}", link=None, shop_id=shop.id,
                                   what="The shop's authorization for linkkit", reason=REASON_SHOP_ENDING)
            if event is not None:
                report.events.append(event)

    def _clear_resolved_alerts(self, now: datetime, links: dict[int, Link]) -> None:
        """Take alerts whose cause is gone off the dashboard (marked read, as if dismissed).

        An ``expiring`` alert of a link goes once the link's TikTok access no longer ends within the warning
        windows (Repair re-authorized it) or the link is gone; a ``broken`` one once the link is Connected
        again or gone. The events stay in the history; only the banner clears.
        """
        horizon = timedelta(days=max(self.config.expiry_warning_days, default=0))
        for delivery in self.registry.dashboard_alerts(unread_only=True):
            event = delivery.event
            if event.link_id is None:
                continue
            link = links.get(event.link_id)
            if event.kind == "expiring":
                resolved = link is None or link.token_expires_at is None or link.token_expires_at - now > horizon
            elif event.kind == "broken":
                resolved = link is None or link.status is LinkStatus.CONNECTED
            else:
                continue
            if resolved:
                self.registry.mark_read(delivery.id, now)
                log.info("Alert %s (%s, link %s) cleared: its cause is gone", delivery.id, event.kind, link and link.id)

    def _expiring(self, now: datetime, ends: datetime, *, key: str, link: Link | None, shop_id: str,
                  what: str, reason: str, source: str = "") -> HealthEvent | None:
        left = ends - now
        if left <= timedelta(0):
            return None  # already over: verification (or the webhook) reports it as broken
        windows = sorted(self.config.expiry_warning_days)
        bucket = next((f"{d}d" for d in windows if left <= timedelta(days=d)), None)
        if bucket is None:
            if not source:
                return None
            bucket = "notice"  # TikTok's first type-7 warning (30 days before) arrives before our windows
        days = max(1, int(-(-left.total_seconds() // 86400)))
        detail = f"{what} ends on {ends:%Y-%m-%d %H:%M} UTC (in {days} day{'s' if days != 1 else ''})."
        return self._raise("expiring", dedupe_key=f"expiring:{key}:{ends:%Y-%m-%d}:{bucket}",
                           link=link, shop_id=shop_id, reason=reason, detail=detail + source)

    def _job_alerts(self, report: PassReport) -> None:
        now = self.now()
        report.deliveries = self.dispatcher.deliver_due(now)
        if any([self.config.email.digest and "email" in self.config.channels,
                self.config.webhook.digest and "webhook" in self.config.channels]):
            day = now.strftime("%Y-%m-%d")
            if self.registry.try_lease(f"monitor:digest:{day}", self.holder, now=now,
                                       until=now + timedelta(days=2)):
                report.deliveries["digested"] = self.dispatcher.send_digests(now)

    # --- events -------------------------------------------------------------------------------------------

    def _raise(self, kind: str, *, dedupe_key: str, link: Link | None, reason: str | None, detail: str,
               shop_id: str | None = None) -> HealthEvent | None:
        shop_id = link.shop_id if link is not None else shop_id
        event = self.registry.add_health_event(
            kind, dedupe_key=dedupe_key, at=self.now(), shop_id=shop_id, link_id=link.id if link else None,
            reason=reason, detail=redact.redact(detail), channels=self.config.channels,
        )
        if event is None:
            return None  # raised before (by us on an earlier pass, or by another instance)
        # The registry's history (link_events) shows it too, with the actor "monitor".
        self.service.store.add_event(f"health_{kind}", shop_id=shop_id, link_id=event.link_id, actor="monitor",
                                     detail=event.detail[:300] + (f" [{reason}]" if reason else ""),
                                     username=link.account.username if link else "",
                                     role=link.role.value if link else "")
        log.info("Health event %s: %s (link %s, shop %s, %s)", event.id, kind, event.link_id, shop_id, reason)
        return event

    # --- webhooks -----------------------------------------------------------------------------------------

    def handle_webhook(self, webhook_id: int, report: PassReport | None = None) -> str | None:
        """Act on a stored TikTok Shop webhook exactly once; returns the outcome (``None`` if taken already)."""
        if report is None:  # called by the receiver, outside a pass
            self._sync_clock()
        now = self.now()
        if not self.registry.claim_webhook(webhook_id, now):
            return None
        hook = self.registry.webhook(webhook_id)
        assert hook is not None
        try:
            outcome, event = self._act_on_webhook(hook.type, json.loads(hook.body), now)
        except Exception:
            log.exception("Handling webhook %s failed; the next pass retries it", webhook_id)
            self.registry.release_webhook(webhook_id)
            return None
        self.registry.finish_webhook(webhook_id, outcome)
        if report is not None and event is not None:
            report.events.append(event)
        return outcome

    def _act_on_webhook(self, type_: int | None, payload: dict[str, Any], now: datetime
                        ) -> tuple[str, HealthEvent | None]:
        shop_id = str(payload.get("shop_id") or "")
        if type_ not in (WEBHOOK_DEAUTHORIZATION, WEBHOOK_UPCOMING_EXPIRATION):
            return f"ignored_type_{type_}", None
        if not shop_id or self.service.store.shop(shop_id) is None:
            return "unknown_shop", None
        notification = str(payload.get("tts_notification_id", ""))
        if type_ == WEBHOOK_DEAUTHORIZATION:
            self.registry.set_shop_health(shop_id, now, deauthorized_at=now)
            event = self._raise("deauthorized", dedupe_key=f"deauthorized:shop:{shop_id}:{notification}", link=None,
                                shop_id=shop_id, reason=REASON_SHOP_ENDING,
                                detail="The seller removed linkkit's authorization in TikTok Shop (webhook).")
            return "deauthorized", event
        data = payload.get("data") or {}
        try:
            ends = datetime.fromtimestamp(int(data["expiration_time"]), UTC)
        except (KeyError, TypeError, ValueError):
            return "bad_expiration_time", None
        self.registry.set_shop_health(shop_id, now, authorization_expires_at=ends)
        event = self._expiring(now, ends, key=f"shop:{shop_id}", link=None, shop_id=shop_id,
                               what="The shop's authorization for linkkit", reason=REASON_SHOP_ENDING,
                               source=" TikTok Shop announced it (webhook).")
        return "expiring", event

    # --- for the dashboard --------------------------------------------------------------------------------

    def alerts(self, shop_id: str | None = None, unread_only: bool = True) -> list[tuple[AlertDelivery, Alert]]:
        """The dashboard channel's alerts (banner / Alerts list), newest first, each with its rendered alert."""
        return self.dispatcher.alerts(shop_id=shop_id, unread_only=unread_only)

    def mark_read(self, delivery_id: int) -> None:
        """The seller dismissed a dashboard alert."""
        self.registry.mark_read(delivery_id, self.now())
