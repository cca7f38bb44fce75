"""``linkkit backup FILE``: a consistent copy of the registry, checked before it is called a backup.

SQLite keeps recent commits in the ``-wal`` file beside the database until a checkpoint folds them in, so a plain
copy of the main file can open as a valid but *older, or empty,* registry — silently. The copy is therefore made
with SQLite's online backup API (``sqlite3.Connection.backup``), which reads the database as any reader does,
write-ahead log included, from one consistent snapshot while linkkit keeps running. The copy is a single file
(rollback journal, no ``-wal``), created with mode 0600 (it holds encrypted tokens and who linked what), written
beside the target and renamed into place only once it is complete and verified: it opens, passes SQLite's
integrity check and has the same row count in every table as the registry had in the snapshot copied.

PostgreSQL: when ``pg_dump`` is on ``PATH`` it writes a custom-format archive (``pg_restore`` reads it back), with
the password handed over in the environment (``PGPASSWORD``), never on the command line; the archive's table of
contents is checked with ``pg_restore --list`` when that is installed. Without ``pg_dump`` the command prints the
command to run (password masked) and fails.

Example:
    >>> import sqlite3, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with sqlite3.connect(folder / "registry.sqlite3") as db:
    ...     _ = db.execute("CREATE TABLE links (id INTEGER)")
    ...     _ = db.execute("INSERT INTO links VALUES (1)")
    >>> db.close()
    >>> report = backup_registry(f"sqlite:///{folder / 'registry.sqlite3'}", folder / "copy.sqlite3")
    >>> report.counts
    {'links': 1}
    >>> oct((folder / "copy.sqlite3").stat().st_mode & 0o777)
    '0o600'
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BackupError", "BackupReport", "backup_registry", "pg_dump_command"]


class BackupError(Exception):
    """The backup could not be made; nothing was written (the message is one line, password-free)."""


@dataclass(frozen=True)
class BackupReport:
    """What was written: the file, its size, and the rows per table it holds (SQLite; PostgreSQL: the tables)."""

    path: Path
    size: int
    counts: dict[str, int] = field(default_factory=dict)
    tables: tuple[str, ...] = ()


def backup_registry(url: str, target: Path | str, *, force: bool = False) -> BackupReport:
    """Copy the registry at ``url`` to ``target``; see the module docstring.

    Raises:
        BackupError: The registry is missing or unreadable, ``target`` exists (without ``force``) or cannot be
            written, or the copy did not verify. Nothing is left at ``target`` (an existing file is untouched).
    """
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup a file name, e.g. {target / 'registry.sqlite3'}")
    if (target.exists() or target.is_symlink()) and not force:
        raise BackupError(f"{target} already exists: choose another name, or add --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"Cannot write {target}: the folder {target.parent} does not exist")
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return _backup_sqlite(_sqlite_path(url), target)
    if scheme.startswith("postgresql"):
        return _backup_postgresql(url, target)
    raise BackupError(f"linkkit backup knows SQLite and PostgreSQL registries, not {scheme}")


# --- SQLite -------------------------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    import sqlalchemy as sa

    database = sa.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("The registry is not a SQLite file that can be backed up (in-memory or a URI name)")
    return Path(database)


def _busy_timeout() -> float:
    from linkkit.store import database

    return float(database.BUSY_TIMEOUT)  # wait for another process's lock as long as the registry itself does


def _table_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: int(db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}  # noqa: S608


def _backup_sqlite(source: Path, target: Path) -> BackupReport:
    if not source.is_file():
        raise BackupError(f"No registry at {source}: nothing to back up (is LINKKIT_DATABASE_URL right?)")
    part = _new_private_file(target)
    try:
        try:
            # mode=rw: never creates a registry; reading takes no write lock, so linkkit keeps running
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=_busy_timeout())
        except sqlite3.Error as exc:
            raise BackupError(f"Cannot open the registry {source}: {exc}") from None
        try:
            src.execute("BEGIN")  # one snapshot for the counts and the copy (the backup reads in this transaction)
            counts = _table_counts(src)
            if "links" not in counts:
                raise BackupError(f"{source} is not a linkkit registry (it has no links table)")
            dst = sqlite3.connect(part)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal beside the copy
            finally:
                dst.close()
            src.rollback()
        except sqlite3.Error as exc:
            raise BackupError(f"Cannot read the registry {source}: {exc}") from None
        finally:
            src.close()
        copied = _verify_sqlite(part, counts)
        _fsync(part)
        os.replace(part, target)
        _fsync(target.parent)
        return BackupReport(target, target.stat().st_size, copied, tuple(copied))
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _verify_sqlite(copy: Path, expected: dict[str, int]) -> dict[str, int]:
    try:
        db = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            counts = _table_counts(db)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The copy does not open as a database ({exc}); nothing was written") from None
    if check != "ok":
        raise BackupError(f"The copy failed SQLite's integrity check ({check}); nothing was written")
    if counts != expected:
        differ = ", ".join(f"{t} {expected.get(t)}→{counts.get(t)}" for t in sorted(set(counts) | set(expected))
                           if counts.get(t) != expected.get(t))
        raise BackupError(f"The copy's row counts differ from the registry's ({differ}); nothing was written")
    return counts


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


def pg_dump_command(url: str, target: Path | str) -> tuple[list[str], dict[str, str]]:
    """The ``pg_dump`` command line (no password in it) and the environment entries it needs (``PGPASSWORD``)."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    command = ["pg_dump", "--format=custom", "--no-password", f"--file={target}"]
    if parsed.host:
        command.append(f"--host={parsed.host}")
    if parsed.port:
        command.append(f"--port={parsed.port}")
    if parsed.username:
        command.append(f"--username={parsed.username}")
    command.append(str(parsed.database or ""))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return command, {k: str(v) for k, v in env.items()}


def _backup_postgresql(url: str, target: Path) -> BackupReport:
    from linkkit.store import mask_url

    command, secret_env = pg_dump_command(url, target)
    if shutil.which("pg_dump") is None:
        shown = " ".join(command)
        raise BackupError(f"pg_dump is not installed: install PostgreSQL's client tools, then run `{shown}` with "
                          f"the password of {mask_url(url)} in PGPASSWORD (or ~/.pgpass)")
    part = _new_private_file(target)
    try:
        command, _ = pg_dump_command(url, part)
        done = subprocess.run(command, env={**os.environ, **secret_env}, capture_output=True, text=True,
                              timeout=3600, check=False)
        if done.returncode != 0:
            reason = " ".join((done.stderr.strip().splitlines() or ["no message"])[-1].split())
            raise BackupError(f"pg_dump could not back up {mask_url(url)}: {mask_url(reason)}")
        tables: tuple[str, ...] = ()
        if shutil.which("pg_restore") is not None:
            listed = subprocess.run(["pg_restore", "--list", str(part)], capture_output=True, text=True,
                                    timeout=600, check=False)
            if listed.returncode != 0:
                raise BackupError("The archive pg_dump wrote does not read back (pg_restore --list failed)")
            tables = tuple(sorted({line.split()[-2] for line in listed.stdout.splitlines()
                                   if " TABLE DATA " in line and len(line.split()) >= 2}))
            if "links" not in tables:
                raise BackupError(f"The archive of {mask_url(url)} holds no links table: is this the registry?")
        _fsync(part)
        os.replace(part, target)
        _fsync(target.parent)
        return BackupReport(target, target.stat().st_size, {}, tables)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# --- files --------------------------------------------------------------------------------------------------------


def _new_private_file(target: Path) -> Path:
    """An empty 0600 file beside ``target`` (same file system, so the final rename is atomic)."""
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}") from None
    return part


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
