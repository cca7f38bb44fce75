"""``/_sandbox/holds``: the next token refresh waits at the sandbox until the test releases it."""

from __future__ import annotations

import concurrent.futures

import pytest
from sandbox_helpers import TIMEOUT, wait_until

pytestmark = pytest.mark.integration


def _refresh(sb, refresh_token):
    return sb.token(grant_type="refresh_token", refresh_token=refresh_token)


def _state(sb, hold_id):
    return sb.get(f"/_sandbox/holds/{hold_id}").json()["hold"]["state"]


def test_hold_blocks_the_next_refresh_until_released(sb):
    tokens = sb.login_tokens()
    hold = sb.post("/_sandbox/holds", json={"match": "token_refresh", "timeout_seconds": 30}).json()["hold"]
    assert hold["state"] == "armed" and hold["phase"] == "before" and hold["timeout_seconds"] == 30
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(_refresh, sb, tokens["refresh_token"])
        assert wait_until(lambda: _state(sb, hold["id"]) == "holding", timeout=TIMEOUT)
        # Held before processing: the refresh token is not spent yet, the sandbox still answers others.
        assert not held.done()
        assert sb.get("/_sandbox/clock").status_code == 200
        assert sb.login_tokens()["access_token"].startswith("act.")
        assert not held.done()
        released = sb.post(f"/_sandbox/holds/{hold['id']}/release").json()["hold"]
        assert released["state"] == "released" and released["path"] == "/v2/oauth/token/"
        response = held.result(timeout=TIMEOUT)
    assert response.status_code == 200 and response.json()["refresh_token"] != tokens["refresh_token"]
    # one hold holds one request: the next refresh goes straight through
    assert _refresh(sb, response.json()["refresh_token"]).status_code == 200


def test_hold_matches_refreshes_only_and_shop_refresh_too(sb):
    shop = sb.shop_tokens()
    hold = sb.post("/_sandbox/holds", json={}).json()["hold"]
    assert sb.login_tokens()["access_token"]  # a code exchange is not a refresh: not held
    assert _state(sb, hold["id"]) == "armed"
    params = {
        "app_key": sb.shop_app["app_key"],
        "app_secret": sb.shop_app["app_secret"],
        "refresh_token": shop["refresh_token"],
        "grant_type": "refresh_token",
    }
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(sb.get, "/api/v2/token/refresh", params=params)
        assert wait_until(lambda: _state(sb, hold["id"]) == "holding", timeout=TIMEOUT)
        assert sb.http.delete(sb.base + "/_sandbox/holds", timeout=TIMEOUT).json() == {"holds": []}
        assert held.result(timeout=TIMEOUT).json()["code"] == 0


def test_hold_after_processing_spends_the_token_then_withholds_the_reply(sb):
    tokens = sb.login_tokens()
    hold = sb.post("/_sandbox/holds", json={"phase": "after"}).json()["hold"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(_refresh, sb, tokens["refresh_token"])
        assert wait_until(lambda: _state(sb, hold["id"]) == "holding", timeout=TIMEOUT)
        # the sandbox already rotated: the old refresh token is spent while the client still waits
        again = _refresh(sb, tokens["refresh_token"])
        assert again.json()["error"] == "invalid_grant"
        assert "rotated" in again.json()["error_description"]
        sb.post(f"/_sandbox/holds/{hold['id']}/release")
        assert held.result(timeout=TIMEOUT).status_code == 200


def test_hold_times_out_so_nothing_hangs(sb):
    tokens = sb.login_tokens()
    hold = sb.post("/_sandbox/holds", json={"timeout_seconds": 0.3}).json()["hold"]
    response = _refresh(sb, tokens["refresh_token"])  # returns by itself after 0.3 s on the sandbox side
    assert response.status_code == 200
    assert _state(sb, hold["id"]) == "timed_out"


def test_unknown_hold_and_bad_hold_bodies(sb):
    assert sb.get("/_sandbox/holds/hold999999").json()["error"] == "unknown_hold"
    assert sb.post("/_sandbox/holds/hold999999/release").status_code == 400
    assert sb.post("/_sandbox/holds", json={"match": "everything"}).status_code == 400
    assert sb.post("/_sandbox/holds", json={"phase": "during"}).status_code == 400
    assert sb.post("/_sandbox/holds", json={"timeout_seconds": 0}).status_code == 400
    assert sb.get("/_sandbox/holds").json() == {"holds": []}


def test_reset_releases_a_held_request(sb):
    tokens = sb.login_tokens()
    hold = sb.post("/_sandbox/holds", json={"timeout_seconds": 60}).json()["hold"]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(_refresh, sb, tokens["refresh_token"])
        assert wait_until(lambda: _state(sb, hold["id"]) == "holding", timeout=TIMEOUT)
        sb.reset()
        # released at once (not after 60 s); the reset world no longer knows the refresh token
        assert held.result(timeout=TIMEOUT).json()["error"] == "invalid_grant"
