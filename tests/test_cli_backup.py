"""``linkkit backup``: the copy holds what is still in the ``-wal`` (a plain copy of the main file does not), is
private, verified, and refuses to overwrite; PostgreSQL goes through ``pg_dump``.

The refusals (existing target, a folder, a missing folder, a read-only folder, a missing, damaged or locked
registry) are rows of ``tests/test_cli_bad_inputs.py``: one line, exit 1, nothing written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from linkkit.cli import main
from linkkit.crypto import TokenBox
from linkkit.models import Shop
from linkkit.store import Store

SHOPS = [Shop(id=f"74941000000000001{i:02d}", name=f"Shop {i}", region="US", seller_type="LOCAL", cipher=f"c{i}")
         for i in range(3)]


def _use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, key: str) -> None:
    monkeypatch.setenv("LINKKIT_DATABASE_URL", url)
    monkeypatch.setenv("LINKKIT_SECRET_KEY", key)
    monkeypatch.setenv("LINKKIT_MODE", "live")
    monkeypatch.setenv("LINKKIT_PUBLIC_URL", "https://shop.example/lk")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A registry in use: three shops committed, still only in the -wal (the Store keeps its connections open)."""
    key = Fernet.generate_key().decode()
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    registry = Store(url, TokenBox(key))
    for shop in SHOPS:
        registry.upsert_shop(shop)
    _use(monkeypatch, tmp_path, url, key)
    yield registry
    registry.close()


def _shops_in(path: Path) -> int | None:
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM shops").fetchone()[0])
    except sqlite3.OperationalError:  # no such table: the copy is a registry from before the migrations
        return None
    finally:
        db.close()


def test_the_backup_holds_what_is_still_in_the_wal_and_a_plain_copy_does_not(
        running: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wal = tmp_path / "registry.sqlite3-wal"
    assert wal.is_file() and wal.stat().st_size > 0, "the commits sit in the -wal, not yet in the main file"
    naive = tmp_path / "naive-copy.sqlite3"
    shutil.copyfile(tmp_path / "registry.sqlite3", naive)
    assert _shops_in(naive) in (None, 0), "the finding: a copy of the main file alone silently misses them"

    code = main(["backup", "backup.sqlite3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    copy = tmp_path / "backup.sqlite3"
    assert _shops_in(copy) == 3
    assert (copy.stat().st_mode & 0o777) == 0o600
    assert not Path(f"{copy}-wal").exists(), "the copy is one self-contained file"
    with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()
    counts = dict(line.split() for line in out.splitlines() if line.startswith("  "))
    assert counts["shops"] == "3" and counts["links"] == "0"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "no temporary file left"
    # and the registry is still in use, untouched
    assert len(running.shops()) == 3


def test_force_replaces_an_existing_file_with_a_private_one(running: Store, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "backup.sqlite3"
    old.write_text("yesterday's backup")
    old.chmod(0o644)
    assert main(["backup", "backup.sqlite3"]) == 1
    assert old.read_text() == "yesterday's backup"
    assert main(["backup", "--force", "backup.sqlite3"]) == 0
    capsys.readouterr()
    assert _shops_in(old) == 3
    assert (old.stat().st_mode & 0o777) == 0o600


def test_a_copy_that_does_not_verify_is_not_kept(running: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from linkkit import backup

    real = backup._table_counts
    calls: list[int] = []

    def counts(db: sqlite3.Connection) -> dict[str, int]:  # the copy (second call) comes out one shop short
        found = real(db)
        calls.append(1)
        return {**found, "shops": found["shops"] - 1} if len(calls) == 2 else found

    monkeypatch.setattr(backup, "_table_counts", counts)
    code = main(["backup", "backup.sqlite3"])
    err = capsys.readouterr().err
    assert code == 1
    assert "row counts differ" in err and "shops 3→2" in err
    assert not (tmp_path / "backup.sqlite3").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.postgresql
def test_postgresql_is_dumped_with_pg_dump_and_the_password_never_shown(
        postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sqlalchemy as sa

    key = Fernet.generate_key().decode()
    registry = Store(postgres_database, TokenBox(key))
    for shop in SHOPS:
        registry.upsert_shop(shop)
    registry.close()
    password = sa.make_url(postgres_database).password
    assert password
    _use(monkeypatch, tmp_path, postgres_database, key)
    code = main(["backup", "registry.dump"])
    out, err = capsys.readouterr()
    assert code == 0, err
    dump = tmp_path / "registry.dump"
    assert (dump.stat().st_mode & 0o777) == 0o600
    assert "links" in out and "shops" in out
    assert password not in out + err
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert " TABLE DATA public shops " in listed.stdout


def test_without_pg_dump_it_says_what_to_run_with_the_password_masked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://linkkit:s3cret-canary@db.example:5432/linkkit"
    _use(monkeypatch, tmp_path, url, Fernet.generate_key().decode())
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("pg_dump") is None
    code = main(["backup", "registry.dump"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "pg_dump is not installed" in err and "--username=linkkit" in err and "linkkit:***@db.example" in err
    assert "s3cret-canary" not in err
    assert sorted(os.listdir(tmp_path)) == ["bin"]


def test_a_backup_while_another_process_keeps_writing_is_one_consistent_snapshot(
        running: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    import time

    from linkkit import backup

    real_counts = backup._table_counts

    def slow_counts(db: sqlite3.Connection) -> dict[str, int]:  # a big registry: counting takes a while
        found = real_counts(db)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(backup, "_table_counts", slow_counts)

    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # the monitor, a wizard: commits land during the backup
        i = 0
        while not stop.is_set():
            running.upsert_shop(Shop(id=f"75000000000000{i:05d}", name=f"New {i}", region="US",
                                     seller_type="LOCAL", cipher=f"n{i}"))
            i += 1
            written.append(i)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = []
        for n in range(3):
            code = main(["backup", f"backup-{n}.sqlite3"])
            out, err = capsys.readouterr()
            results.append((code, err))
            assert code == 0, err  # a snapshot that moved under the counts fails verification
            shops = int(next(line.split()[1] for line in out.splitlines() if line.split()[:1] == ["shops"]))
            assert _shops_in(tmp_path / f"backup-{n}.sqlite3") == shops
    finally:
        stop.set()
        thread.join(timeout=30)
    assert results == [(0, "")] * 3
    assert len(written) > 0 and _shops_in(tmp_path / "backup-2.sqlite3") >= 3  # type: ignore[operator]
