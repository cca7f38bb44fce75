"""Shared fixtures: a clean environment for every test, temp registries, an in-process sandbox."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
# Read once at import: the autouse fixture below scrubs LINKKIT_* from the environment of every test.
_POSTGRES_URL_FROM_ENV = os.environ.get("LINKKIT_TEST_POSTGRES_URL", "")

_SCRUB = ("OAUTHLIB_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
          "all_proxy", "no_proxy", "LINKKIT_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No OAUTHLIB_* relaxations, no proxies, no stray LINKKIT_* settings; a private data dir."""
    for name in list(os.environ):
        if name.startswith(_SCRUB):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LINKKIT_HOME", str(tmp_path_factory.mktemp("linkkit-home")))


@pytest.fixture
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[object]:
    """One in-process sandbox on a free loopback port for the whole session (reset per test by users)."""
    from linkkit.sandbox import SandboxServer

    server = SandboxServer(port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the session's PostgreSQL server")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole session: ``$LINKKIT_TEST_POSTGRES_URL``, else a throw-away cluster.

    The cluster comes from ``scripts/pg-cluster`` (Debian's PostgreSQL binaries) and is stopped at the end.
    Missing binaries are a test failure, never a skip: the registry must be tested on PostgreSQL.
    """
    if _POSTGRES_URL_FROM_ENV:
        yield _POSTGRES_URL_FROM_ENV
        return
    cluster = Path(tempfile.mkdtemp(prefix="linkkit-pg-"))
    script = ROOT / "scripts" / "pg-cluster"
    started = subprocess.run([str(script), "start", str(cluster)], capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        shutil.rmtree(cluster, ignore_errors=True)
        pytest.fail(f"Could not start a PostgreSQL cluster (scripts/pg-cluster start): {started.stderr.strip()}",
                    pytrace=False)
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(script), "stop", str(cluster)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards); yields its SQLAlchemy URL."""
    name = f"linkkit_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The registry's database URL, once per backend: a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))
