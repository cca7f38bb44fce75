"""Shared assertions for negative tests: nothing was stored, and a refused grant was revoked at TikTok.

Use them after any refusal (a rule, a denied consent, a stale or replayed callback)::

    from tests.nothing_stored import assert_grant_revoked, assert_nothing_stored

    assert_nothing_stored(service, callback)               # no link, account or token; pending finished
    assert_grant_revoked(sandbox_url, callback)           # the code's grant is dead at TikTok

"Nothing stored" means: no link and no TikTok account row, no Login Kit token (the seller's shop token may
exist), no pending authorization claimed but left without an outcome, and — given the callback — the pending
authorization its ``state`` names is finished with a reason code (not ``ok``). The registry is read with plain
SQL on its tables, so the check does not trust the code under test to report on itself.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import sqlalchemy as sa

TIMEOUT = 10


def _params(callback: str) -> dict[str, str]:
    query = urlsplit(callback).query if "://" in callback or "?" in callback else callback
    return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def _rows(service: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    with service.store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]


def assert_nothing_stored(service: Any, callback: str | None = None, *, reason: str | None = None,
                          links: int = 0, accounts: int = 0) -> None:
    """Assert a refusal left nothing behind in ``service``'s registry.

    Args:
        service: The LinkService whose registry is checked.
        callback: The refused callback URL or query (its ``state`` names the pending authorization).
        reason: The reason code the pending authorization must end with (default: any, but not ``ok``).
        links: Links that existed before (set-up); none may be added.
        accounts: TikTok accounts that existed before; none may be added.
    """
    found_links = _rows(service, "SELECT id FROM links")
    assert len(found_links) == links, f"links stored: {found_links}"
    found_accounts = _rows(service, "SELECT open_id FROM tiktok_accounts")
    assert len(found_accounts) == accounts, "a TikTok account was stored"
    login_tokens = _rows(service, "SELECT subject FROM tokens WHERE provider != 'shop'")
    assert len(login_tokens) == accounts, "a Login Kit token was stored for a refused account"
    unfinished = _rows(service, "SELECT id FROM pending_authorizations WHERE used_at IS NOT NULL AND outcome IS NULL")
    assert not unfinished, f"claimed pending authorizations without an outcome: {unfinished}"
    state = _params(callback).get("state") if callback else None
    if state:
        digest = hashlib.sha256(state.encode()).hexdigest()
        mine = _rows(service, "SELECT used_at, outcome FROM pending_authorizations WHERE state_hash = :h", h=digest)
        if mine:  # a state linkkit never issued has no record, which is right too
            [record] = mine
            assert record["used_at"] is not None, "the refused authorization is still open"
            assert record["outcome"] not in (None, "ok"), record
            if reason is not None:
                assert record["outcome"] == reason, record


def marker(value: str) -> str:
    """The marker the sandbox records in place of a secret ``value`` (its SHA-256 fingerprint)."""
    return f"[redacted sha256:{hashlib.sha256(value.encode()).hexdigest()[:12]}]"


def recorded_requests(sandbox_url: str) -> list[dict[str, Any]]:
    """What the sandbox received, oldest first (``GET /_sandbox/requests``)."""
    response = requests.get(f"{sandbox_url}/_sandbox/requests", timeout=TIMEOUT)
    response.raise_for_status()
    return list(response.json()["requests"])


def assert_grant_revoked(sandbox_url: str, callback: str, client_key: str | None = None) -> None:
    """Assert the grant TikTok issued for ``callback``'s code was revoked and no longer works.

    The sandbox records each request: after the token exchange for this code (``POST /v2/oauth/token/``) there
    must be a successful ``POST /v2/oauth/revoke/``, and the token it revoked must now be refused by
    ``GET /v2/user/info/``. A callback without a code (a denied consent) must have caused no exchange at all.
    """
    code = _params(callback).get("code")
    log = recorded_requests(sandbox_url)
    if not code or code == "null":
        assert not [r for r in log if r["path"] == "/v2/oauth/token/" and isinstance(r["body"], dict)
                    and r["body"].get("grant_type") == "authorization_code" and not r["body"].get("code")]
        return
    exchanges = [i for i, r in enumerate(log) if r["method"] == "POST" and r["path"] == "/v2/oauth/token/"
                 and isinstance(r["body"], dict) and r["body"].get("code") == marker(code)]
    assert exchanges, "the code was never exchanged, so there was no grant to revoke"
    first = exchanges[0]
    assert log[first]["status"] == 200, "the exchange failed: no grant was issued"
    revokes = [r for r in log[first + 1:] if r["method"] == "POST" and r["path"] == "/v2/oauth/revoke/"
               and r["status"] == 200 and isinstance(r["body"], dict) and r["body"].get("token")
               and (client_key is None or r["body"].get("client_key") == client_key)]
    assert revokes, "the refused grant was not revoked at TikTok"
    # The sandbox answers {} for unknown tokens too (RFC 7009): look the revoked token up among its grants.
    revoked_marker = revokes[0]["body"]["token"]
    response = requests.get(f"{sandbox_url}/_sandbox/grants", timeout=TIMEOUT)
    response.raise_for_status()
    grants = [g for g in response.json()["grants"] if revoked_marker in g["tokens"]]
    assert len(grants) == 1, "the revoke named a token TikTok never issued"
    assert grants[0]["revoked"], "the revoked token's grant still works"
