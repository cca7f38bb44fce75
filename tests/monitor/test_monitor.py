"""The monitor pass over loopback against the in-process sandbox: refresh, broken/repaired, expiry, leases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests

from linkkit.models import LinkStatus, Provider, Role
from linkkit.monitor import Monitor
from linkkit.monitor.service import JOBS
from tests.integration.conftest import MAPLE, Harness
from tests.monitor.conftest import connected_link, rebind, unbind_in_seller_center

pytestmark = pytest.mark.integration

DAY = 86400.0


def _kinds(monitor: Monitor) -> list[tuple[str, int | None, str | None]]:
    return [(e.kind, e.link_id, e.reason) for e in reversed(monitor.registry.health_events())]


def test_a_token_near_expiry_is_refreshed_before_it_expires(h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None
    monitor = make_monitor(refresh_window_minutes=30)
    # TikTok's Login Kit access token lives 2 h in the sandbox: move to 10 minutes before it ends.
    h.control("POST", "/clock", {"advance_seconds": (before.expires_at - h.service.now()).total_seconds() - 600})
    report = monitor.run_once()
    after = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert after is not None
    assert report.refreshed == 1
    assert after.version == before.version + 1
    assert after.refresh_token != before.refresh_token  # rotated
    assert after.expires_at - monitor.now() > timedelta(hours=1)
    assert [e.kind for e in h.service.events(link_id=link.id, kinds=["refreshed"])] == ["refreshed"]
    # Outside the window nothing is refreshed again.
    assert monitor.run_once().refreshed == 0


def test_a_removed_binding_raises_broken_once_then_repaired_after_relinking(
        h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    monitor = make_monitor()
    assert monitor.run_once().events == []
    unbind_in_seller_center(h, link)
    broken = monitor.run_once()
    again = monitor.run_once()
    assert [(e.kind, e.reason) for e in broken.events] == [("broken", "binding_not_visible")]
    assert again.events == []
    assert h.service.link(link.id).status is LinkStatus.NEEDS_ATTENTION
    rebind(h, link)
    repaired = monitor.run_once()
    assert [(e.kind, e.link_id) for e in repaired.events] == [("repaired", link.id)]
    assert _kinds(monitor) == [("broken", link.id, "binding_not_visible"), ("repaired", link.id, None)]
    history = [(e.kind, e.actor) for e in reversed(h.service.events(link_id=link.id))
               if e.kind.startswith("health_")]
    assert history == [("health_broken", "monitor"), ("health_repaired", "monitor")]


def test_a_link_never_bound_is_not_called_broken(h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    h.connect()
    link = h.authorize(MAPLE, Role.OFFICIAL, "maple.official")
    report = make_monitor().run_once()
    assert report.verified == 1
    assert h.service.link(link.id).status is LinkStatus.AWAITING_SELLER_CENTER
    assert report.events == []


def test_expiring_is_raised_7_and_1_days_before_the_authorization_ends(
        h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    ends = h.service.link(link.id).token_expires_at
    assert ends is not None
    monitor = make_monitor(expiry_warning_days=[7, 1])
    h.control("POST", "/clock", {"advance_seconds": (ends - h.service.now()).total_seconds() - 6.5 * DAY})
    first = monitor.run_once()
    repeat = monitor.run_once()
    h.control("POST", "/clock", {"advance_seconds": 6 * DAY})
    last = monitor.run_once()
    link_events = [(e.kind, e.reason) for e in first.events + repeat.events + last.events if e.link_id == link.id]
    assert link_events == [("expiring", "token_expired"), ("expiring", "token_expired")]
    assert "in 7 days" in first.events[0].detail and "in 1 day" in [e for e in last.events if e.link_id][0].detail


def test_rate_limits_back_off_and_are_not_breakage(h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    sleeps: list[float] = []
    monitor = make_monitor(rate_limit_retries=2, rate_limit_backoff_seconds=0.5)
    monitor._sleep = sleeps.append
    h.control("POST", "/faults", {"kind": "http_429", "count": 100, "path_prefix": "/v2/user/info"})
    try:
        report = monitor.run_once()
    finally:
        requests.delete(f"{h.sandbox_url}/_sandbox/faults", timeout=10)
    assert report.rate_limited == 1
    assert sleeps == [0.5, 1.0]
    assert report.events == []
    assert monitor.registry.health_events() == []
    after = h.service.link(link.id)  # no verdict: the link keeps its status and says its last check failed
    assert after.status is LinkStatus.CONNECTED and after.last_check_failed_reason == "rate_limited"


def test_two_monitors_on_one_registry_do_each_job_once(make_harness: Callable[..., Harness],
                                                       make_monitor: Callable[..., Monitor]) -> None:
    """On both backends (``registry_url``: SQLite, and PostgreSQL from the shared ``postgres_server``)."""
    first_machine, second_machine = make_harness(), make_harness()
    link = connected_link(first_machine)
    unbind_in_seller_center(first_machine, link)
    monitors = [make_monitor(first_machine, channels=["dashboard"]),
                make_monitor(second_machine, channels=["dashboard"])]
    runs_before = len(first_machine.service.events(link_id=link.id, kinds=["check_failed", "verified"]))
    barrier = threading.Barrier(2)
    reports: list = [None, None]

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        reports[i] = monitors[i].run_once()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in reports)
    ran = [job for r in reports for job in r.jobs_run]
    assert sorted(ran) == sorted(JOBS)  # every job ran, and exactly once
    assert set(reports[0].jobs_run).isdisjoint(reports[1].jobs_run)
    # A third instance passing later in the same interval skips everything.
    late = make_monitor(second_machine, channels=["dashboard"]).run_once()
    assert late.jobs_run == []
    checks = first_machine.service.events(link_id=link.id, kinds=["check_failed", "verified"])
    assert len(checks) - runs_before == 1
    assert [e.kind for e in monitors[0].registry.health_events()] == ["broken"]
    assert len(monitors[0].registry.deliveries()) == 1


def test_run_forever_runs_passes_on_the_schedule_until_stopped(h: Harness,
                                                               make_monitor: Callable[..., Monitor]) -> None:
    connected_link(h)
    monitor = make_monitor(interval_seconds=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=monitor.run_forever, args=(stop,))
    thread.start()
    try:
        for _ in range(200):
            if monitor.registry.lease("monitor:alerts") is not None:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert monitor.registry.lease("monitor:verify") is not None


def test_a_long_job_keeps_its_lease_while_it_runs(h: Harness, make_monitor: Callable[..., Monitor],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    connected_link(h)
    monitor = make_monitor(lease_seconds=1.5)
    started, release = threading.Event(), threading.Event()
    real_verify = h.service.verify_all

    def slow_verify(shop_id: str | None = None, *args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(timeout=30)  # the verify job takes as long as the test says
        return real_verify(shop_id, *args, **kwargs)

    monkeypatch.setattr(h.service, "verify_all", slow_verify)
    thread = threading.Thread(target=monitor.run_once)
    thread.start()
    try:
        assert started.wait(timeout=30)
        threading.Event().wait(3.0)  # twice the lease's length
        now = monitor.now()
        other_got_it = monitor.registry.try_lease("monitor:verify", "other-instance", now=now,
                                                  until=now + timedelta(seconds=60))
    finally:
        release.set()
        thread.join(timeout=60)
    assert other_got_it is False


def test_an_expiring_alert_clears_from_the_dashboard_once_repair_renews_access(
        h: Harness, make_monitor: Callable[..., Monitor]) -> None:
    link = connected_link(h)
    ends = h.service.link(link.id).token_expires_at
    assert ends is not None
    monitor = make_monitor(expiry_warning_days=[7, 1])
    h.control("POST", "/clock", {"advance_seconds": (ends - h.service.now()).total_seconds() - 3 * DAY})
    monitor.run_once()
    shown = [(d.event.kind, d.event.reason) for d, _ in monitor.alerts() if d.event.link_id == link.id]
    assert shown == [("expiring", "token_expired")]
    monitor.run_once()  # still expiring: the alert stays
    assert [d.event.kind for d, _ in monitor.alerts() if d.event.link_id == link.id] == ["expiring"]
    repaired = h.authorize(MAPLE, Role.MARKETING, link.account.username, link_id=link.id)  # Repair: consent again
    assert repaired.id == link.id and repaired.token_expires_at is not None and repaired.token_expires_at > ends
    monitor.run_once()
    assert [d for d, _ in monitor.alerts() if d.event.link_id == link.id] == []  # cleared from the banner
    kept = [d for d, _ in monitor.alerts(unread_only=False) if d.event.link_id == link.id]
    assert [d.event.kind for d in kept] == ["expiring"] and kept[0].read_at is not None  # still in the history
