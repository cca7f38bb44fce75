"""Shared fixtures: a clean environment for every test, temp registries, an in-process sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

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


@pytest.fixture
def registry_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
