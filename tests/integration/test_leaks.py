"""After a complete flow with DEBUG logging on, no secret appears in clear in the logs or the database."""

from __future__ import annotations

import hashlib
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

    # The sandbox records requests with each secret replaced by "[redacted sha256:<12 hex>]": those placeholders
    # are no secrets to look for. They do prove which secrets went over the wire: the tokens below among them.
    recorded: set[str] = set()
    for request in h.control("GET", "/requests")["requests"]:
        recorded |= _secrets_in(request)
    assert recorded and all(value.startswith("[redacted sha256:") for value in recorded)
    secrets: set[str] = set()
    world = h.control("GET", "/world")
    secrets |= {world["login_kit"]["desktop"]["client_secret"], world["shop_app"]["app_secret"]}
    assert first is not None
    secrets |= {first.access_token, first.refresh_token}
    for provider, subject in ((Provider.LOGIN_KIT, link.account.open_id), (Provider.SHOP, h.service.shop(MAPLE).seller_open_id)):
        token = h.service.store.token(provider, subject)
        assert token is not None
        secrets |= {token.access_token, token.refresh_token}
    assert len(secrets) >= 6, "the flow exchanged app secrets and tokens"
    sent = {f"[redacted sha256:{hashlib.sha256(s.encode()).hexdigest()[:12]}]" for s in secrets}
    assert len(sent & recorded) >= 3, "tokens and app secrets looked for are ones TikTok really saw"

    log_text = log_file.read_text()
    assert "Request body was" in log_text or "Obtained token" in log_text, "DEBUG logging really was on"
    leaked_in_logs = sorted(s[:6] + "…" for s in secrets if s in log_text)
    assert leaked_in_logs == []

    db_path = Path(h.settings.database_url.removeprefix("sqlite:///"))
    blobs = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    leaked_in_db = sorted(s[:6] + "…" for s in secrets if s.encode() in blobs)
    assert leaked_in_db == []


# --- failures: canary secrets never surface in logs, messages or formatted tracebacks ------------------------

CANARIES = {
    "client_secret": "canaryClientSecret0001",
    "app_secret": "canaryAppSecret0002",
    "code": "canaryAuthCode0003",
    "verifier": "canaryVerifier0004" + "v" * 30,
    "refresh": "canaryRefresh0005",
    "access": "canaryAccess0006",
}


def _clients(base_url: str, world: dict[str, Any], *, timeout: float = 5.0) -> Any:
    from linkkit.tiktok.clients import AppConfig, TikTokClients
    from linkkit.tiktok.endpoints import Endpoints

    app = AppConfig(client_key=world["login_kit"]["desktop"]["client_key"], client_secret=CANARIES["client_secret"],
                    app_key=world["shop_app"]["app_key"], app_secret=CANARIES["app_secret"],
                    service_id=world["shop_app"]["service_id"], redirect_uri="http://127.0.0.1:8866/cb",
                    timeout=timeout, max_retries=1, backoff=0.01)
    return TikTokClients(Endpoints.sandbox(base_url), lambda: app)


def _every_call(clients: Any) -> list[tuple[str, Any]]:
    from datetime import UTC, datetime

    login = clients.login(["user.info.basic"])
    now = datetime.now(UTC)
    return [
        ("shop token/get", lambda: clients.shop_auth().get_token(CANARIES["code"])),
        ("shop token/refresh", lambda: clients.shop_auth().refresh(CANARIES["refresh"])),
        ("shop signed call", lambda: clients.shop(CANARIES["access"]).authorized_shops()),
        ("login token", lambda: login.exchange_code(CANARIES["code"], code_verifier=CANARIES["verifier"], now=now)),
        ("login refresh", lambda: login.refresh(CANARIES["refresh"], now=now)),
        ("login user info", lambda: login.user_info(CANARIES["access"], granted=["user.info.basic"])),
        ("login revoke", lambda: login.revoke(CANARIES["access"])),
    ]


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG], ids=["default", "debug"])
@pytest.mark.parametrize("failure", ["refused", "timeout", "http_4xx", "http_5xx", "malformed"])
def test_failures_leak_no_secret(h: Harness, tmp_path: Path, failure: str, level: int) -> None:
    import traceback

    from linkkit.errors import LinkkitError

    world = h.control("GET", "/world")
    base = h.sandbox_url
    timeout = 5.0
    if failure == "refused":
        base = f"http://127.0.0.1:{_closed_port()}"
    elif failure == "timeout":
        timeout = 0.3
        h.control("POST", "/faults", {"kind": "latency", "latency_ms": 1500, "count": 100, "path_prefix": "/"})
    elif failure == "http_5xx":
        h.control("POST", "/faults", {"kind": "http_503", "count": 100, "path_prefix": "/"})
    elif failure == "malformed":
        h.control("POST", "/faults", {"kind": "malformed", "count": 100, "path_prefix": "/"})
    # http_4xx: the real sandbox refuses the canary credentials, code, refresh and access tokens

    log_file = tmp_path / "failures.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root, old_level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(level)
    redact.install()
    app_log = logging.getLogger("linkkit.test_leaks")
    shown: list[str] = []
    reasons: dict[str, str] = {}
    try:
        for name, call in _every_call(_clients(base, world, timeout=timeout)):
            try:
                call()
            except LinkkitError as exc:
                reasons[name] = exc.reason
                app_log.exception("%s failed", name)  # what an application does with an error
                app_log.warning("%s failed: %s (%r)", name, exc, exc)
                shown += ["".join(traceback.format_exception(exc)), str(exc), repr(exc)]
    finally:
        redact.uninstall()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()

    assert len(reasons) >= 6, f"every call failed as set up ({failure}): {reasons}"
    if failure in ("refused", "timeout"):
        assert set(reasons.values()) == {"provider_unavailable"}
    log_text = log_file.read_text()
    assert "Traceback (most recent call last)" in log_text, "the logged tracebacks were really written"
    leaks = sorted(f"{key} in {where}" for key, canary in CANARIES.items()
                   for where, text in (("logs", log_text), ("tracebacks", "\n".join(shown))) if canary in text)
    assert leaks == []
