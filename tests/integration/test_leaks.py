"""After a complete flow with DEBUG logging on, no secret appears in clear in the logs or the database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from linkkit import redact
from linkkit.models import Provider, Role
from tests.integration.conftest import MAPLE, Harness

pytestmark = pytest.mark.integration

_SECRET_FIELDS = ("code", "code_verifier", "auth_code", "refresh_token", "access_token", "token", "client_secret",
                  "app_secret", "state")


def _secrets_in(request: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    sources: list[dict[str, Any]] = [request.get("query") or {}]
    body = request.get("body")
    if isinstance(body, dict):
        sources.append(body)
    elif isinstance(body, str) and "=" in body:
        sources.append(dict(parse_qsl(body)))
    for source in sources:
        for key in _SECRET_FIELDS:
            value = source.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, str) and len(value) >= 8:
                found.add(value)
    return found


def test_no_secret_in_logs_or_database(h: Harness, tmp_path: Path) -> None:
    log_file = tmp_path / "debug.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redact.install()  # as the CLI and the dashboard pages do: constructing a service installs nothing
    try:
        h.control("DELETE", "/requests")
        h.connect()
        link = h.bind(h.authorize(MAPLE, Role.OFFICIAL, "maple.official"))
        first = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
        h.service.refresh_tokens(force=True)
        h.service.verify(link.id)
        marketing = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
        h.service.sandbox.advance_clock(25 * 3600)  # type: ignore[union-attr]
        h.service.unlink(marketing.id)
    finally:
        redact.uninstall()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()

    secrets: set[str] = set()
    for request in h.control("GET", "/requests")["requests"]:
        secrets |= _secrets_in(request)
    world = h.control("GET", "/world")
    secrets |= {world["login_kit"]["desktop"]["client_secret"], world["shop_app"]["app_secret"]}
    assert first is not None
    secrets |= {first.access_token, first.refresh_token}
    for provider, subject in ((Provider.LOGIN_KIT, link.account.open_id), (Provider.SHOP, h.service.shop(MAPLE).seller_open_id)):
        token = h.service.store.token(provider, subject)
        assert token is not None
        secrets |= {token.access_token, token.refresh_token}
    assert len(secrets) >= 10, "the flow exchanged codes, verifiers and tokens"

    log_text = log_file.read_text()
    assert "Request body was" in log_text or "Obtained token" in log_text, "DEBUG logging really was on"
    leaked_in_logs = sorted(s[:6] + "…" for s in secrets if s in log_text)
    assert leaked_in_logs == []

    db_path = Path(h.settings.database_url.removeprefix("sqlite:///"))
    blobs = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    leaked_in_db = sorted(s[:6] + "…" for s in secrets if s.encode() in blobs)
    assert leaked_in_db == []
