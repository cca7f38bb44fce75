"""The registry: shops, TikTok accounts, links, checks, events, encrypted tokens, pending authorizations.

SQLAlchemy Core on SQLite by default (WAL mode), PostgreSQL with another URL. This is the only module that
writes SQL. Rules that must never break are database constraints too: one active Official link per shop, one
active link per (shop, account). Every write is a transaction. Storing a new link re-checks Seller Center's
slot rules (:func:`linkkit.rules.check_candidate`) inside that transaction, serialised per shop, so processes
racing for the last slot cannot all win.

The schema is versioned with Alembic (:mod:`linkkit.migrations`); the registry upgrades itself on open, under a
lock. Each stored secret records the fingerprint of the key that encrypted it: a process whose
``LINKKIT_SECRET_KEY`` cannot decrypt the registry is refused with one :class:`~linkkit.errors.ConfigError`.
A SQLite registry file is private to its owner (mode 0600). Database URLs are shown only through
:func:`mask_url`.

Example:
    >>> import tempfile, pathlib
    >>> from cryptography.fernet import Fernet
    >>> from linkkit.crypto import TokenBox
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> store = Store(f"sqlite:///{tmp / 'r.db'}", TokenBox(Fernet.generate_key().decode()))
    >>> store.schema_version()
    5
    >>> mask_url("postgresql+psycopg://linkkit:hunter2@db.example:5432/linkkit")
    'postgresql+psycopg://linkkit:***@db.example:5432/linkkit'
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from linkkit import rules
from linkkit.crypto import TokenBox, hash_secret
from linkkit.errors import ConfigError, LinkError, RegistryError, RuleViolation
from linkkit.models import (
    EVENT_CHECK_UNAVAILABLE,
    CheckName,
    Link,
    LinkCheck,
    LinkEvent,
    PendingAuthorization,
    Provider,
    Role,
    Shop,
    TikTokAccount,
    derive_status,
)

__all__ = [
    "SCHEMA_VERSION",
    "RegistryAuthFailed",
    "RegistryMissing",
    "RegistryUnreachable",
    "Store",
    "StoredToken",
    "mask_url",
]

log = logging.getLogger(__name__)

metadata = sa.MetaData()

UtcDateTime = sa.DateTime(timezone=True)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", UtcDateTime, nullable=False),
)

shops = sa.Table(
    "shops",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("region", sa.String, nullable=False),
    sa.Column("seller_type", sa.String, nullable=False),
    sa.Column("cipher", sa.String, nullable=False),
    sa.Column("code", sa.String, nullable=False, default=""),
    sa.Column("seller_name", sa.String, nullable=False, default=""),
    sa.Column("seller_open_id", sa.String, nullable=False, default=""),
    sa.Column("connected_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

accounts = sa.Table(
    "tiktok_accounts",
    metadata,
    sa.Column("open_id", sa.String, primary_key=True),
    sa.Column("display_name", sa.String, nullable=False),
    sa.Column("username", sa.String, nullable=False, default=""),
    sa.Column("avatar_url", sa.String, nullable=False, default=""),
    sa.Column("union_id", sa.String, nullable=False, default=""),
    sa.Column("is_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("follower_count", sa.Integer),
    sa.Column("region", sa.String),
    sa.Column("account_type", sa.String),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shop_id", sa.String, sa.ForeignKey("shops.id"), nullable=False),
    sa.Column("account_open_id", sa.String, sa.ForeignKey("tiktok_accounts.open_id"), nullable=False),
    sa.Column("role", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("linked_at", UtcDateTime),
    sa.Column("unlinked_at", UtcDateTime),
    sa.Column("last_verified_at", UtcDateTime),
    sa.Column("scopes", sa.String, nullable=False, default=""),
    sa.Column("binding_evidence", sa.String),
    sa.CheckConstraint("role IN ('official', 'marketing')", name="ck_links_role"),
)
# One active Official per shop; one active link per (shop, account) — design §3.3.
sa.Index(
    "uq_links_one_official",
    links.c.shop_id,
    unique=True,
    sqlite_where=sa.and_(links.c.role == "official", links.c.unlinked_at.is_(None)),
    postgresql_where=sa.and_(links.c.role == "official", links.c.unlinked_at.is_(None)),
)
sa.Index(
    "uq_links_one_per_account",
    links.c.shop_id,
    links.c.account_open_id,
    unique=True,
    sqlite_where=links.c.unlinked_at.is_(None),
    postgresql_where=links.c.unlinked_at.is_(None),
)

link_checks = sa.Table(
    "link_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("links.id"), nullable=False, index=True),
    sa.Column("run", sa.Integer, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String),
    sa.Column("detail", sa.String, nullable=False, default=""),
    sa.Column("checked_at", UtcDateTime, nullable=False),
)

link_events = sa.Table(
    "link_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("shop_id", sa.String),
    sa.Column("link_id", sa.Integer),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("detail", sa.String, nullable=False, default=""),
    sa.Column("username", sa.String, nullable=False, default=""),
    sa.Column("role", sa.String, nullable=False, default=""),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("subject", sa.String, nullable=False),  # open_id of the TikTok account or the seller
    sa.Column("access_token", sa.String, nullable=False),  # Fernet ciphertext
    sa.Column("refresh_token", sa.String, nullable=False),  # Fernet ciphertext
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("refresh_expires_at", UtcDateTime),
    sa.Column("scopes", sa.String, nullable=False, default=""),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("key_fp", sa.String(16), index=True),  # fingerprint of the key that encrypted this row
    sa.Column("lease_holder", sa.String),  # the process spending the refresh token right now (design §4)
    sa.Column("lease_until", UtcDateTime),  # when that lease lapses and may be taken over
    sa.UniqueConstraint("provider", "subject", name="uq_tokens_subject"),
)

pending = sa.Table(
    "pending_authorizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("state_hash", sa.String, nullable=False, unique=True),
    sa.Column("code_verifier", sa.String),  # Fernet ciphertext
    sa.Column("shop_id", sa.String),
    sa.Column("role", sa.String),
    sa.Column("redirect_uri", sa.String, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime),
    sa.Column("link_id", sa.Integer),
    sa.Column("expected_username", sa.String),
    sa.Column("replace", sa.Boolean, nullable=False, default=False),
    sa.Column("outcome", sa.String),
    sa.Column("result_link_id", sa.Integer),
    sa.Column("key_fp", sa.String(16)),  # fingerprint of the key that encrypted code_verifier
)

revocation_outbox = sa.Table(
    "revocation_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String, nullable=False),
    sa.Column("subject", sa.String, nullable=False),
    sa.Column("access_token", sa.String, nullable=False),  # Fernet ciphertext, kept until TikTok confirmed
    sa.Column("key_fp", sa.String(16)),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("pending_id", sa.Integer, index=True),  # set while held for a completion in progress
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("due_at", UtcDateTime, index=True),  # NULL while held
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.String),
)

#: The newest Alembic revision this code knows (revision ids are zero-padded numbers: ``"0002"``).
SCHEMA_VERSION = 5
_HEAD = f"{SCHEMA_VERSION:04d}"
#: Seconds a SQLite connection waits for another process's lock before giving up (busy timeout), in total.
BUSY_TIMEOUT = 30.0
#: pg_advisory_xact_lock key serialising migrations on PostgreSQL ("linkkit" in ASCII).
_MIGRATION_LOCK = 0x6C696E6B6B6974


class RegistryUnreachable(RegistryError):
    """The database server cannot be reached (stopped, wrong host or port, network down)."""

    problem = "database_unreachable"


class RegistryAuthFailed(RegistryError):
    """The database refused the credentials in the URL (or, for SQLite, the file's permissions)."""

    problem = "authentication_failed"


class RegistryMissing(RegistryError):
    """The database named in the URL does not exist (for SQLite: its directory does not)."""

    problem = "database_missing"


def mask_url(url: str) -> str:
    """``url`` with its password (userinfo or ``password=`` query parameter) replaced by ``***``.

    Use it wherever a database URL is shown: ``repr``, errors, logs, ``linkkit status``.

    Example:
        >>> mask_url("postgresql://u:p%40ss@h/db?sslmode=require&password=x")
        'postgresql://u:***@h/db?sslmode=require&password=***'
        >>> mask_url("sqlite:////tmp/registry.sqlite3")
        'sqlite:////tmp/registry.sqlite3'
    """
    masked = re.sub(r"([?&]password=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)
    scheme, sep, rest = masked.partition("://")
    if not sep or scheme.startswith("sqlite"):
        return masked
    end = len(rest)
    for stop in "/?#":  # the authority ends at the first of these after the last '@' before the path
        found = rest.find(stop, rest.rfind("@") + 1)
        end = min(end, found) if found >= 0 else end
    authority, path = rest[:end], rest[end:]
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{authority}{path}"


@dataclass(frozen=True)
class StoredToken:
    """A decrypted token pair, handed only to TikTok clients. Its repr hides the secrets."""

    provider: Provider
    subject: str
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    version: int
    lease_holder: str | None = None
    lease_until: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"StoredToken(provider={self.provider.value!r}, subject={self.subject!r}, "
            f"expires_at={self.expires_at.isoformat()}, access_token=<hidden>, refresh_token=<hidden>)"
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The registry database.

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
        try:
            sa.make_url(url).get_dialect()
        except sa.exc.ArgumentError as exc:  # not a URL, or a database SQLAlchemy has no dialect (driver) for
            raise ConfigError(f"The registry URL {self.url} cannot be used ({exc}): LINKKIT_DATABASE_URL must be "
                              "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE.") from None
        if url.startswith("sqlite"):
            _private_sqlite_file(url)
        self.engine = self._make_engine(url)
        try:
            self.migrate()
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def _now(self) -> datetime:
        """The time every write is stamped with: the service's clock, so one clock stamps the registry."""
        return self.clock() if self.clock is not None else _now()

    # --- set-up -------------------------------------------------------------------------------------------

    @staticmethod
    def _make_engine(url: str) -> Engine:
        if not url.startswith("sqlite"):
            return sa.create_engine(url, pool_pre_ping=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself so writers can take the lock up front (BEGIN IMMEDIATE).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            _enable_wal(cursor)
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
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            _upgrade(conn)
            self._check_keys(conn, backfill=True)

    def schema_version(self) -> int:
        """The registry's Alembic revision as a number (``0`` for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self._read() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return int(current) if current else 0

    @contextmanager
    def _write(self, *, immediate: bool = True) -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(immediate=immediate) as conn, conn.begin():
                yield conn
        except IntegrityError as exc:
            raise _integrity_to_error(exc) from exc
        except SQLAlchemyError as exc:
            raise _database_error(exc, self.url, "could not save the change") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise _database_error(exc, self.url, "could not be read") from exc

    def _check_keys(self, conn: Connection, *, backfill: bool = False) -> None:
        """Refuse to go on when the registry holds secrets encrypted with a key this process does not have.

        With ``backfill``, rows stored before fingerprints existed get the fingerprint of whichever listed key
        decrypts them (a row none decrypts is the same refusal).
        """
        ours = self._box.fingerprints
        sources = ((tokens, tokens.c.access_token), (pending, pending.c.code_verifier),
                   (revocation_outbox, revocation_outbox.c.access_token))
        if backfill:
            for table, column in sources:
                rows = conn.execute(sa.select(table.c.id, column).where(table.c.key_fp.is_(None),
                                                                       column.is_not(None))).all()
                for row_id, ciphertext in rows:
                    found = self._box.fingerprint_of(ciphertext)
                    if found is None:
                        raise _foreign_key_error(["unknown (written before fingerprints)"], ours)
                    conn.execute(table.update().where(table.c.id == row_id).values(key_fp=found))
        foreign: set[str] = set()
        for table, column in sources:
            foreign |= {fp for (fp,) in conn.execute(
                sa.select(table.c.key_fp).distinct()
                .where(table.c.key_fp.is_not(None), table.c.key_fp.not_in(ours), column.is_not(None)))}
        if foreign:
            raise _foreign_key_error(sorted(foreign), ours)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction for several ``conn=``-taking calls that must succeed or fail together."""
        with self._write() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # --- shops --------------------------------------------------------------------------------------------

    def upsert_shop(self, shop: Shop, *, conn: Connection | None = None) -> None:
        values = {
            "name": shop.name, "region": shop.region, "seller_type": shop.seller_type, "cipher": shop.cipher,
            "code": shop.code, "seller_name": shop.seller_name, "seller_open_id": shop.seller_open_id,
            "updated_at": self._now(),
        }
        with self._maybe(conn) as c:
            found = c.execute(sa.select(shops.c.id).where(shops.c.id == shop.id)).first()
            if found:
                c.execute(shops.update().where(shops.c.id == shop.id).values(**values))
            else:
                c.execute(shops.insert().values(id=shop.id, connected_at=self._now(), **values))

    def shops(self) -> list[Shop]:
        with self._read() as conn:
            rows = conn.execute(sa.select(shops).order_by(shops.c.connected_at, shops.c.name)).mappings()
            return [self._shop(r) for r in rows]

    def shop(self, shop_id: str) -> Shop | None:
        with self._read() as conn:
            row = conn.execute(sa.select(shops).where(shops.c.id == shop_id)).mappings().first()
            return self._shop(row) if row else None

    @staticmethod
    def _shop(row: Any) -> Shop:
        return Shop(
            id=row["id"], name=row["name"], region=row["region"], seller_type=row["seller_type"],
            cipher=row["cipher"], code=row["code"], seller_name=row["seller_name"],
            seller_open_id=row["seller_open_id"],
        )

    # --- accounts -----------------------------------------------------------------------------------------

    def upsert_account(self, account: TikTokAccount, *, conn: Connection | None = None) -> None:
        values = {
            "display_name": account.display_name, "username": account.username, "avatar_url": account.avatar_url,
            "union_id": account.union_id, "is_verified": account.is_verified,
            "follower_count": account.follower_count, "region": account.region,
            "account_type": account.account_type, "updated_at": self._now(),
        }
        with self._maybe(conn) as c:
            found = c.execute(sa.select(accounts.c.open_id).where(accounts.c.open_id == account.open_id)).first()
            if found:
                c.execute(accounts.update().where(accounts.c.open_id == account.open_id).values(**values))
            else:
                c.execute(accounts.insert().values(open_id=account.open_id, **values))

    @staticmethod
    def _account(row: Any) -> TikTokAccount:
        return TikTokAccount(
            open_id=row["open_id"], display_name=row["display_name"], username=row["username"],
            avatar_url=row["avatar_url"], union_id=row["union_id"], is_verified=row["is_verified"],
            follower_count=row["follower_count"], region=row["region"], account_type=row["account_type"],
        )

    # --- links --------------------------------------------------------------------------------------------

    def insert_link(self, shop_id: str, open_id: str, role: Role, scopes: Sequence[str], *,
                    conn: Connection | None = None) -> int:
        """Store a new active link, after re-checking Seller Center's rules inside this transaction.

        The shop's row is locked first (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite's writers already hold the
        database's write lock from ``BEGIN IMMEDIATE``), so two processes adding links to one shop take turns
        and the second sees the first's link: the role limits (one Official, at most four Marketing, never both
        roles for one account) hold under concurrency, not only in the check made before consent.

        Raises:
            RuleViolation: A rule refuses the link (its reason code, e.g. ``marketing_limit_reached``); the
                transaction is rolled back.
            LinkError: The shop is not in the registry (``shop_not_connected``).
        """
        with self._maybe(conn) as c:
            shop_row = c.execute(sa.select(shops).where(shops.c.id == shop_id).with_for_update()).mappings().first()
            account_row = c.execute(sa.select(accounts).where(accounts.c.open_id == open_id)).mappings().first()
            if shop_row is None:
                raise LinkError("This shop is not connected to linkkit.", reason="shop_not_connected")
            if account_row is None:
                raise LinkError("This TikTok account is not in the registry.", reason="link_not_found")
            active = self._links(links.c.unlinked_at.is_(None),
                                 sa.or_(links.c.shop_id == shop_id, links.c.account_open_id == open_id), conn=c)
            violations = rules.check_candidate(self._shop(shop_row), active, self._account(account_row), role)
            if violations:
                raise RuleViolation(violations[0].message, reason=violations[0].reason, violations=violations)
            result = c.execute(links.insert().values(
                shop_id=shop_id, account_open_id=open_id, role=role.value, created_at=self._now(),
                scopes=",".join(sorted(scopes)),
            ))
            return _new_id(result)

    def update_link(self, link_id: int, *, conn: Connection | None = None, **values: Any) -> None:
        allowed = {"linked_at", "unlinked_at", "last_verified_at", "scopes", "binding_evidence", "account_open_id"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if "scopes" in values and not isinstance(values["scopes"], str):
            values["scopes"] = ",".join(sorted(values["scopes"]))
        with self._maybe(conn) as c:
            c.execute(links.update().where(links.c.id == link_id).values(**values))

    def link(self, link_id: int) -> Link | None:
        found = self._links(links.c.id == link_id)
        return found[0] if found else None

    def links(self, shop_id: str | None = None, *, include_unlinked: bool = False,
              open_id: str | None = None, conn: Connection | None = None) -> list[Link]:
        clauses = []
        if shop_id is not None:
            clauses.append(links.c.shop_id == shop_id)
        if open_id is not None:
            clauses.append(links.c.account_open_id == open_id)
        if not include_unlinked:
            clauses.append(links.c.unlinked_at.is_(None))
        return self._links(*clauses, conn=conn)

    def _links(self, *where: Any, conn: Connection | None = None) -> list[Link]:
        query = (
            sa.select(links, accounts, tokens.c.expires_at.label("token_expires_at"),
                      tokens.c.refresh_expires_at.label("token_refresh_expires_at"))
            .join(accounts, accounts.c.open_id == links.c.account_open_id)
            .outerjoin(tokens, sa.and_(tokens.c.provider == Provider.LOGIN_KIT.value,
                                       tokens.c.subject == links.c.account_open_id))
            .where(*where)
            .order_by(links.c.role.desc(), links.c.created_at, links.c.id)
        )
        with self._maybe_read(conn) as c:
            rows = list(c.execute(query).mappings())
            ids = [r["id"] for r in rows]
            checks = self._latest_checks(c, ids)
            unavailable = self._latest_unavailable(c, ids)
        result = []
        for r in rows:
            account = self._account(r)
            link_checks_ = checks.get(r["id"], ())
            unlinked_at = _utc(r["unlinked_at"])
            linked_at = _utc(r["linked_at"])
            last_verified_at = _utc(r["last_verified_at"])
            failed_at, failed_reason = unavailable.get(r["id"], (None, None))
            result.append(Link(
                id=r["id"], shop_id=r["shop_id"], account=account, role=Role(r["role"]),
                status=derive_status(unlinked_at=unlinked_at, linked_at=linked_at, checks=link_checks_,
                                     binding_evidence=r["binding_evidence"]),
                created_at=_utc(r["created_at"]) or _now(), linked_at=linked_at, unlinked_at=unlinked_at,
                last_verified_at=last_verified_at,
                token_expires_at=_utc(r["token_refresh_expires_at"]) or _utc(r["token_expires_at"]),
                access_expires_at=_utc(r["token_expires_at"]),
                scopes=tuple(s for s in r["scopes"].split(",") if s), binding_evidence=r["binding_evidence"],
                checks=link_checks_, last_check_failed_at=failed_at, last_check_failed_reason=failed_reason,
            ))
        return result

    @staticmethod
    def _latest_unavailable(conn: Connection, link_ids: list[int]) -> dict[int, tuple[datetime, str]]:
        """Links whose latest verification could not check (no completed run since): (when, reason code)."""
        if not link_ids:
            return {}
        kinds = (EVENT_CHECK_UNAVAILABLE, "verified", "check_failed")
        latest = (
            sa.select(sa.func.max(link_events.c.id).label("id"))
            .where(link_events.c.link_id.in_(link_ids), link_events.c.kind.in_(kinds))
            .group_by(link_events.c.link_id).subquery()
        )
        rows = conn.execute(
            sa.select(link_events.c.link_id, link_events.c.at, link_events.c.detail)
            .where(link_events.c.id.in_(sa.select(latest.c.id)), link_events.c.kind == EVENT_CHECK_UNAVAILABLE)
        ).mappings()
        return {r["link_id"]: (_utc(r["at"]) or _now(), r["detail"].split(":", 1)[0]) for r in rows}

    @staticmethod
    def _latest_checks(conn: Connection, link_ids: list[int]) -> dict[int, tuple[LinkCheck, ...]]:
        if not link_ids:
            return {}
        latest = (
            sa.select(link_checks.c.link_id, sa.func.max(link_checks.c.run).label("run"))
            .where(link_checks.c.link_id.in_(link_ids)).group_by(link_checks.c.link_id).subquery()
        )
        rows = conn.execute(
            sa.select(link_checks)
            .join(latest, sa.and_(latest.c.link_id == link_checks.c.link_id, latest.c.run == link_checks.c.run))
            .order_by(link_checks.c.id)
        ).mappings()
        out: dict[int, list[LinkCheck]] = {}
        for r in rows:
            out.setdefault(r["link_id"], []).append(LinkCheck(
                link_id=r["link_id"], name=CheckName(r["name"]), ok=r["ok"], reason=r["reason"],
                detail=r["detail"], checked_at=_utc(r["checked_at"]) or _now(),
            ))
        return {k: tuple(v) for k, v in out.items()}

    def record_checks(self, link_id: int, checks: Sequence[LinkCheck], *, conn: Connection | None = None) -> None:
        """Store one verification run's checks (a run is the unit status is derived from)."""
        with self._maybe(conn) as c:
            run = (c.execute(sa.select(sa.func.max(link_checks.c.run)).where(link_checks.c.link_id == link_id))
                   .scalar() or 0) + 1
            c.execute(link_checks.insert(), [
                {"link_id": link_id, "run": run, "name": ch.name.value, "ok": ch.ok, "reason": ch.reason,
                 "detail": ch.detail, "checked_at": ch.checked_at} for ch in checks
            ])

    def link_intervals(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        """Every link that Seller Center bound, with its interval — the analytics' join table."""
        query = (
            sa.select(links.c.id.label("link_id"), links.c.shop_id, shops.c.name.label("shop_name"),
                      shops.c.region, links.c.account_open_id, accounts.c.username, accounts.c.display_name,
                      links.c.role, links.c.linked_at, links.c.unlinked_at)
            .join(shops, shops.c.id == links.c.shop_id)
            .join(accounts, accounts.c.open_id == links.c.account_open_id)
            .where(links.c.linked_at.is_not(None))
            .order_by(links.c.shop_id, links.c.linked_at)
        )
        if shop_id is not None:
            query = query.where(links.c.shop_id == shop_id)
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for r in rows:
            r["linked_at"], r["unlinked_at"] = _utc(r["linked_at"]), _utc(r["unlinked_at"])
        return rows

    # --- events -------------------------------------------------------------------------------------------

    def add_event(self, kind: str, *, shop_id: str | None = None, link_id: int | None = None,
                  actor: str = "linkkit", detail: str = "", username: str = "", role: str = "",
                  conn: Connection | None = None) -> None:
        with self._maybe(conn) as c:
            c.execute(link_events.insert().values(
                at=self._now(), kind=kind, shop_id=shop_id, link_id=link_id, actor=actor, detail=detail,
                username=username, role=role,
            ))

    def events(self, shop_id: str | None = None, *, kinds: Sequence[str] | None = None,
               link_id: int | None = None, limit: int = 200) -> list[LinkEvent]:
        query = sa.select(link_events).order_by(link_events.c.at.desc(), link_events.c.id.desc()).limit(limit)
        if shop_id is not None:
            query = query.where(link_events.c.shop_id == shop_id)
        if kinds:
            query = query.where(link_events.c.kind.in_(list(kinds)))
        if link_id is not None:
            query = query.where(link_events.c.link_id == link_id)
        with self._read() as conn:
            return [
                LinkEvent(id=r["id"], at=_utc(r["at"]) or _now(), kind=r["kind"], shop_id=r["shop_id"],
                          link_id=r["link_id"], actor=r["actor"], detail=r["detail"], username=r["username"],
                          role=r["role"])
                for r in conn.execute(query).mappings()
            ]

    # --- tokens -------------------------------------------------------------------------------------------

    def save_token(self, provider: Provider, subject: str, *, access_token: str, refresh_token: str,
                   expires_at: datetime, refresh_expires_at: datetime | None, scopes: Sequence[str],
                   conn: Connection | None = None) -> None:
        values = {
            "access_token": self._box.encrypt(access_token), "refresh_token": self._box.encrypt(refresh_token),
            "expires_at": expires_at, "refresh_expires_at": refresh_expires_at,
            "scopes": ",".join(sorted(scopes)), "updated_at": self._now(), "key_fp": self._box.fingerprint,
            "lease_holder": None, "lease_until": None,  # a new grant ends any refresh lease
        }
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        with self._maybe(conn) as c:
            self._check_keys(c)  # never mix keys: another process's key wrote here since we started
            version = c.execute(sa.select(tokens.c.version).where(where)).scalar()
            if version is None:
                c.execute(tokens.insert().values(provider=provider.value, subject=subject, version=1, **values))
            else:
                c.execute(tokens.update().where(where).values(version=version + 1, **values))

    def token(self, provider: Provider, subject: str, *, conn: Connection | None = None) -> StoredToken | None:
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        with self._maybe_read(conn) as c:
            row = c.execute(sa.select(tokens).where(where)).mappings().first()
        if row is None:
            return None
        if row["key_fp"] is not None and row["key_fp"] not in self._box.fingerprints:
            raise _foreign_key_error([row["key_fp"]], self._box.fingerprints)
        return StoredToken(
            provider=provider, subject=subject, access_token=self._box.decrypt(row["access_token"]),
            refresh_token=self._box.decrypt(row["refresh_token"]), expires_at=_utc(row["expires_at"]) or _now(),
            refresh_expires_at=_utc(row["refresh_expires_at"]),
            scopes=tuple(s for s in row["scopes"].split(",") if s), version=row["version"],
            lease_holder=row["lease_holder"], lease_until=_utc(row["lease_until"]),
        )

    def delete_token(self, provider: Provider, subject: str, *, conn: Connection | None = None) -> None:
        with self._maybe(conn) as c:
            c.execute(tokens.delete().where(sa.and_(tokens.c.provider == provider.value,
                                                     tokens.c.subject == subject)))

    def lease_token(self, provider: Provider, subject: str, *, version: int, holder: str,
                    ttl: timedelta) -> bool:
        """Take the refresh lease on a token still at ``version``, unless someone holds a live one.

        One short write transaction, a compare-and-swap: the row changes only if its version is ``version`` and
        its lease is free or lapsed (an expired lease is taken over). On PostgreSQL a concurrent taker blocks on
        the row, then re-checks the condition against the committed row, so exactly one wins.

        Returns:
            Whether ``holder`` now holds the lease until ``ttl`` from now (the registry's clock).
        """
        now = self._now().astimezone(UTC)
        free = sa.or_(tokens.c.lease_until.is_(None), tokens.c.lease_until <= now)
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.version == version, free)
        with self._write() as c:
            taken = c.execute(tokens.update().where(where).values(lease_holder=holder, lease_until=now + ttl))
        return taken.rowcount == 1

    def store_successor(self, provider: Provider, subject: str, *, version: int, access_token: str,
                        refresh_token: str, expires_at: datetime, refresh_expires_at: datetime | None,
                        scopes: Sequence[str], conn: Connection | None = None) -> bool:
        """Store a refreshed pair if the token is still at ``version`` (compare-and-swap); ends the lease.

        Returns:
            Whether the successor was stored (``False``: the row moved or is gone; nothing was written).
        """
        values = {
            "access_token": self._box.encrypt(access_token), "refresh_token": self._box.encrypt(refresh_token),
            "expires_at": expires_at, "refresh_expires_at": refresh_expires_at,
            "scopes": ",".join(sorted(scopes)), "updated_at": self._now(), "key_fp": self._box.fingerprint,
            "lease_holder": None, "lease_until": None, "version": version + 1,
        }
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.version == version)
        with self._maybe(conn) as c:
            self._check_keys(c)  # never mix keys: another process's key wrote here since we started
            stored = c.execute(tokens.update().where(where).values(**values))
        return stored.rowcount == 1

    def release_lease(self, provider: Provider, subject: str, *, holder: str) -> None:
        """End ``holder``'s refresh lease (a no-op when it lapsed and someone else took it)."""
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject,
                        tokens.c.lease_holder == holder)
        with self._write() as c:
            c.execute(tokens.update().where(where).values(lease_holder=None, lease_until=None))

    def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the newest key; returns how many rows changed."""
        count = 0
        with self._write() as conn:
            for row in list(conn.execute(sa.select(tokens.c.id, tokens.c.access_token, tokens.c.refresh_token))):
                conn.execute(tokens.update().where(tokens.c.id == row.id).values(
                    access_token=self._box.rotate(row.access_token),
                    refresh_token=self._box.rotate(row.refresh_token), key_fp=self._box.fingerprint))
                count += 1
            for prow in list(conn.execute(sa.select(pending.c.id, pending.c.code_verifier)
                                          .where(pending.c.code_verifier.is_not(None)))):
                conn.execute(pending.update().where(pending.c.id == prow.id).values(
                    code_verifier=self._box.rotate(prow.code_verifier), key_fp=self._box.fingerprint))
                count += 1
            for orow in list(conn.execute(sa.select(revocation_outbox.c.id, revocation_outbox.c.access_token))):
                conn.execute(revocation_outbox.update().where(revocation_outbox.c.id == orow.id).values(
                    access_token=self._box.rotate(orow.access_token), key_fp=self._box.fingerprint))
                count += 1
        return count

    # --- pending authorizations ---------------------------------------------------------------------------

    def add_pending(self, *, provider: Provider, state: str, code_verifier: str | None, shop_id: str | None,
                    role: Role | None, redirect_uri: str, expires_at: datetime, link_id: int | None = None,
                    expected_username: str | None = None, replace: bool = False) -> int:
        with self._write() as conn:
            if code_verifier:
                self._check_keys(conn)
            result = conn.execute(pending.insert().values(
                provider=provider.value, state_hash=hash_secret(state),
                code_verifier=self._box.encrypt(code_verifier) if code_verifier else None,
                key_fp=self._box.fingerprint if code_verifier else None,
                shop_id=shop_id, role=role.value if role else None, redirect_uri=redirect_uri,
                created_at=self._now(), expires_at=expires_at, link_id=link_id,
                expected_username=expected_username, replace=replace,
            ))
            return _new_id(result)

    def pending(self, pending_id: int) -> PendingAuthorization | None:
        with self._read() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id)).mappings().first()
        return self._pending(row) if row else None

    def claim_pending(self, state: str, now: datetime) -> tuple[PendingAuthorization, str | None, bool] | str:
        """Mark the pending authorization for ``state`` used, exactly once.

        Returns ``(record, code_verifier, replace)`` or a reason code: ``state_mismatch`` (unknown),
        ``authorization_reused`` (already used), ``authorization_abandoned`` (its completion was interrupted and
        resolved) or ``authorization_expired``. The claim is one UPDATE guarded
        by ``used_at IS NULL``, so two kernels racing on one callback cannot both win.
        """
        state_hash = hash_secret(state)
        with self._write() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.state_hash == state_hash)).mappings().first()
            if row is None:
                return "state_mismatch"
            if row["used_at"] is not None:  # an interrupted one says so (it never completed)
                abandoned = row["outcome"] == "authorization_abandoned"
                return "authorization_abandoned" if abandoned else "authorization_reused"
            if (_utc(row["expires_at"]) or now) <= now:
                conn.execute(pending.update().where(pending.c.id == row["id"])
                             .values(used_at=now, outcome="authorization_expired"))
                return "authorization_expired"
            claimed = conn.execute(pending.update()
                                   .where(sa.and_(pending.c.id == row["id"], pending.c.used_at.is_(None)))
                                   .values(used_at=now))
            if claimed.rowcount != 1:
                return "authorization_reused"
            verifier = self._box.decrypt(row["code_verifier"]) if row["code_verifier"] else None
            record = self._pending({**row, "used_at": now})
            return record, verifier, bool(row["replace"])

    def finish_pending(self, pending_id: int, outcome: str, result_link_id: int | None = None, *,
                       conn: Connection | None = None) -> None:
        """Record the outcome of a claimed authorization (inside ``conn``'s transaction when given)."""
        with self._maybe(conn) as c:
            c.execute(pending.update().where(pending.c.id == pending_id)
                         .values(outcome=outcome, result_link_id=result_link_id, code_verifier=None, key_fp=None))

    def stale_claims(self, now: datetime) -> list[PendingAuthorization]:
        """Claimed authorizations with no outcome whose time is up: the process completing them died."""
        with self._read() as conn:
            rows = conn.execute(sa.select(pending).where(
                pending.c.used_at.is_not(None), pending.c.outcome.is_(None), pending.c.expires_at <= now,
            ).order_by(pending.c.id)).mappings().all()
        return [self._pending(r) for r in rows]

    def resolve_claim(self, pending_id: int, now: datetime) -> PendingAuthorization | None:
        """End a dead claim with what was actually stored, in one transaction.

        The commit that stores a link also records the outcome and deletes the held grant, so a dead claim is
        checked against the registry: an active link of the pending's shop and role, for the held grant's
        account, created after the authorization began → ``ok`` with that link (its held row is forgotten);
        otherwise ``authorization_abandoned`` and the held grant becomes due for revocation. Returns the
        resolved record, or ``None`` when another process resolved it first.
        """
        with self._write() as conn:
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id).with_for_update()
                               ).mappings().first()
            if row is None or row["used_at"] is None or row["outcome"] is not None:
                return None
            held = sa.and_(revocation_outbox.c.pending_id == pending_id, revocation_outbox.c.due_at.is_(None))
            subjects = [s for (s,) in conn.execute(sa.select(revocation_outbox.c.subject).where(held))]
            link_id = None
            if subjects and row["shop_id"]:
                link_id = conn.execute(sa.select(links.c.id).where(
                    links.c.shop_id == row["shop_id"], links.c.role == row["role"],
                    links.c.account_open_id.in_(subjects), links.c.unlinked_at.is_(None),
                    links.c.created_at >= row["created_at"]).limit(1)).scalar()
            outcome = "ok" if link_id is not None else "authorization_abandoned"
            conn.execute(pending.update().where(pending.c.id == pending_id).values(
                outcome=outcome, result_link_id=link_id, code_verifier=None, key_fp=None))
            if link_id is not None:
                conn.execute(revocation_outbox.delete().where(held))
            else:
                conn.execute(revocation_outbox.update().where(held)
                             .values(due_at=now, reason="authorization_abandoned"))
            row = conn.execute(sa.select(pending).where(pending.c.id == pending_id)).mappings().first()
        return self._pending(row)

    def purge_pending(self, before: datetime) -> int:
        """Delete pending authorizations that expired before ``before`` and are not a live claim; returns how
        many. (A claimed one without outcome is resolved first, by :meth:`resolve_claim`.)"""
        with self._write() as conn:
            done = sa.or_(pending.c.used_at.is_(None), pending.c.outcome.is_not(None))
            result = conn.execute(pending.delete().where(pending.c.expires_at < before, done))
            return int(result.rowcount or 0)

    @staticmethod
    def _pending(row: Any) -> PendingAuthorization:
        return PendingAuthorization(
            id=row["id"], provider=Provider(row["provider"]), shop_id=row["shop_id"],
            role=Role(row["role"]) if row["role"] else None, redirect_uri=row["redirect_uri"],
            created_at=_utc(row["created_at"]) or _now(), expires_at=_utc(row["expires_at"]) or _now(),
            used_at=_utc(row["used_at"]), link_id=row["link_id"], expected_username=row["expected_username"],
            outcome=row["outcome"], result_link_id=row["result_link_id"],
        )

    # --- revocation outbox --------------------------------------------------------------------------------

    def hold_grant(self, provider: Provider, subject: str, access_token: str, pending_id: int) -> int:
        """Record a grant just obtained for ``pending_id`` before anything else happens (its own commit).

        The row is *held* (not due): the commit that stores the link deletes it (:meth:`release_held`); any
        other end of the authorization makes it due (:meth:`revoke_held`, :meth:`resolve_claim`).
        """
        with self._write() as conn:
            self._check_keys(conn)
            result = conn.execute(revocation_outbox.insert().values(
                provider=provider.value, subject=subject, access_token=self._box.encrypt(access_token),
                key_fp=self._box.fingerprint, reason="held", pending_id=pending_id, created_at=self._now(),
                due_at=None, attempts=0))
            return _new_id(result)

    def release_held(self, pending_id: int, *, conn: Connection) -> None:
        """The grant held for ``pending_id`` is now a stored token: forget the held row (same transaction)."""
        conn.execute(revocation_outbox.delete().where(revocation_outbox.c.pending_id == pending_id,
                                                      revocation_outbox.c.due_at.is_(None)))

    def revoke_held(self, pending_id: int, reason: str, *, conn: Connection) -> None:
        """The authorization ended without a link: its held grant becomes due for revocation."""
        conn.execute(revocation_outbox.update().where(
            revocation_outbox.c.pending_id == pending_id, revocation_outbox.c.due_at.is_(None)
        ).values(due_at=self._now(), reason=reason))

    def retire_token(self, provider: Provider, subject: str, reason: str, *, conn: Connection) -> bool:
        """Move the stored token of ``subject`` into the outbox (due now) inside ``conn``'s transaction.

        The token row is locked and read in this transaction (a refresh that rotated it first is seen), copied
        as ciphertext into a "revoke this grant" row and deleted, so the registry change and the revocation
        commit together. Returns whether there was a token.
        """
        where = sa.and_(tokens.c.provider == provider.value, tokens.c.subject == subject)
        row = conn.execute(sa.select(tokens.c.access_token, tokens.c.key_fp).where(where).with_for_update()
                           ).first()
        if row is None:
            return False
        conn.execute(revocation_outbox.insert().values(
            provider=provider.value, subject=subject, access_token=row.access_token, key_fp=row.key_fp,
            reason=reason, pending_id=None, created_at=self._now(), due_at=self._now(), attempts=0))
        conn.execute(tokens.delete().where(where))
        return True

    def lock_account(self, open_id: str, *, conn: Connection) -> None:
        """Serialise changes to one account's links and token (PostgreSQL row lock; SQLite's writers already
        hold the database's write lock)."""
        conn.execute(sa.select(accounts.c.open_id).where(accounts.c.open_id == open_id).with_for_update())

    def due_revocations(self, now: datetime, *, limit: int = 50) -> list[tuple[int, Provider, str, str, int]]:
        """Outbox rows due at ``now``: ``(id, provider, subject, access_token, attempts)`` (token decrypted)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(revocation_outbox).where(
                revocation_outbox.c.due_at.is_not(None), revocation_outbox.c.due_at <= now,
            ).order_by(revocation_outbox.c.due_at, revocation_outbox.c.id).limit(limit)).mappings().all()
        out = []
        for r in rows:
            if r["key_fp"] is not None and r["key_fp"] not in self._box.fingerprints:
                raise _foreign_key_error([r["key_fp"]], self._box.fingerprints)
            out.append((r["id"], Provider(r["provider"]), r["subject"], self._box.decrypt(r["access_token"]),
                        r["attempts"]))
        return out

    def revocation_done(self, outbox_id: int) -> None:
        """TikTok confirmed the revoke: the row (and the token it held) goes."""
        with self._write() as conn:
            conn.execute(revocation_outbox.delete().where(revocation_outbox.c.id == outbox_id))

    def revocation_failed(self, outbox_id: int, reason: str, retry_at: datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        with self._write() as conn:
            conn.execute(revocation_outbox.update().where(revocation_outbox.c.id == outbox_id).values(
                attempts=revocation_outbox.c.attempts + 1, last_error=reason, due_at=retry_at))

    def outbox(self) -> list[dict[str, Any]]:
        """Every outbox row without its secret (status, tests, the monitor)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(*(c for c in revocation_outbox.c if c.name != "access_token"))
                                .order_by(revocation_outbox.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # --- counts (health, tests) ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
                for table in (shops, accounts, links, link_checks, link_events, tokens, pending, revocation_outbox)
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


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (persistent, so only its first opener changes it).

    The switch needs an exclusive lock, and SQLite may refuse it at once (without waiting on busy_timeout)
    while another new process is switching too; retry briefly.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT  # in total: each attempt may itself wait on busy_timeout
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _upgrade(conn: Connection) -> None:
    """Run Alembic on ``conn`` (inside the caller's transaction and lock) up to :data:`SCHEMA_VERSION`."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(resources.files("linkkit.migrations")))
    config.attributes["connection"] = conn
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(conn).get_current_revision()
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise RegistryError(f"The registry was written by a newer linkkit (schema revision {current}, this "
                                f"linkkit knows up to {_HEAD}). Upgrade linkkit.") from None
    elif sa.inspect(conn).has_table("schema_migrations"):
        legacy = conn.execute(sa.select(sa.func.max(schema_migrations.c.version))).scalar()
        if legacy is not None and legacy > 1:
            raise RegistryError(f"The registry was written by a newer linkkit (schema {legacy}). Upgrade linkkit.")
        command.stamp(config, "0001")  # made by the pre-Alembic migration: the tables of revision 0001 exist
    if current != _HEAD:
        command.upgrade(config, _HEAD)


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite registry file with mode 0600 (SQLite gives its -wal/-shm files the same mode)."""
    database = sa.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # connecting reports the missing directory as RegistryMissing
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(mode & 0o700)
            log.warning("Made the registry %s private to its owner (it was mode %o).", path, mode)
    except OSError:
        return  # unwritable directory: connecting reports it


def _database_error(exc: SQLAlchemyError, url: str, action: str) -> RegistryError:
    """One distinct, password-free error for what went wrong talking to the database."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    text = str(orig or "").lower()
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    shown = mask_url(url)
    if url.startswith("sqlite"):
        database = sa.make_url(url).database or ""
        if "unable to open database file" in text:
            folder = Path(database).parent
            if not folder.is_dir():
                return RegistryMissing(f"No such registry database: the folder {folder} does not exist ({shown}).")
            return RegistryAuthFailed(f"Access to the registry database {shown} was denied (file permissions).")
        if "database is locked" in text:
            return RegistryError(f"The registry {shown} is locked by another process (waited {BUSY_TIMEOUT:.0f} s): "
                                 "try again when it has finished")
        if "file is not a database" in text or "malformed" in text:
            return RegistryError(f"The registry {shown} is not a readable SQLite database (damaged, or another "
                                 "file): restore it from a backup (`linkkit backup` makes them)")
    elif isinstance(exc, DBAPIError):
        if sqlstate in ("28P01", "28000") or "password authentication failed" in text or "no password" in text:
            return RegistryAuthFailed(f"Authentication failed for the registry database {shown}: check the user "
                                      "and password in LINKKIT_DATABASE_URL.")
        if sqlstate == "3D000" or ("database" in text and "does not exist" in text):
            return RegistryMissing(f"No such registry database: {shown} (create it first, e.g. with createdb).")
        if exc.connection_invalidated or sqlstate.startswith("08") or any(word in text for word in (
                "connection refused", "could not connect", "connection failed", "timeout", "timed out",
                "could not translate host", "name or service not known", "server closed the connection",
                "no route to host", "network is unreachable", "connection reset")):
            return RegistryUnreachable(f"The registry database {shown} is unreachable: is the server running "
                                       "and the host and port right?")
    return RegistryError(f"The registry {action}: {type(exc).__name__} ({shown}).")


def _foreign_key_error(found: Sequence[str], ours: Sequence[str]) -> ConfigError:
    return ConfigError(
        "LINKKIT_SECRET_KEY cannot decrypt this registry: its secrets were written with the key whose fingerprint "
        f"is {', '.join(found)}, and this process has {', '.join(ours)}. Every process sharing a registry needs "
        "the same LINKKIT_SECRET_KEY (after a key change, list the old key after the new one). Nothing was "
        "changed."
    )


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RegistryError("The registry did not return the new row's id.")
    return int(key[0])


def _integrity_to_error(exc: IntegrityError) -> Exception:
    text = str(exc.orig)
    if "uq_links_one_official" in text or ("links.shop_id" in text and "account_open_id" not in text):
        return RuleViolation("This shop already has an active Official account.", reason="official_limit_reached")
    if "uq_links_one_per_account" in text or "links.shop_id, links.account_open_id" in text:
        return RuleViolation("This TikTok account is already linked to this shop.", reason="already_linked")
    return RegistryError(f"The registry refused an inconsistent change: {type(exc.orig).__name__}")


#: The registry port (design §2) is today's Store.
Registry = Store
