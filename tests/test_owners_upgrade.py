"""Revision 0006 on a registry with data: every existing shop gets one owner, by the documented rule.

1. the actor of the shop's earliest ``shop_connected`` event; 2. else of its earliest event of any kind;
3. else the identity running the upgrade (here ``LINKKIT_ACTOR=ops``). SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.errors import AccessDenied
from linkkit.linking import LinkService
from linkkit.store import SCHEMA_VERSION, Store

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("linkkit.migrations")))
    config.attributes["connection"] = conn
    return config


def make_0005_registry(url: str) -> None:
    """A registry at revision 0005 with three shops and the events that name their owners (or none)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0005")
            for shop_id, name in (("S1", "Maple"), ("S2", "Nova"), ("S3", "Quiet")):
                conn.execute(sa.text(
                    "INSERT INTO shops (id, name, region, seller_type, cipher, code, seller_name, seller_open_id, "
                    "connected_at, updated_at) VALUES (:id, :name, 'GB', 'LOCAL', 'c', '', '', '', :t, :t)"),
                    {"id": shop_id, "name": name, "t": NOW})
            events = [("authorization_started", None, "zed"),  # of no shop: names no owner
                      ("authorized", "S1", "bob"),  # earlier than S1's shop_connected, but not one
                      ("shop_connected", "S1", "alice"),
                      ("shop_connected", "S1", "bob"),  # reconnected later by bob: alice stays the owner
                      ("authorized", "S2", "carol"),  # S2 has no shop_connected: its earliest event's actor
                      ("verified", "S2", "dave")]
            for kind, shop_id, actor in events:
                conn.execute(sa.text(
                    "INSERT INTO link_events (at, kind, shop_id, actor, detail, username, role) "
                    "VALUES (:t, :kind, :shop, :actor, '', '', '')"),
                    {"t": NOW, "kind": kind, "shop": shop_id, "actor": actor})
    finally:
        engine.dispose()


def test_upgrade_from_0005_gives_every_shop_its_owner(registry_url: str, secret_key: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make_0005_registry(registry_url)
    monkeypatch.setenv("LINKKIT_ACTOR", "ops")
    store = Store(registry_url, TokenBox(secret_key))
    try:
        assert store.schema_version() == SCHEMA_VERSION == 6
        owners = {shop_id: [(a.principal, a.role, a.granted_by) for a in store.access_list(shop_id)]
                  for shop_id in ("S1", "S2", "S3")}
        assert owners == {"S1": [("alice", "owner", "migration 0006")],
                          "S2": [("carol", "owner", "migration 0006")],
                          "S3": [("ops", "owner", "migration 0006")]}
        assert store.counts()["shop_access"] == 3
        settings = Settings(mode="live", database_url=registry_url, secret_key=secret_key, client_key="k",
                            client_secret="s", app_key="a", app_secret="x", public_url="https://linkkit.example")
        carol = LinkService(settings, store, actor="carol")
        assert [s.id for s in carol.connected_shops()] == ["S2"]
        with pytest.raises(AccessDenied):
            carol.overview("S1")
    finally:
        store.close()
    # Opening again is a no-op (no second owner row), and the revision downgrades cleanly.
    again = Store(registry_url, TokenBox(secret_key))
    try:
        assert again.counts()["shop_access"] == 3
    finally:
        again.close()
    engine = sa.create_engine(registry_url)
    try:
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0005")
            assert not sa.inspect(conn).has_table("shop_access")
    finally:
        engine.dispose()


def test_upgrade_of_an_empty_0005_registry(registry_url: str, secret_key: str) -> None:
    engine = sa.create_engine(registry_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0005")
    finally:
        engine.dispose()
    store = Store(registry_url, TokenBox(secret_key))
    try:
        assert store.schema_version() == 6 and store.counts()["shop_access"] == 0
    finally:
        store.close()
