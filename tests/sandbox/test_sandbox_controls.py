"""/_sandbox/ controls, faults, recorded requests, determinism, logging hygiene and the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from sandbox_helpers import MAPLE, TIMEOUT

from linkkit.sandbox import SandboxServer
from linkkit.sandbox.world import build_world

pytestmark = pytest.mark.integration


def test_world_lists_credentials_logins_and_shops(sb):
    w = sb.world
    desk, web = w["login_kit"]["desktop"], w["login_kit"]["web"]
    assert desk["pkce"] == "required_hex"
    assert web["pkce"] == "optional_s256"
    assert "http://127.0.0.1:*/callback/" in desk["redirect_uris"]
    assert web["redirect_uris"] == ["https://linkkit.example/callback/"]
    assert set(w["shop_app"]) >= {"app_key", "app_secret", "service_id", "redirect_url"}
    assert {s["username"] for s in w["sellers"]} == {"maple_seller", "nova_seller", "batik_seller", "cedar_seller"}
    shops = {s["name"]: s for s in w["shops"]}
    assert shops["Nova Outdoor MX"]["seller_type"] == "CROSS_BORDER"
    assert shops["Batik Lestari"]["region"] == "ID"
    jo = next(a for a in w["tiktok_accounts"] if a["username"] == "jo.personal")
    assert "ineligible" in jo["note"]


def test_apps_control_changes_redirects(sb):
    key = sb.app("web")["client_key"]
    r = sb.post("/_sandbox/apps", json={"client_key": key, "redirect_uris": ["https://other.example/cb"]})
    assert r.json()["redirect_uris"] == ["https://other.example/cb"]
    assert sb.get(sb.authorize_url("web", redirect_uri="https://other.example/cb")).status_code == 200
    assert sb.post("/_sandbox/apps", json={"client_key": "nope", "redirect_uris": []}).status_code == 400
    assert sb.post("/_sandbox/apps", json={"client_key": key, "redirect_uris": "x"}).status_code == 400
    assert sb.post("/_sandbox/apps", json={}).status_code == 400


def test_consent_control_rejects_unknown_urls(sb):
    r = sb.consent(sb.base + "/somewhere", "maple.official")
    assert r.status_code == 400
    assert r.json()["error"] == "unknown_authorize_url"
    r = sb.consent(sb.shop_authorize_url(), "maple_seller", password="nope")
    assert r.json() == {"error": "invalid_credentials", "message": "Incorrect Seller Center username or password."}


def test_clock_control(sb):
    before = sb.get("/_sandbox/clock").json()
    assert before["offset"] == 0
    after = sb.advance(3600)
    assert after["offset"] == 3600
    assert after["now"] - before["now"] >= 3600
    assert sb.post("/_sandbox/clock", json={"advance_seconds": -5}).status_code == 400
    assert sb.post("/_sandbox/clock", json={"advance_seconds": "x"}).status_code == 400
    sb.reset()
    assert sb.get("/_sandbox/clock").json()["offset"] == 0


def test_reset_restores_seeded_world(sb):
    token = sb.shop_tokens()["access_token"]
    sb.link(token, MAPLE, "maple.official", "official")
    sb.reset()
    token = sb.shop_tokens()["access_token"]
    assert sb.linked(token, MAPLE)["data"]["official"] is None


def test_faults_http_429_per_family_then_recover(sb):
    sb.post("/_sandbox/faults", json={"kind": "http_429", "count": 1, "path_prefix": "/v2/user/"})
    t = sb.login_tokens()
    auth = {"Authorization": f"Bearer {t['access_token']}"}
    r = sb.get("/v2/user/info/", params={"fields": "open_id"}, headers=auth)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limit_exceeded"
    assert re.fullmatch(r"\d{14}[0-9A-F]{18}", r.json()["error"]["log_id"])
    assert sb.get("/v2/user/info/", params={"fields": "open_id"}, headers=auth).status_code == 200
    shop_token = sb.shop_tokens()["access_token"]
    sb.post("/_sandbox/faults", json={"kind": "http_429", "count": 2, "path_prefix": "/authorization/"})
    for _ in range(2):
        r = sb.signed("GET", "/authorization/202309/shops", shop_token)
        assert r.status_code == 429
        assert r.json()["code"] == 36009002
        assert re.fullmatch(r"\d{14}[0-9A-F]{18}", r.json()["request_id"])
    assert sb.signed("GET", "/authorization/202309/shops", shop_token).json()["code"] == 0


@pytest.mark.parametrize("kind,status", [("http_500", 500), ("http_503", 503)])
def test_faults_5xx_shapes(sb, kind, status):
    sb.post("/_sandbox/faults", json={"kind": kind, "count": 3})
    oauth = sb.token(grant_type="authorization_code", code="x")
    assert oauth.status_code == status
    assert oauth.json()["error"] in ("server_error", "temporarily_unavailable")
    shop = sb.get("/api/v2/token/get")
    assert shop.status_code == status
    assert shop.json()["code"] == 36009003
    page = sb.get(sb.shop_authorize_url())
    assert page.status_code == status
    assert page.headers["Content-Type"].startswith("text/html")
    assert sb.get("/_sandbox/clock").status_code == 200  # controls are never faulted


def test_fault_malformed_latency_and_delete(sb):
    sb.post("/_sandbox/faults", json={"kind": "malformed", "count": 1})
    r = sb.get("/api/v2/token/get")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    sb.post("/_sandbox/faults", json={"kind": "latency", "count": 1, "latency_ms": 300})
    start = time.monotonic()
    r = sb.get("/api/v2/token/get")
    elapsed = time.monotonic() - start
    assert r.json()["code"] == 36009004
    assert elapsed >= 0.25
    sb.post("/_sandbox/faults", json={"kind": "http_500", "count": 5})
    assert sb.http.delete(sb.base + "/_sandbox/faults", timeout=TIMEOUT).json() == {"faults": []}
    assert sb.get("/api/v2/token/get").status_code == 200
    assert sb.post("/_sandbox/faults", json={"kind": "boom"}).status_code == 400
    assert sb.post("/_sandbox/faults", json={"kind": "http_500", "count": 0}).status_code == 400


def test_recorded_requests(sb):
    sb.http.delete(sb.base + "/_sandbox/requests", timeout=TIMEOUT)
    sb.token(grant_type="authorization_code", code="abc", redirect_uri="http://127.0.0.1:1/callback/")
    sb.get("/api/v2/token/get", params={"app_key": "k"})
    recs = sb.get("/_sandbox/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in recs] == [
        ("POST", "/v2/oauth/token/", 400),
        ("GET", "/api/v2/token/get", 200),
    ]
    # the code is redacted; its fingerprint (first 12 hex of sha256) says which code it was
    assert recs[0]["body"]["code"] == "[redacted sha256:" + hashlib.sha256(b"abc").hexdigest()[:12] + "]"
    assert recs[0]["body"]["grant_type"] == "authorization_code"
    assert recs[1]["query"] == {"app_key": "k"}


def test_recorded_requests_never_hold_a_secret(sb):
    sb.http.delete(sb.base + "/_sandbox/requests", timeout=TIMEOUT)
    tokens = sb.login_tokens("desktop")  # code, code_verifier, client_secret in the form
    refreshed = sb.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    shop = sb.shop_tokens()  # auth_code and app_secret in the query
    sb.get(
        "/api/v2/token/refresh",
        params={
            "app_key": sb.shop_app["app_key"],
            "app_secret": sb.shop_app["app_secret"],
            "refresh_token": shop["refresh_token"],
            "grant_type": "refresh_token",
        },
    )
    sb.post("/v2/oauth/revoke/", data={**_client(sb), "token": refreshed["access_token"]})
    sb.post("/seller-center/api/invitations/inv000001/accept", json={"username": "x", "password": "pass_good"})
    text = sb.get("/_sandbox/requests").text
    secrets = [
        sb.app("desktop")["client_secret"],
        sb.shop_app["app_secret"],
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        shop["access_token"],
        shop["refresh_token"],
        "pass_good",
    ]
    assert [s[:6] for s in secrets if s in text] == []
    recs = sb.get("/_sandbox/requests").json()["requests"]
    names = {k for r in recs for part in (r["query"], r["body"] or {}) for k in part}
    # the names stay, so a test can still see what was sent
    assert {"client_secret", "code", "code_verifier", "app_secret", "auth_code", "refresh_token", "token"} <= names
    marker = "[redacted sha256:" + hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()[:12] + "]"
    assert any(r["body"] and r["body"].get("refresh_token") == marker for r in recs)
    assert recs[-1]["body"]["password"] == "[redacted]"  # low-entropy: no fingerprint


def _client(sb):
    app = sb.app("desktop")
    return {"client_key": app["client_key"], "client_secret": app["client_secret"]}


def test_unknown_paths_per_family(sb):
    assert sb.get("/_sandbox/nope").status_code == 404
    assert sb.get("/v2/nope/").json()["error"]["code"] == "invalid_params"
    assert sb.get("/whatever").json()["code"] == 36009009


def test_world_is_deterministic():
    day = dt.date(2025, 3, 1)
    a, b = build_world(7, day), build_world(7, day)
    assert a.snapshot() == b.snapshot()
    c = build_world(8, day)
    assert c.shop_activity(MAPLE).orders != a.shop_activity(MAPLE).orders
    assert a.accounts["html.name"].display_name == "<b>Bold</b><img src=x onerror=alert(1)>"
    assert all(len(a.shop_activity(s).orders) > 1000 for s in a.shops)
    first = min(o.create_time for o in a.shop_activity(MAPLE).orders)
    assert a.start_ts - first >= 210 * 86400


def test_two_servers_same_start_serve_same_data():
    now = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    bodies = []
    for _ in range(2):
        with SandboxServer(port=0, now=now) as s:
            w = requests.get(s.url + "/_sandbox/world", timeout=TIMEOUT).json()
            assert w["start_day"] == "2025-06-01"
            assert abs(requests.get(s.url + "/_sandbox/clock", timeout=TIMEOUT).json()["now"] - now.timestamp()) < 60
            bodies.append(w)
    assert bodies[0] == bodies[1]


def test_access_log_has_method_path_status_only(sb, caplog):
    caplog.set_level(logging.INFO, logger="linkkit.sandbox.access")
    secret = sb.shop_app["app_secret"]
    sb.get(
        "/api/v2/token/get",
        params={
            "app_key": sb.shop_app["app_key"],
            "app_secret": secret,
            "auth_code": "TTP_codeSecret",
            "grant_type": "authorized_code",
        },
    )
    sb.get("/nowhere", params={"access_token": "act.secret"})
    sb.token(grant_type="authorization_code", code="formSecretCode")
    lines = [r.getMessage() for r in caplog.records if r.name == "linkkit.sandbox.access"]
    assert any(re.match(r"^GET /api/v2/token/get 200 ", line) for line in lines)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for needle in ("?", secret, "TTP_codeSecret", "act.secret", "formSecretCode"):
        assert needle not in everything


def test_cli_serves_and_stops_cleanly_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "linkkit.sandbox", "--host", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and url is None:
            line = proc.stderr.readline()
            m = re.search(r"listening on (http://\S+)", line)
            url = m.group(1) if m else None
        assert url is not None
        assert requests.get(url + "/_sandbox/clock", timeout=TIMEOUT).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stderr.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_sandbox/deauthorize", {"seller": ["maple_seller"]}),
        ("/_sandbox/deauthorize", {"seller": {"maple_seller": 1}}),
        ("/_sandbox/deauthorize", {"seller": 2**70}),
        ("/_sandbox/deauthorize", {"seller": None}),
        ("/_sandbox/clock", {"advance_seconds": 1e308}),
        ("/_sandbox/clock", {"advance_seconds": 10**400}),
        ("/_sandbox/clock", {"advance_seconds": "inf"}),
        ("/_sandbox/faults", {"kind": "latency", "latency_ms": 10**12}),
        ("/_sandbox/faults", {"kind": ["http_500"]}),
        ("/_sandbox/scopes", {"withhold": [["seller.order.info"]]}),
        ("/_sandbox/reset", {"seed": 2**80}),
        ("/_sandbox/apps", {"client_key": ["x"], "redirect_uris": []}),
        ("/_sandbox/consent", {"authorize_url": 5}),
        ("/_sandbox/holds", {"timeout_seconds": 10**9}),
        ("/_sandbox/webhooks", {"url": "file:///etc/passwd"}),
        ("/_sandbox/webhooks", {"url": "http://127.0.0.1:1/", "retry_scale": -1}),
    ],
)
def test_controls_refuse_junk_with_a_json_400_and_change_nothing(sb, path, body):
    before = (sb.get("/_sandbox/clock").json()["offset"], sb.get("/_sandbox/scopes").json())
    r = sb.post(path, data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] in ("invalid_request", "unknown_app") and r.json()["message"]
    assert (sb.get("/_sandbox/clock").json()["offset"], sb.get("/_sandbox/scopes").json()) == before
    assert sb.http.delete(sb.base + "/_sandbox/faults", timeout=TIMEOUT).json() == {"faults": []}
    assert sb.get("/_sandbox/holds").json() == {"holds": []}
    assert sb.get("/_sandbox/webhooks").json()["url"] is None
    assert sb.get("/_sandbox/world").json()["seed"] == 7
