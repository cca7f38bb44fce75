"""TikTok Shop emulation: seller authorization, token get/refresh, the signed-call gate."""

from __future__ import annotations

import re

import pytest
from sandbox_helpers import CEDAR, MAPLE, NOVA_MX, NOVA_UK, query_of, tts_sign

from linkkit.sandbox.shop_api.models import shop_sign

pytestmark = pytest.mark.integration


def test_doc_worked_signature_example():
    # sign-your-api-request (TTS-SIGN): secret e59af819cc, Get Authorized Shops, app_key 29a39d.
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    expected = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    assert shop_sign("e59af819cc", "/authorization/202309/shops", params) == expected
    assert tts_sign("e59af819cc", "/authorization/202309/shops", params) == expected


def test_signature_matches_independent_implementation_with_body():
    params = {
        "app_key": "k",
        "timestamp": "1700000000",
        "shop_cipher": "ROW_x",
        "page_size": "5",
        "sign": "ignored",
        "access_token": "ignored",
    }
    body = '{"order_status":"COMPLETED"}'
    assert shop_sign("s3cr3t", "/order/202309/orders/search", params, body) == tts_sign(
        "s3cr3t", "/order/202309/orders/search", params, body
    )


def test_authorize_page_and_form(sb):
    r = sb.get(sb.shop_authorize_url())
    assert r.status_code == 200
    assert "Seller Center" in r.text
    assert "Order Information" in r.text
    bad = sb.get(f"{sb.base}/open/authorize?service_id=999&state=x")
    assert bad.status_code == 400
    assert 'data-parameter="service_id"' in bad.text
    form = {
        "service_id": sb.shop_app["service_id"],
        "state": "abc",
        "username": "maple_seller",
        "password": "pass_good",
        "action": "authorize",
    }
    ok = sb.post("/open/authorize", data=form)
    assert ok.status_code == 302
    assert ok.headers["Location"].startswith(sb.shop_app["redirect_url"] + "?")
    q = query_of(ok.headers["Location"])
    assert q["state"] == "abc"
    assert q["code"].startswith("TTP_")
    wrong = sb.post("/open/authorize", data={**form, "password": "nope"})
    assert wrong.status_code == 200
    assert "Incorrect Seller Center username or password" in wrong.text


def test_cancel_redirects_code_null_auth_denied(sb):
    r = sb.post("/open/authorize", data={"service_id": sb.shop_app["service_id"], "state": "s1", "action": "cancel"})
    q = query_of(r.headers["Location"])
    assert q == {"code": "null", "error": "auth_denied", "state": "s1"}
    c = sb.consent(sb.shop_authorize_url("s2"), "maple_seller", decision="deny").json()
    assert query_of(c["redirect_url"])["error"] == "auth_denied"


def test_redirect_url_is_the_configured_one(sb):
    r = sb.post(
        "/_sandbox/apps",
        json={"app_key": sb.shop_app["app_key"], "redirect_url": "http://127.0.0.1:9999/voila/render/x.ipynb"},
    )
    assert r.status_code == 200
    c = sb.consent(sb.shop_authorize_url() + "&redirect_uri=http://evil.example/", "maple_seller").json()
    assert c["redirect_url"].startswith("http://127.0.0.1:9999/voila/render/x.ipynb?code=TTP_")


def test_token_get_shape_and_absolute_expiry(sb):
    now = sb.now()
    body = sb.shop_token_get(sb.shop_code("nova_seller")).json()
    assert body["code"] == 0
    assert body["message"] == "success"
    assert re.fullmatch(r"\d{14}[0-9A-F]{18}", body["request_id"])
    d = body["data"]
    assert d["access_token"].startswith("TTP_")
    assert abs(d["access_token_expire_in"] - (now + 7 * 86400)) < 5
    assert abs(d["refresh_token_expire_in"] - (now + 365 * 86400)) < 5
    assert d["seller_name"] == "Nova Outdoor"
    assert d["seller_base_region"] == "CN"
    assert d["user_type"] == 0
    assert d["granted_scopes"] == ["seller.authorization.info", "seller.order.info", "data.shop_analytics.public.read"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40}", d["open_id"])
    again = sb.shop_token_get(sb.shop_code("nova_seller")).json()["data"]
    other = sb.shop_token_get(sb.shop_code("maple_seller")).json()["data"]
    assert again["open_id"] == d["open_id"] != other["open_id"]  # per (app, seller), stable


def test_token_get_errors(sb):
    code = sb.shop_code()
    assert sb.shop_token_get(code, app_secret="wrong").json()["code"] == 36009004
    assert sb.shop_token_get(code, app_key="wrong").json()["code"] == 36009004
    assert sb.shop_token_get(code, grant_type="authorization_code").json()["code"] == 36009004
    assert sb.shop_token_get("TTP_unknown").json()["code"] == 36004004
    first = sb.shop_token_get(code)
    assert first.status_code == 200
    assert first.json()["code"] == 0
    reuse = sb.shop_token_get(code)
    assert reuse.status_code == 200  # failures are in the body, not the HTTP status
    assert reuse.json()["code"] == 36004004
    late = sb.shop_code()
    sb.advance(1801)
    assert sb.shop_token_get(late).json()["code"] == 36004004


def test_refresh_keeps_old_refresh_token_and_errors(sb):
    d = sb.shop_tokens()
    params = {
        "app_key": sb.shop_app["app_key"],
        "app_secret": sb.shop_app["app_secret"],
        "refresh_token": d["refresh_token"],
        "grant_type": "refresh_token",
    }
    r = sb.get("/api/v2/token/refresh", params=params).json()
    assert r["code"] == 0
    assert r["data"]["access_token"] != d["access_token"]
    assert r["data"]["refresh_token"] != d["refresh_token"]
    again = sb.get("/api/v2/token/refresh", params=params).json()
    assert again["code"] == 0  # Shop rotation is unconfirmed: the old refresh token stays valid
    assert sb.get("/api/v2/token/refresh", params={**params, "refresh_token": "TTP_x"}).json()["code"] == 36004005
    assert sb.get("/api/v2/token/refresh", params={**params, "app_secret": "x"}).json()["code"] == 36009004
    assert sb.get("/api/v2/token/refresh", params={**params, "grant_type": "x"}).json()["code"] == 36009004
    sb.advance(366 * 86400)
    assert sb.get("/api/v2/token/refresh", params=params).json()["code"] == 36004001


def test_authorized_shops(sb):
    token = sb.shop_tokens("nova_seller")["access_token"]
    r = sb.signed("GET", "/authorization/202309/shops", token)
    body = r.json()
    assert r.status_code == 200
    assert body["code"] == 0
    shops = body["data"]["shops"]
    assert [s["id"] for s in shops] == [NOVA_UK, NOVA_MX]
    assert set(shops[0]) == {"id", "name", "region", "seller_type", "cipher", "code"}
    assert shops[0]["seller_type"] == "CROSS_BORDER"
    assert shops[0]["cipher"].startswith("ROW_")
    maple = sb.signed("GET", "/authorization/202309/shops", sb.shop_tokens()["access_token"]).json()
    assert maple["data"]["shops"][0]["cipher"].startswith("GCP_")
    assert maple["data"]["shops"][0]["seller_type"] == "LOCAL"


def test_signature_and_credential_errors(sb):
    token = sb.shop_tokens()["access_token"]
    path = "/authorization/202309/shops"
    assert sb.signed("GET", path, token, tamper=True).json()["code"] == 106001
    assert sb.signed("GET", path, token, secret="wrong-secret").json()["code"] == 106001
    unsigned = sb.get(
        path,
        params={"app_key": sb.shop_app["app_key"], "timestamp": int(sb.now())},
        headers={"x-tts-access-token": token},
    )
    assert unsigned.json()["code"] == 36009004
    assert "signature" in unsigned.json()["message"]
    bad_key = sb.get(path, params={"app_key": "zzz", "timestamp": int(sb.now()), "sign": "x"})
    assert bad_key.json()["code"] == 36009004
    assert sb.signed("GET", path, None).json()["code"] == 36009004
    assert sb.signed("GET", path, "TTP_nope").json()["code"] == 36009004
    extra = sb.signed("GET", path, token, params={"shop_cipher": sb.cipher(MAPLE)}).json()
    assert extra["code"] == 36009004
    assert "Unexpected identifier" in extra["message"]


def test_timestamp_window_uses_sandbox_clock(sb):
    token = sb.shop_tokens()["access_token"]
    path = "/authorization/202309/shops"
    now = int(sb.now())
    assert sb.signed("GET", path, token, timestamp=now - 299).json()["code"] == 0
    assert sb.signed("GET", path, token, timestamp=now + 25).json()["code"] == 0
    old = sb.signed("GET", path, token, timestamp=now - 301).json()
    assert old["code"] == 36009004
    assert "5 minutes" in old["message"]
    assert sb.signed("GET", path, token, timestamp=now + 40).json()["code"] == 36009004
    sb.advance(3600)  # a client on real time is now an hour behind the sandbox
    assert sb.signed("GET", path, token, timestamp=now).json()["code"] == 36009004
    assert sb.signed("GET", path, token).json()["code"] == 0  # helper asks /_sandbox/clock


def test_access_token_expires_after_seven_days_then_refresh_works(sb):
    d = sb.shop_tokens()
    sb.advance(7 * 86400 + 1)
    r = sb.signed("GET", "/authorization/202309/shops", d["access_token"]).json()
    assert r["code"] == 105002
    fresh = sb.get(
        "/api/v2/token/refresh",
        params={
            "app_key": sb.shop_app["app_key"],
            "app_secret": sb.shop_app["app_secret"],
            "refresh_token": d["refresh_token"],
            "grant_type": "refresh_token",
        },
    ).json()["data"]["access_token"]
    assert sb.signed("GET", "/authorization/202309/shops", fresh).json()["code"] == 0


def test_deauthorized_token_gives_105001(sb):
    token = sb.shop_tokens()["access_token"]
    assert sb.post("/_sandbox/deauthorize", json={"seller": "maple_seller"}).json()["revoked"] == 1
    assert sb.signed("GET", "/authorization/202309/shops", token).json()["code"] == 105001


def test_withheld_scope_gives_105005(sb):
    token = sb.shop_tokens()["access_token"]
    r = sb.post("/_sandbox/scopes", json={"withhold": ["seller.order.info"]}).json()
    assert r["granted"] == ["seller.authorization.info", "data.shop_analytics.public.read"]
    res = sb.signed(
        "POST", "/order/202309/orders/search", token, params={"shop_cipher": sb.cipher(MAPLE), "page_size": 5}, body={}
    ).json()
    assert res["code"] == 105005
    assert res["message"] == "you should apply auth pkg for this api"
    assert sb.signed("GET", "/authorization/202309/shops", token).json()["code"] == 0
    assert sb.shop_tokens()["granted_scopes"] == ["seller.authorization.info", "data.shop_analytics.public.read"]
    assert sb.post("/_sandbox/scopes", json={"withhold": ["nope"]}).status_code == 400
    sb.post("/_sandbox/scopes", json={"withhold": []})
    assert sb.get("/_sandbox/scopes").json()["withheld"] == []


def test_shop_cipher_required_and_must_belong_to_seller(sb):
    token = sb.shop_tokens()["access_token"]
    path = "/analytics/202405/shop/performance"
    params = {"start_date_ge": "2025-01-01", "end_date_lt": "2025-01-08"}
    assert sb.signed("GET", path, token, params=params).json()["code"] == 106013
    other = sb.signed("GET", path, token, params={**params, "shop_cipher": sb.cipher(CEDAR)}).json()
    assert other["code"] == 101000
    assert sb.signed("GET", path, token, params={**params, "shop_cipher": "ROW_fake"}).json()["code"] == 101000


def test_invalid_path_method_and_content_type(sb):
    token = sb.shop_tokens()["access_token"]
    r = sb.signed("GET", "/product/202309/nothing", token)
    assert r.status_code == 404
    assert r.json()["code"] == 36009009
    m = sb.signed("GET", "/order/202309/orders/search", token)
    assert m.status_code == 405
    assert m.json()["code"] == 36009010
    ts = str(int(sb.now()))
    q = {"app_key": sb.shop_app["app_key"], "timestamp": ts, "shop_cipher": sb.cipher(MAPLE), "page_size": "5"}
    q["sign"] = tts_sign(sb.shop_app["app_secret"], "/order/202309/orders/search", q, "a=b")
    form = sb.post(
        "/order/202309/orders/search",
        params=q,
        data="a=b",
        headers={"x-tts-access-token": token, "content-type": "application/x-www-form-urlencoded"},
    )
    assert form.json()["code"] == 36009022
