"""The monitor's tables: de-duplication by unique keys and the compare-and-swap lease."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from linkkit.crypto import TokenBox
from linkkit.monitor.registry import TABLES, MonitorRegistry
from linkkit.store import Store

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# PostgreSQL too when a throw-away server is given (registry-pg's shared DB fixture replaces this at merge).
PG_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MonitorRegistry]:
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("set MONITOR_TEST_POSTGRES_URL to run on PostgreSQL")
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'r.db'}"
    store = Store(url, TokenBox(Fernet.generate_key().decode()))
    registry = MonitorRegistry(store)
    if request.param == "postgresql":
        with store.engine.begin() as conn:
            for table in reversed(TABLES):
                conn.execute(table.delete())
    yield registry
    store.close()


def test_the_same_health_fact_is_stored_once_with_one_delivery_per_channel(registry: MonitorRegistry) -> None:
    first = registry.add_health_event("deauthorized", dedupe_key="deauthorized:shop:s1:n1", at=T0, shop_id="s1",
                                      reason="shop_not_connected", channels=("dashboard", "email"))
    second = registry.add_health_event("deauthorized", dedupe_key="deauthorized:shop:s1:n1", at=T0, shop_id="s1",
                                       reason="shop_not_connected", channels=("dashboard", "email"))
    assert first is not None and first.actor == "monitor"
    assert second is None
    assert registry.counts()["monitor_health_events"] == 1
    assert sorted(d.channel for d in registry.deliveries()) == ["dashboard", "email"]


def test_an_unknown_kind_is_refused_and_nothing_is_stored(registry: MonitorRegistry) -> None:
    with pytest.raises(ValueError):
        registry.add_health_event("sad", dedupe_key="x", at=T0)
    assert registry.counts()["monitor_health_events"] == 0


def test_a_lease_is_exclusive_until_it_expires(registry: MonitorRegistry) -> None:
    assert registry.try_lease("job", "a", now=T0, until=T0 + timedelta(minutes=5))
    refused = registry.try_lease("job", "b", now=T0 + timedelta(minutes=4), until=T0 + timedelta(minutes=9))
    renewed = registry.try_lease("job", "a", now=T0 + timedelta(minutes=4), until=T0 + timedelta(minutes=9))
    taken_over = registry.try_lease("job", "b", now=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=15))
    assert (refused, renewed, taken_over) == (False, True, True)
    holder, expires, version = registry.lease("job") or ("", T0, 0)
    assert (holder, expires, version) == ("b", T0 + timedelta(minutes=15), 3)


@pytest.mark.parametrize("existing", [False, True], ids=["new-row", "expired-row"])
def test_racing_instances_take_a_lease_exactly_once(registry: MonitorRegistry, existing: bool) -> None:
    for round_ in range(10):
        name = f"race-{round_}"
        if existing:
            assert registry.try_lease(name, "old", now=T0, until=T0)
        barrier = threading.Barrier(6)
        wins: list[str] = []

        def contend(me: str, name: str = name, barrier: threading.Barrier = barrier) -> None:
            barrier.wait(timeout=10)
            if registry.try_lease(name, me, now=T0 + timedelta(seconds=1), until=T0 + timedelta(minutes=5)):
                wins.append(me)

        threads = [threading.Thread(target=contend, args=(f"m{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(wins) == 1, wins
        assert (registry.lease(name) or ("",))[0] == wins[0]


def test_a_resent_webhook_is_stored_once_and_counted(registry: MonitorRegistry) -> None:
    first = registry.save_webhook("n-1", type_=6, shop_id="s1", body='{"type":6}', now=T0)
    again = registry.save_webhook("n-1", type_=6, shop_id="s1", body='{"type":6}', now=T0)
    assert first is not None and again is None
    (hook,) = registry.webhooks()
    assert (hook.deliveries, hook.handled_at) == (2, None)
    assert registry.claim_webhook(hook.id, T0) is True
    assert registry.claim_webhook(hook.id, T0) is False
