"""Canary secrets stored as a link's tokens, driven through the error paths, appear on no surface a person or an
attacker could read: the registry's files (SQLite main, ``-wal``, ``-shm``; PostgreSQL's plain dump), the output of
``linkkit status``, ``status --json``, ``verify --all`` (plain and JSON), ``export`` (CSV and the XLSX's XML),
``backup``, the dashboard widgets' state (every ipywidgets widget's ``get_state()`` after building
``onboarding_app()`` and ``accounts_app()``) and the DEBUG log of all of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from linkkit import redact
from linkkit.cli import main
from linkkit.models import Provider, Role
from tests.integration.conftest import MAPLE, Harness
from tests.integration.test_leaks import CANARIES, _clients, _every_call

pytestmark = pytest.mark.integration

#: The tokens TikTok "issued" for the link, replaced by canaries in the registry (encrypted at rest).
STORED = {"stored access": "canaryStoredAccess0101", "stored refresh": "canaryStoredRefresh0102"}


@contextmanager
def debug_logging(path: Path) -> Iterator[None]:
    """DEBUG logging to ``path`` with redaction installed, as the CLI and the dashboard pages run."""
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    root, old_level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redact.install()
    try:
        yield
    finally:
        redact.uninstall()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def _widget_states() -> str:
    from ipywidgets.widgets.widget import _instances  # what the deprecated Widget.widgets returns

    def encode(value: Any) -> str:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).decode("latin-1")
        return repr(value)

    return "\n".join(json.dumps(w.get_state(), default=encode) for w in list(_instances.values()))


def _registry_surfaces(h: Harness, tmp_path: Path) -> dict[str, bytes]:
    url = h.settings.database_url
    if url.startswith("sqlite"):
        main_file = Path(url.removeprefix("sqlite:///"))
        found = {f"registry file {p.name[len(main_file.name):] or '(main)'}": p.read_bytes()
                 for p in sorted(main_file.parent.glob(main_file.name + "*"))}
        assert {"registry file (main)", "registry file -wal", "registry file -shm"} <= set(found), sorted(found)
        return found
    import sqlalchemy as sa

    from linkkit.backup import pg_dump_command

    command, secret_env = pg_dump_command(url, tmp_path / "plain.sql")
    command = [arg for arg in command if arg != "--format=custom"] + ["--format=plain"]
    subprocess.run(command, env={**os.environ, **secret_env}, check=True, capture_output=True, timeout=120)
    assert sa.make_url(url).database
    return {"registry (pg_dump, plain SQL)": (tmp_path / "plain.sql").read_bytes()}


def test_no_canary_on_any_surface(h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    debug_log = tmp_path / "debug.log"
    with debug_logging(debug_log):
        surfaces, world, real = _drive(h, tmp_path, monkeypatch, capsys)
    surfaces["DEBUG log"] = debug_log.read_bytes()
    assert b"verify" in surfaces["DEBUG log"].lower(), "DEBUG logging was on"
    _scan(h, surfaces, world, real)

def _drive(h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
           ) -> tuple[dict[str, bytes], dict[str, Any], Any]:
    from linkkit.errors import LinkkitError

    # A bound Official link whose stored Login Kit tokens are then canaries (as if TikTok had issued them).
    h.control("DELETE", "/requests")
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.OFFICIAL, "maple.official"))
    real = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert real is not None
    now = h.service.now()
    h.service.store.save_token(Provider.LOGIN_KIT, link.account.open_id, access_token=STORED["stored access"],
                               refresh_token=STORED["stored refresh"], expires_at=now - timedelta(minutes=1),
                               refresh_expires_at=now + timedelta(days=30), scopes=real.scopes)

    # The error paths: the expired canary access token is refreshed with the canary refresh token, TikTok refuses.
    checked = h.service.verify(link.id)
    assert checked.failing_check is not None, "the canary tokens were really used and refused"
    try:
        h.service.refresh_tokens(force=True)
    except LinkkitError:
        pass
    world = h.control("GET", "/world")
    for _name, call in _every_call(_clients(h.sandbox_url, world)):  # canary app secrets, codes, verifiers
        try:
            call()
        except LinkkitError:
            continue

    # The command line, against the same registry and sandbox.
    for name, value in {"LINKKIT_MODE": "sandbox", "LINKKIT_SANDBOX_URL": h.sandbox_url,
                        "LINKKIT_DATABASE_URL": h.settings.database_url,
                        "LINKKIT_SECRET_KEY": h.settings.secret_key}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    surfaces: dict[str, bytes] = {}
    commands = {"status": ["status"], "status --json": ["status", "--json"], "verify --all": ["verify", "--all"],
                "verify --all --json": ["verify", "--all", "--json"], "export csv": ["export", "links.csv"],
                "export xlsx": ["export", "links.xlsx"], "backup": ["backup", "backup.sqlite3"]}
    for name, argv in commands.items():
        code = main(argv)
        out, err = capsys.readouterr()
        assert code in (0, 1), f"{name}: {err}"
        surfaces[f"`linkkit {name}` output"] = (out + err).encode()
    surfaces["export file links.csv"] = (tmp_path / "links.csv").read_bytes()
    with zipfile.ZipFile(tmp_path / "links.xlsx") as book:
        surfaces["export file links.xlsx (unzipped)"] = b"".join(book.read(n) for n in book.namelist())
    if (tmp_path / "backup.sqlite3").exists():
        surfaces["backup file"] = (tmp_path / "backup.sqlite3").read_bytes()

    # The dashboard's widgets, built against the sandbox with the canary tokens stored.
    from linkkit.ui import accounts_app, onboarding_app

    wizard = onboarding_app(h.service, query="", poll_interval=0.05, web_base="/")
    accounts = accounts_app(h.service, analytics=False)
    assert wizard is not None and accounts is not None
    surfaces["widget state (wizard + accounts page)"] = _widget_states().encode()

    # The registry (the service's connections still open, so the -wal and -shm are there) and the log.
    surfaces.update(_registry_surfaces(h, tmp_path))
    return surfaces, world, real


def _scan(h: Harness, surfaces: dict[str, bytes], world: dict[str, Any], real: Any) -> None:
    # The sandbox records requests with secrets as fingerprints: the canary refresh token really went to TikTok.
    recorded = json.dumps(h.control("GET", "/requests")["requests"])
    fingerprint = hashlib.sha256(STORED["stored refresh"].encode()).hexdigest()[:12]
    assert f"[redacted sha256:{fingerprint}]" in recorded, "the canary refresh token was used (and refused)"
    secrets = dict(STORED) | {f"canary {k}": v for k, v in CANARIES.items()}
    secrets |= {"client_secret": world["login_kit"]["desktop"]["client_secret"],
                "app_secret": world["shop_app"]["app_secret"], "real access": real.access_token,
                "real refresh": real.refresh_token}

    hits = sorted(f"{secret_name} in {surface}" for surface, blob in surfaces.items()
                  for secret_name, secret in secrets.items() if secret.encode() in blob)
    print(f"\nleak scan: {len(surfaces)} surfaces, {len(secrets)} secrets, {len(hits)} hits")
    assert len(surfaces) >= (15 if h.settings.database_url.startswith("sqlite") else 13)
    assert hits == []
