"""The monitor's tables: de-duplication by unique keys and the compare-and-swap lease."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from linkkit.crypto import TokenBox
from linkkit.monitor.registry import TABLES, MonitorRegistry
from linkkit.store import SCHEMA_VERSION, Store, metadata

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry(registry_url: str) -> Iterator[MonitorRegistry]:
    """The monitor's tables on a fresh registry, once on SQLite and once on PostgreSQL (never skipped)."""
    store = Store(registry_url, TokenBox(Fernet.generate_key().decode()))
    yield MonitorRegistry(store)
    store.close()


def _columns(engine: sa.Engine, table: str) -> dict[str, tuple[bool, bool]]:
    return {c["name"]: (bool(c["nullable"]), c.get("primary_key", False) or False)
            for c in sa.inspect(engine).get_columns(table)}


def test_the_alembic_revision_creates_exactly_the_tables_the_monitor_defines(registry: MonitorRegistry) -> None:
    """One schema path: opening the registry (Store.migrate) creates the monitor's tables; nothing else does."""
    engine = registry.engine
    inspector = sa.inspect(engine)
    assert {t.name for t in TABLES} <= set(inspector.get_table_names())
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == [f"{SCHEMA_VERSION:04d}"]
    for table in TABLES:
        assert set(_columns(engine, table.name)) == {c.name for c in table.columns}, table.name
        assert {n: v[0] for n, v in _columns(engine, table.name).items()} == {
            c.name: bool(c.nullable) for c in table.columns}, table.name
        assert sorted(inspector.get_pk_constraint(table.name)["constrained_columns"]) == sorted(
            c.name for c in table.primary_key.columns), table.name
        wanted_unique = {tuple(sorted(c.name for c in u.columns)) for u in table.constraints
                         if isinstance(u, sa.UniqueConstraint)}
        found_unique = {tuple(sorted(u["column_names"])) for u in inspector.get_unique_constraints(table.name)}
        assert wanted_unique == found_unique, table.name
        wanted_indexes = {c.name for c in table.columns if c.index}
        found_indexes = {i["column_names"][0] for i in inspector.get_indexes(table.name) if not i["unique"]}
        assert wanted_indexes == found_indexes, table.name


def test_a_registry_where_the_monitor_made_its_own_tables_upgrades_to_head(registry_url: str) -> None:
    """Before revision 0003 the monitor ran ``create_all``: such a registry keeps its rows and reaches head."""
    from alembic import command

    key = Fernet.generate_key().decode()
    engine = sa.create_engine(registry_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0002")  # type: ignore[arg-type]
            metadata.create_all(conn, tables=list(TABLES))  # what the monitor did itself before 0003
            conn.execute(TABLES[3].insert().values(name="monitor:verify", holder="old", expires_at=T0, version=4))
    finally:
        engine.dispose()
    store = Store(registry_url, TokenBox(key))
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert MonitorRegistry(store).lease("monitor:verify") == ("old", T0, 4)
    finally:
        store.close()


def _alembic_config(conn: sa.Connection) -> object:
    from importlib import resources

    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("linkkit.migrations")))
    config.attributes["connection"] = conn
    return config


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
