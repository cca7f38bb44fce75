"""Refresh under faults (issue 10 item 4), over loopback against the sandbox, on SQLite and PostgreSQL.

A refresh held at TikTok blocks no other kernel's registry write; a long ``Retry-After`` ends as
``rate_limited`` instead of being waited out; a lost refresh answer leads straight to the re-authorize state;
a lease left by a dead kernel is taken over.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from linkkit import troubleshoot
from linkkit.crypto import TokenBox
from linkkit.errors import ProviderError
from linkkit.models import CheckName, LinkStatus, Provider, Role
from linkkit.store import Store
from tests.integration.conftest import MAPLE, Harness
from tests.integration.test_processes import _PRELUDE, ROOT, finish, run_in_process

pytestmark = pytest.mark.integration


def _refreshes(h: Harness) -> list[dict[str, Any]]:
    return [r for r in h.control("GET", "/requests")["requests"]
            if r["path"] == "/v2/oauth/token/" and (r["body"] or {}).get("grant_type") == "refresh_token"]


def _patient_refresher(h: Harness, link_id: int) -> subprocess.Popen[str]:
    """Another kernel refreshing with a 100 s HTTP timeout: it outwaits SQLite's 30 s busy timeout."""
    settings = {"sandbox_url": h.settings.sandbox_url, "database_url": h.settings.database_url,
                "secret_key": h.settings.secret_key, "timeout": 100.0}
    code = _PRELUDE + textwrap.dedent("""
        print("refreshed", service.refresh_tokens(int(sys.argv[2]), force=True), flush=True)
    """)
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(settings), str(link_id)], cwd=ROOT,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(h: Harness, hold_id: str, state: str) -> None:
    deadline = time.monotonic() + 30
    while h.control("GET", f"/holds/{hold_id}")["hold"]["state"] != state:
        assert time.monotonic() < deadline, f"the hold never became {state}"
        time.sleep(0.01)


def test_a_refresh_held_at_tiktok_blocks_no_other_kernels_write(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    hold = h.control("POST", "/holds", {"match": "token_refresh", "timeout_seconds": 120})["hold"]
    refresher = _patient_refresher(h, link.id)
    try:
        _wait_for(h, hold["id"], "holding")
        if h.service.store.engine.dialect.name == "postgresql":
            with h.service.store.engine.connect() as conn:
                locks = conn.execute(sa.text(
                    "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = 'tokens' AND l.pid <> pg_backend_pid()")).scalars().all()
            assert locks == [], "nobody holds a lock on the tokens table while TikTok is called"
        # another kernel writes the registry, the tokens table included, while the refresh is at TikTok
        writer = run_in_process(h, """
            from datetime import UTC, datetime, timedelta
            from linkkit.models import Provider
            service.store.save_token(Provider.SHOP, "another-seller", access_token="TTP_x", refresh_token="TTP_r",
                                     expires_at=datetime.now(UTC) + timedelta(days=7), refresh_expires_at=None,
                                     scopes=())
            service.store.add_event("unrelated", actor="other-kernel")
            print("wrote", flush=True)
        """)
        assert finish(writer).split() == ["wrote"]
        assert refresher.poll() is None, "the refresh is still waiting for TikTok"
        assert h.control("GET", f"/holds/{hold['id']}")["hold"]["state"] == "holding", \
            "the write finished while the refresh was still held at TikTok"
    finally:
        h.control("POST", f"/holds/{hold['id']}/release")
    assert finish(refresher).split() == ["refreshed", "1"]
    assert h.service.store.token(Provider.SHOP, "another-seller") is not None
    assert "unrelated" in [e.kind for e in h.service.store.events()]


def test_a_long_retry_after_ends_as_rate_limited_which_the_seller_sees(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None
    h.control("DELETE", "/requests")
    h.control("POST", "/faults", {"kind": "http_429", "count": 5, "retry_after": 45,
                                  "path_prefix": "/v2/oauth/token/"})
    h.service.sandbox.advance_clock(3 * 3600)  # type: ignore[union-attr]  # the access token is now expired
    after = h.service.verify(link.id)
    # A rate-limited check is no verdict: the link keeps its status and says the last check failed, and why.
    assert after.status is link.status
    assert after.last_check_failed_reason == "rate_limited" and after.last_check_failed_at is not None
    assert troubleshoot.entry("rate_limited").code == "rate_limited"
    assert not troubleshoot.needs_reauthorization("rate_limited")
    assert len(_refreshes(h)) == 1, "a 45 s Retry-After is not waited out and retried"
    token = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert token is not None and token.version == before.version and token.refresh_token == before.refresh_token
    assert token.lease_holder is None, "the lease was released"


def test_a_short_retry_after_is_honoured(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    h.control("DELETE", "/requests")
    h.control("POST", "/faults", {"kind": "http_429", "count": 1, "retry_after": 1,
                                  "path_prefix": "/v2/oauth/token/"})
    assert h.service.refresh_tokens(link.id, force=True) == 1
    assert [r["status"] for r in _refreshes(h)] == [429, 200]


def test_a_lost_refresh_answer_goes_straight_to_reauthorize(make_harness: Any) -> None:
    h: Harness = make_harness(timeout=1.0)
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None
    h.control("DELETE", "/requests")
    # TikTok rotates the refresh token, then the answer never arrives (the client times out after 1 s)
    hold = h.control("POST", "/holds", {"match": "token_refresh", "phase": "after", "timeout_seconds": 10})["hold"]
    h.service.sandbox.advance_clock(3 * 3600)  # type: ignore[union-attr]
    try:
        after = h.service.verify(link.id)
    finally:
        h.control("POST", f"/holds/{hold['id']}/release")
    check = next(c for c in after.checks if c.name is CheckName.TOKEN_WORKS)
    assert check.ok is False and check.reason == "refresh_token_invalid"
    assert troubleshoot.entry(check.reason).needs_reauthorization, "the UI offers Repair"
    assert after.status is LinkStatus.NEEDS_ATTENTION
    refreshes = _refreshes(h)
    assert [r["status"] for r in refreshes] == [200, 400], "retried once with the same token; TikTok refused"
    token = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert token is not None and token.version == before.version and token.lease_holder is None
    # the next refresh says the same, clearly (not a vague "TikTok unavailable")
    with pytest.raises(ProviderError) as caught:
        h.service.refresh_tokens(link.id, force=True)
    assert caught.value.reason == "refresh_token_invalid"


def test_a_lost_answer_before_tiktok_processed_it_is_retried_and_succeeds(make_harness: Any) -> None:
    h: Harness = make_harness(timeout=1.0)
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    before = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert before is not None
    h.control("DELETE", "/requests")
    # the first attempt is held before TikTok processes it, past the client's timeout; the retry goes through
    hold = h.control("POST", "/holds", {"match": "token_refresh", "phase": "before", "timeout_seconds": 30})["hold"]
    try:
        assert h.service.refresh_tokens(link.id, force=True) == 1
    finally:
        h.control("POST", f"/holds/{hold['id']}/release")
    token = h.service.store.token(Provider.LOGIN_KIT, link.account.open_id)
    assert token is not None and token.version == before.version + 1
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED


def test_a_lease_left_by_a_dead_kernel_is_taken_over(h: Harness) -> None:
    h.connect()
    link = h.bind(h.authorize(MAPLE, Role.MARKETING, "maple.deals"))
    open_id = link.account.open_id
    before = h.service.store.token(Provider.LOGIN_KIT, open_id)
    assert before is not None
    # a kernel took the lease two hours ago (one-hour lease) and died before storing anything
    past = h.service.now() - timedelta(hours=2)
    dead = Store(h.settings.resolved_database_url, TokenBox(h.settings.secret_key), clock=lambda: past)
    try:
        assert dead.lease_token(Provider.LOGIN_KIT, open_id, version=before.version, holder="dead-kernel",
                                ttl=timedelta(hours=1))
    finally:
        dead.close()
    leased = h.service.store.token(Provider.LOGIN_KIT, open_id)
    assert leased is not None and leased.lease_holder == "dead-kernel"
    assert h.service.refresh_tokens(link.id, force=True) == 1
    after = h.service.store.token(Provider.LOGIN_KIT, open_id)
    assert after is not None and after.version == before.version + 1 and after.lease_holder is None
    assert h.service.verify(link.id).status is LinkStatus.CONNECTED
