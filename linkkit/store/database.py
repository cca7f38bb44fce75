"""Opening the registry database: engines, migrations, file modes, and errors that say what went wrong."""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from linkkit.errors import ConfigError, RegistryError, RuleViolation
from linkkit.store.schema import HEAD_REVISION, schema_migrations

log = logging.getLogger("linkkit.store")

#: Seconds a SQLite connection waits for another process's lock before giving up (busy timeout), in total.
BUSY_TIMEOUT = 30.0



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




def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def enable_wal(cursor: Any) -> None:
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


def upgrade_schema(conn: Connection) -> None:
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
                                f"linkkit knows up to {HEAD_REVISION}). Upgrade linkkit.") from None
    elif sa.inspect(conn).has_table("schema_migrations"):
        legacy = conn.execute(sa.select(sa.func.max(schema_migrations.c.version))).scalar()
        if legacy is not None and legacy > 1:
            raise RegistryError(f"The registry was written by a newer linkkit (schema {legacy}). Upgrade linkkit.")
        command.stamp(config, "0001")  # made by the pre-Alembic migration: the tables of revision 0001 exist
    if current != HEAD_REVISION:
        command.upgrade(config, HEAD_REVISION)


def make_private_sqlite_file(url: str) -> None:
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


def database_error(exc: SQLAlchemyError, url: str, action: str) -> RegistryError:
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


def foreign_key_error(found: Sequence[str], ours: Sequence[str]) -> ConfigError:
    return ConfigError(
        "LINKKIT_SECRET_KEY cannot decrypt this registry: its secrets were written with the key whose fingerprint "
        f"is {', '.join(found)}, and this process has {', '.join(ours)}. Every process sharing a registry needs "
        "the same LINKKIT_SECRET_KEY (after a key change, list the old key after the new one). Nothing was "
        "changed."
    )


def new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RegistryError("The registry did not return the new row's id.")
    return int(key[0])


def integrity_to_error(exc: IntegrityError) -> Exception:
    text = str(exc.orig)
    if "uq_links_one_official" in text or ("links.shop_id" in text and "account_open_id" not in text):
        return RuleViolation("This shop already has an active Official account.", reason="official_limit_reached")
    if "uq_links_one_per_account" in text or "links.shop_id, links.account_open_id" in text:
        return RuleViolation("This TikTok account is already linked to this shop.", reason="already_linked")
    return RegistryError(f"The registry refused an inconsistent change: {type(exc.orig).__name__}")



def check_url(url: str) -> None:
    """Refuse, as a :class:`ConfigError`, a registry URL that is no URL or names a database without a dialect."""
    try:
        sa.make_url(url).get_dialect()
    except sa.exc.ArgumentError as exc:  # NoSuchModuleError (no such dialect or driver) is one too
        raise ConfigError(f"The registry URL {mask_url(url)} cannot be used ({exc}): LINKKIT_DATABASE_URL must be "
                          "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE.") from None
