"""The public API's boundary: junk arguments to every ``LinkService`` method end in a ``LinkkitError`` (never
``OverflowError``, ``ValueError``, ``TypeError``, a database error…), and a refused call stores nothing.

One registry per backend (SQLite, PostgreSQL) with a connected shop and one link (made once, through the real
sandbox HTTP server); Hypothesis
draws a public method and junk for each of its arguments.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkkit.config import Settings
from linkkit.crypto import TokenBox
from linkkit.errors import InvalidInput, LinkkitError
from linkkit.linking import LinkService
from linkkit.models import Role
from linkkit.store import Store, metadata

pytestmark = pytest.mark.integration

MAPLE = "7494100000000000101"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One registry per backend for the whole module (PostgreSQL: a database made on the session's server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('boundary') / 'registry.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"linkkit_boundary_{secrets.token_hex(6)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def service(sandbox_server: Any, registry: str) -> Iterator[LinkService]:
    from cryptography.fernet import Fernet

    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    key = Fernet.generate_key().decode()
    url = registry
    settings = Settings(sandbox_url=sandbox_server.url, database_url=url, secret_key=key, max_retries=1,
                        backoff=0.01)
    made = LinkService(settings, Store(url, TokenBox(key)), actor="alice")
    assert made.sandbox is not None
    start = made.begin_shop_authorization()
    made.complete_authorization(made.sandbox.consent(start.url, "maple_seller"))
    start = made.begin_authorization(MAPLE, Role.MARKETING)
    made.complete_authorization(made.sandbox.consent(start.url, "maple.deals"))
    yield made
    made.store.close()


IDS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70),
                st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64, 10**30]))
JUNK = st.one_of(
    st.none(), st.booleans(), IDS, st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.binary(max_size=12),
    st.sampled_from(["", " ", "\x00", "a\x00b", "x" * 10_000, "OFFICIAL", "Official", "owner", MAPLE,
                     "https://127.0.0.1/callback?state=x", b"marketing", 1.5, [], {}, (1,), object()]),
    st.lists(st.integers(), max_size=2),
)

#: Each public method, with the names of the arguments junk is drawn for (positional first, then keywords).
METHODS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "link": (("link_id",), ()),
    "links": (("shop_id",), ("include_unlinked",)),
    "shop": (("shop_id",), ()),
    "overview": (("shop_id",), ()),
    "events": (("shop_id",), ("kinds", "link_id", "limit")),
    "link_intervals": (("shop_id",), ()),
    "pending": (("pending_id",), ()),
    "complete_authorization": (("callback_url",), ()),
    "begin_authorization": (("shop_id", "role"), ("replace", "expected_username", "link_id")),
    "replace_official": (("shop_id",), ("expected_username",)),
    "seller_center_steps": (("link_id",), ()),
    "seller_center_url": (("shop_id",), ()),
    "confirm_binding": (("link_id",), ()),
    "verify": (("link_id",), ()),
    "verify_all": (("shop_id", "progress"), ()),
    "unlink": (("link_id",), ("actor",)),
    "refresh_tokens": (("link_id",), ("force",)),
    "shop_client": (("shop_id",), ()),
    "analytics_data": (("shop_id", "start", "end"), ()),
    "access": (("shop_id",), ()),
    "grant_access": (("shop_id", "principal"), ("role",)),
    "revoke_access": (("shop_id", "principal"), ()),
    "shop_webhook_signature": (("raw_body",), ()),
}


def rows(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for t in metadata.sorted_tables}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(sorted(METHODS)))
def test_junk_arguments_raise_only_linkkit_errors_and_store_nothing(service: LinkService, data: st.DataObject,
                                                                    name: str) -> None:
    positional, keywords = METHODS[name]
    args = [data.draw(JUNK, label=arg) for arg in positional]
    kwargs = {k: data.draw(JUNK, label=k) for k in keywords if data.draw(st.booleans(), label=f"pass {k}")}
    before = rows(service.store)
    try:
        getattr(service, name)(*args, **kwargs)
    except LinkkitError:
        assert rows(service.store) == before, f"{name} refused but stored something"
    # anything else escapes and fails the test


@pytest.mark.parametrize(("call", "arg"), [
    ("link", 2**63), ("verify", 2**63), ("unlink", 2**64), ("link", -1), ("link", 0), ("link", True),
    ("link", "1"), ("link", 1.0), ("complete_authorization", None), ("complete_authorization", b"x"),
    ("shop", None), ("shop", "a\x00b"), ("pending", 2**63),
])
def test_the_review_s_inputs_are_invalid_input(service: LinkService, call: str, arg: Any) -> None:
    before = rows(service.store)
    with pytest.raises(InvalidInput) as caught:
        getattr(service, call)(arg)
    assert caught.value.reason == "invalid_input" and rows(service.store) == before


@pytest.mark.parametrize("role", ["OFFICIAL", "owner", "", None, 1, b"marketing"])
def test_a_bad_role_is_invalid_input(service: LinkService, role: Any) -> None:
    with pytest.raises(InvalidInput):
        service.begin_authorization(MAPLE, role)


def test_a_role_parses_from_its_string_value(service: LinkService) -> None:
    start = service.begin_authorization(MAPLE, "marketing")
    assert service.pending(start.pending_id).role is Role.MARKETING


def test_dates_must_be_dates(service: LinkService) -> None:
    with pytest.raises(InvalidInput):
        service.analytics_data(MAPLE, "2026-01-01", dt.date(2026, 2, 1))  # type: ignore[arg-type]
