"""The registry's core: the engine, migrations under a lock, read/write transactions, the key check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from linkkit.crypto import TokenBox
from linkkit.errors import RegistryError
from linkkit.store import database
from linkkit.store.database import (
    check_url,
    database_error,
    enable_wal,
    foreign_key_error,
    integrity_to_error,
    make_private_sqlite_file,
    mask_url,
    upgrade_schema,
    utc_now,
)
from linkkit.store.schema import (
    MIGRATION_LOCK,
    accounts,
    link_checks,
    link_events,
    links,
    pending,
    revocation_outbox,
    shop_access,
    shops,
    tokens,
)

#: Every column that holds an encrypted secret, with its table (each table has ``id`` and ``key_fp``).
_SECRETS = ((tokens, tokens.c.access_token), (pending, pending.c.code_verifier),
            (revocation_outbox, revocation_outbox.c.access_token))

#: Key fingerprints of stored secrets that are not in ``ours`` (an expanding parameter), built once.
_FOREIGN_KEYS = sa.union(*(
    sa.select(table.c.key_fp).where(table.c.key_fp.is_not(None),
                                    table.c.key_fp.not_in(sa.bindparam("ours", expanding=True)),
                                    column.is_not(None))
    for table, column in _SECRETS))


class StoreBase:
    """The registry database: connection, migration, transactions (the record kinds are mixins on top).

    Args:
        url: SQLAlchemy database URL (``sqlite:///path`` or ``postgresql+psycopg://…``).
        box: Encrypts tokens and PKCE verifiers at rest.
        clock: Current UTC time for every timestamp the registry writes (the service's clock); wall time
            when ``None``.

    Attributes:
        url: The database URL with its password masked (safe to show).

    Raises:
        RegistryError: The database cannot be opened (:class:`RegistryUnreachable`, :class:`RegistryAuthFailed`,
            :class:`RegistryMissing` say why) or was written by a newer linkkit.
        ConfigError: ``box`` holds no key that encrypted the registry's secrets (``LINKKIT_SECRET_KEY``).
    """

    def __init__(self, url: str, box: TokenBox, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = mask_url(url)
        self._box = box
        self.clock = clock
        check_url(url)
        if url.startswith("sqlite"):
            make_private_sqlite_file(url)
        self.engine = self._make_engine(url)
        self._closed = False

        @event.listens_for(self.engine, "checkin")
        def _close_after_close(dbapi_connection: Any, _record: Any) -> None:
            # A connection a thread still held when the registry was closed comes back to a pool that was
            # disposed of: close it now rather than leave it open until that pool is garbage-collected.
            if self._closed and dbapi_connection is not None:
                dbapi_connection.close()
        try:
            self.migrate()
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def _now(self) -> datetime:
        """The time every write is stamped with: the service's clock, so one clock stamps the registry."""
        return self.clock() if self.clock is not None else utc_now()

    # --- set-up -------------------------------------------------------------------------------------------

    @staticmethod
    def _make_engine(url: str) -> Engine:
        if not url.startswith("sqlite"):
            return sa.create_engine(url, pool_pre_ping=True)
        busy = database.BUSY_TIMEOUT  # read now: a test may shorten it
        engine = sa.create_engine(url, connect_args={"timeout": busy, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself so writers can take the lock up front (BEGIN IMMEDIATE).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            enable_wal(cursor)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def migrate(self) -> None:
        """Bring the schema to the newest revision, then check the key (idempotent, safe to run concurrently).

        Runs in one write transaction under a lock: on PostgreSQL a transaction-scoped advisory lock, on SQLite
        ``BEGIN IMMEDIATE`` (the write lock, taken up front; others wait on ``busy_timeout``). A registry made
        by linkkit's pre-Alembic migration (a ``schema_migrations`` table and no ``alembic_version``) is stamped
        as revision ``0001``, then upgraded.
        """
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            upgrade_schema(conn)
            self._check_keys(conn, backfill=True)

    def schema_version(self) -> int:
        """The registry's Alembic revision as a number (``0`` for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self._read() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return int(current) if current else 0

    def connect(self, *, immediate: bool = False) -> Connection:
        """A connection from the pool (``immediate``: SQLite takes the write lock at BEGIN).

        Raises:
            RegistryError: The registry was closed. A closed engine would quietly open a fresh pool that nobody
                disposes of; a background thread still polling after its page closed gets this error instead.
        """
        if self._closed:
            raise RegistryError("The registry was closed; open it again to use it", reason="registry_error")
        return self.engine.connect().execution_options(immediate=immediate)

    @contextmanager
    def _write(self, *, immediate: bool = True) -> Iterator[Connection]:
        try:
            with self.connect(immediate=immediate) as conn, conn.begin():
                yield conn
        except IntegrityError as exc:
            raise integrity_to_error(exc) from exc
        except SQLAlchemyError as exc:
            raise database_error(exc, self.url, "could not save the change") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise database_error(exc, self.url, "could not be read") from exc

    def _check_keys(self, conn: Connection, *, backfill: bool = False) -> None:
        """Refuse to go on when the registry holds secrets encrypted with a key this process does not have.

        With ``backfill``, rows stored before fingerprints existed get the fingerprint of whichever listed key
        decrypts them (a row none decrypts is the same refusal).
        """
        ours = self._box.fingerprints
        if backfill:
            for table, column in _SECRETS:
                rows = conn.execute(sa.select(table.c.id, column).where(table.c.key_fp.is_(None),
                                                                       column.is_not(None))).all()
                for row_id, ciphertext in rows:
                    found = self._box.fingerprint_of(ciphertext)
                    if found is None:
                        raise foreign_key_error(["unknown (written before fingerprints)"], ours)
                    conn.execute(table.update().where(table.c.id == row_id).values(key_fp=found))
        # one prebuilt statement, one round trip: it runs before every secret written
        foreign = {fp for (fp,) in conn.execute(_FOREIGN_KEYS, {"ours": list(ours)})}
        if foreign:
            raise foreign_key_error(sorted(foreign), ours)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction for several ``conn=``-taking calls that must succeed or fail together."""
        with self._write() as conn:
            yield conn

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called: a background poller stops instead of failing every round."""
        return self._closed

    def close(self) -> None:
        """Close every pooled connection; later use raises :class:`RegistryError` (idempotent)."""
        self._closed = True
        self.engine.dispose()


    # --- counts (health, tests) ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
                for table in (shops, accounts, links, link_checks, link_events, tokens, pending, revocation_outbox,
                              shop_access)
            }

    # --- helpers ------------------------------------------------------------------------------------------

    @contextmanager
    def _maybe(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self._write() as c:
                yield c

    @contextmanager
    def _maybe_read(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self._read() as c:
                yield c

