"""Login Kit v2 emulation: authorize page, token exchange, PKCE, rotation, revoke, user info."""

from __future__ import annotations

import base64
import re

import pytest
from sandbox_helpers import challenge_for, pkce_pair, query_of

pytestmark = pytest.mark.integration


def test_authorize_page_lists_scopes_and_keeps_params(sb):
    _, challenge = pkce_pair("hex")
    r = sb.get(sb.authorize_url(challenge=challenge, scope="user.info.basic,user.info.stats"))
    assert r.status_code == 200
    assert "Log in to TikTok" in r.text
    assert "See your follower, following, like and video counts" in r.text
    assert f'name="code_challenge" value="{challenge}"' in r.text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(
    ("override", "parameter"),
    [
        ({"client_key": "nope"}, "client_key"),
        ({"scope": "user.info.basic,user.secret.sauce"}, "scope"),
        ({"redirect_uri": "http://127.0.0.1:5555/other/"}, "redirect_uri"),
        ({"redirect_uri": "http://evil.example:5555/callback/"}, "redirect_uri"),
        ({"response_type": "token"}, "response_type"),
    ],
)
def test_authorize_errors_show_page_naming_parameter(sb, override, parameter):
    _, challenge = pkce_pair("hex")
    url = sb.authorize_url(challenge=challenge)
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(parts.query))
    q.update(override)
    bad = parts._replace(query=urllib.parse.urlencode(q)).geturl()
    r = sb.get(bad)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert f'data-parameter="{parameter}"' in r.text
    consent = sb.consent(bad, "maple.official")
    assert consent.status_code == 400
    assert consent.json()["parameter"] == parameter


def test_desktop_requires_pkce_and_hex_challenge(sb):
    r = sb.consent(sb.authorize_url(), "maple.official")
    assert r.status_code == 400
    assert r.json()["parameter"] == "code_challenge"
    _, b64 = pkce_pair("b64")
    r = sb.consent(sb.authorize_url(challenge=b64), "maple.official")
    assert r.json()["parameter"] == "code_challenge"


def test_desktop_wildcard_port_redirects(sb):
    for uri in (
        "http://127.0.0.1:49152/voila/render/01_link_accounts.ipynb",
        "http://localhost:8866/voila/render/01_link_accounts.ipynb",
        "http://127.0.0.1:1/callback/",
    ):
        _, challenge = pkce_pair("hex")
        assert sb.get(sb.authorize_url(redirect_uri=uri, challenge=challenge)).status_code == 200
    _, challenge = pkce_pair("hex")
    r = sb.get(sb.authorize_url(redirect_uri="http://localhost:8866/callback/", challenge=challenge))
    assert r.status_code == 400


def test_web_app_exact_redirect_and_optional_pkce(sb):
    url = sb.authorize_url("web", redirect_uri="https://linkkit.example/callback/")
    assert sb.get(url).status_code == 200
    r = sb.consent(url, "maple.official")
    code = query_of(r.json()["redirect_url"])["code"]
    t = sb.token("web", grant_type="authorization_code", code=code, redirect_uri="https://linkkit.example/callback/")
    assert t.status_code == 200
    assert sb.get(sb.authorize_url("web", redirect_uri="https://linkkit.example/callback")).status_code == 400


def test_consent_form_post_redirects_with_code_scopes_state(sb):
    verifier, challenge = pkce_pair("hex")
    url = sb.authorize_url(challenge=challenge, scope="user.info.basic,user.info.profile,user.info.stats")
    import urllib.parse

    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    form = {
        **params,
        "username": "maple.official",
        "password": "pass_good",
        "action": "authorize",
        "scopes": ["user.info.basic", "user.info.profile"],
    }
    r = sb.post("/v2/auth/authorize/", data=form)
    assert r.status_code == 302
    q = query_of(r.headers["Location"])
    assert r.headers["Location"].startswith("http://127.0.0.1:5555/callback/?")
    assert q["scopes"] == "user.info.basic,user.info.profile"  # stats unchecked -> partial grant
    assert q["state"] == "st-123"
    assert "*" in q["code"] and "!" in q["code"]  # clients must URL-decode the code
    t = sb.token(
        grant_type="authorization_code", code=q["code"], redirect_uri=params["redirect_uri"], code_verifier=verifier
    )
    assert t.json()["scope"] == "user.info.basic,user.info.profile"


def test_consent_form_wrong_password_shows_page_again(sb):
    _, challenge = pkce_pair("hex")
    url = sb.authorize_url(challenge=challenge)
    import urllib.parse

    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    r = sb.post(
        "/v2/auth/authorize/",
        data={**params, "username": "<script>x</script>", "password": "bad", "action": "authorize"},
    )
    assert r.status_code == 200
    assert "Incorrect username or password" in r.text
    assert "<script>x</script>" not in r.text
    assert "&lt;script&gt;x&lt;/script&gt;" in r.text
    bad = sb.consent(url, "maple.official", password="nope")
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_credentials"


def test_cancel_redirects_with_access_denied(sb):
    _, challenge = pkce_pair("hex")
    url = sb.authorize_url(challenge=challenge)
    import urllib.parse

    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    r = sb.post("/v2/auth/authorize/", data={**params, "action": "cancel"})
    assert r.status_code == 302
    q = query_of(r.headers["Location"])
    assert q["error"] == "access_denied"
    assert q["state"] == "st-123"
    assert "error_description" in q
    assert "code" not in q
    deny = sb.consent(url, "maple.official", decision="deny").json()
    assert query_of(deny["redirect_url"])["error"] == "access_denied"


def test_basic_scope_cannot_be_unchecked(sb):
    c = sb.login_code(scopes=["user.info.stats"])
    assert c["scopes"] == "user.info.basic,user.info.stats"


def test_token_exchange_success_shape(sb):
    t = sb.login_tokens()
    assert set(t) == {
        "open_id",
        "scope",
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "token_type",
    }
    assert t["access_token"].startswith("act.")
    assert t["refresh_token"].startswith("rft.")
    assert t["expires_in"] == 7200
    assert t["refresh_expires_in"] == 15552000
    assert t["token_type"] == "Bearer"


def test_pkce_web_base64url_and_mismatch_burns_code(sb):
    c = sb.login_code("web")
    bad = sb.token(
        "web", grant_type="authorization_code", code=c["code"], redirect_uri=c["redirect_uri"], code_verifier="x" * 50
    )
    assert bad.status_code == 400
    body = bad.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == "Code verifier or code challenge is invalid."
    assert re.fullmatch(r"\d{14}[0-9A-F]{18}", body["log_id"])
    again = sb.token(
        "web",
        grant_type="authorization_code",
        code=c["code"],
        redirect_uri=c["redirect_uri"],
        code_verifier=c["verifier"],
    )
    assert again.json()["error"] == "invalid_grant"


# RFC 7636 Appendix B: the verifier and its S256 challenge (base64url, no padding), and the same SHA-256
# digest as lowercase hex, which is what TikTok's desktop Login Kit wants ("hex encoding of SHA256").
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_S256 = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
RFC7636_HEX = "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"


def test_pkce_helper_reproduces_rfc7636_appendix_b():
    assert challenge_for(RFC7636_VERIFIER, "b64") == RFC7636_S256
    assert challenge_for(RFC7636_VERIFIER, "hex") == RFC7636_HEX
    assert bytes.fromhex(RFC7636_HEX) == base64.urlsafe_b64decode(RFC7636_S256 + "=")


def _code(sb, kind, challenge):
    redirect_uri = "http://127.0.0.1:5555/callback/" if kind == "desktop" else "https://linkkit.example/callback/"
    r = sb.consent(sb.authorize_url(kind, redirect_uri=redirect_uri, challenge=challenge), "maple.official")
    assert r.status_code == 200, r.text
    return query_of(r.json()["redirect_url"])["code"], redirect_uri


@pytest.mark.parametrize(("kind", "challenge"), [("desktop", RFC7636_HEX), ("web", RFC7636_S256)])
def test_rfc7636_vector_is_accepted_in_each_app_encoding(sb, kind, challenge):
    code, redirect_uri = _code(sb, kind, challenge)
    t = sb.token(
        kind, grant_type="authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=RFC7636_VERIFIER
    )
    assert t.status_code == 200, t.text
    assert t.json()["access_token"].startswith("act.")


def test_desktop_refuses_missing_verifier_and_burns_the_code(sb):
    code, redirect_uri = _code(sb, "desktop", RFC7636_HEX)
    missing = sb.token(grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert missing.json()["error_description"] == "Code verifier or code challenge is invalid."
    burned = sb.token(
        grant_type="authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=RFC7636_VERIFIER
    )
    assert burned.json()["error"] == "invalid_grant"
    assert burned.json()["error_description"] == "Authorization code has already been used."


def test_desktop_refuses_the_base64url_challenge_of_the_rfc_vector(sb):
    r = sb.consent(sb.authorize_url(challenge=RFC7636_S256), "maple.official")
    assert r.status_code == 400
    assert r.json()["parameter"] == "code_challenge"


def test_web_stripped_challenge_cannot_be_redeemed_with_a_verifier(sb):
    """The client began with PKCE; the challenge was stripped from the authorize URL on its way (RFC 9700
    4.8.2, PKCE downgrade). The code carries no challenge, the client sends its verifier: refused, burned."""
    code, redirect_uri = _code(sb, "web", None)
    sb.http.delete(sb.base + "/_sandbox/requests", timeout=10)
    t = sb.token(
        "web", grant_type="authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=RFC7636_VERIFIER
    )
    assert t.status_code == 400
    assert t.json()["error"] == "invalid_request"
    assert t.json()["error_description"] == "Code verifier or code challenge is invalid."
    again = sb.token("web", grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
    assert again.json()["error"] == "invalid_grant"  # burned: the stripped code never yields tokens
    statuses = [r["status"] for r in sb.get("/_sandbox/requests").json()["requests"]]
    assert statuses == [400, 400]


def test_code_is_single_use(sb):
    c = sb.login_code()
    form = {
        "grant_type": "authorization_code",
        "code": c["code"],
        "redirect_uri": c["redirect_uri"],
        "code_verifier": c["verifier"],
    }
    assert sb.token(**form).status_code == 200
    reuse = sb.token(**form)
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert "already been used" in reuse.json()["error_description"]


def test_code_expires_after_ten_minutes(sb):
    c = sb.login_code()
    sb.advance(601)
    r = sb.token(
        grant_type="authorization_code", code=c["code"], redirect_uri=c["redirect_uri"], code_verifier=c["verifier"]
    )
    assert r.json()["error"] == "invalid_grant"
    assert "expired" in r.json()["error_description"]


def test_redirect_uri_mismatch_and_unknown_code(sb):
    c = sb.login_code()
    r = sb.token(
        grant_type="authorization_code",
        code=c["code"],
        redirect_uri="http://127.0.0.1:5556/callback/",
        code_verifier=c["verifier"],
    )
    assert r.json()["error"] == "invalid_grant"
    r = sb.token(
        grant_type="authorization_code", code="nope", redirect_uri=c["redirect_uri"], code_verifier=c["verifier"]
    )
    assert r.json()["error"] == "invalid_grant"
    r = sb.token(grant_type="authorization_code", redirect_uri=c["redirect_uri"])
    assert r.json()["error"] == "invalid_request"


def test_bad_client_and_grant_type(sb):
    c = sb.login_code()
    r = sb.token(
        grant_type="authorization_code",
        code=c["code"],
        redirect_uri=c["redirect_uri"],
        code_verifier=c["verifier"],
        client_secret="wrong",
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert sb.token(grant_type="password").json()["error"] == "unsupported_grant_type"
    assert sb.token().json()["error"] == "invalid_request"
    r = sb.post("/v2/oauth/token/", json={"grant_type": "authorization_code"})
    assert r.json()["error"] == "invalid_request"
    assert sb.get("/v2/oauth/token/").status_code == 405


def test_refresh_rotates_and_old_refresh_token_stops_working(sb):
    t = sb.login_tokens()
    r1 = sb.token(grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r1.status_code == 200
    new = r1.json()
    assert new["refresh_token"] != t["refresh_token"]
    assert new["access_token"] != t["access_token"]
    assert new["open_id"] == t["open_id"]
    old = sb.token(grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert old.status_code == 400
    assert old.json()["error"] == "invalid_grant"
    assert "rotated" in old.json()["error_description"]
    # the previous access token keeps working until it expires
    ok = sb.get(
        "/v2/user/info/", params={"fields": "open_id"}, headers={"Authorization": f"Bearer {t['access_token']}"}
    )
    assert ok.json()["error"]["code"] == "ok"
    assert sb.token(grant_type="refresh_token", refresh_token=new["refresh_token"]).status_code == 200
    assert sb.token(grant_type="refresh_token", refresh_token="rft.unknown").json()["error"] == "invalid_grant"
    assert (
        sb.token("web", grant_type="refresh_token", refresh_token=t["refresh_token"]).json()["error"] == "invalid_grant"
    )


def test_access_token_expires_after_two_hours_and_refresh_after_180_days(sb):
    t = sb.login_tokens()
    sb.advance(7201)
    r = sb.get("/v2/user/info/", params={"fields": "open_id"}, headers={"Authorization": f"Bearer {t['access_token']}"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "access_token_invalid"
    sb.advance(15552000)
    assert sb.token(grant_type="refresh_token", refresh_token=t["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke(sb):
    t = sb.login_tokens()
    app = sb.app()
    r = sb.post(
        "/v2/oauth/revoke/",
        data={"client_key": app["client_key"], "client_secret": app["client_secret"], "token": t["access_token"]},
    )
    assert r.status_code == 200
    assert r.json() == {}
    info = sb.get(
        "/v2/user/info/", params={"fields": "open_id"}, headers={"Authorization": f"Bearer {t['access_token']}"}
    )
    assert info.status_code == 401
    assert sb.token(grant_type="refresh_token", refresh_token=t["refresh_token"]).json()["error"] == "invalid_grant"
    bad = sb.post("/v2/oauth/revoke/", data={"client_key": app["client_key"], "client_secret": "x", "token": "t"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"


def test_user_info_fields_and_scope_gating(sb):
    t = sb.login_tokens(scopes=["user.info.basic", "user.info.profile"])
    auth = {"Authorization": f"Bearer {t['access_token']}"}
    r = sb.get("/v2/user/info/", params={"fields": "open_id,union_id,display_name,username,is_verified"}, headers=auth)
    body = r.json()
    assert r.status_code == 200
    assert body["error"]["code"] == "ok"
    assert body["error"]["message"] == ""
    assert re.fullmatch(r"\d{14}[0-9A-F]{18}", body["error"]["log_id"])
    user = body["data"]["user"]
    assert set(user) == {"open_id", "union_id", "display_name", "username", "is_verified"}
    assert user["open_id"] == t["open_id"]
    assert user["username"] == "maple.official"
    denied = sb.get("/v2/user/info/", params={"fields": "open_id,follower_count"}, headers=auth)
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "scope_not_authorized"
    missing = sb.get("/v2/user/info/", headers=auth)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "invalid_params"
    unknown = sb.get("/v2/user/info/", params={"fields": "open_id,email"}, headers=auth)
    assert unknown.json()["error"]["code"] == "invalid_params"
    anon = sb.get("/v2/user/info/", params={"fields": "open_id"})
    assert anon.status_code == 401
    assert anon.json()["error"]["code"] == "access_token_invalid"


def test_open_id_is_per_app_and_union_id_per_developer(sb):
    desk = sb.login_tokens("desktop", "maple.deals")
    web = sb.login_tokens("web", "maple.deals")
    assert desk["open_id"] != web["open_id"]

    def union(tok):
        return sb.get(
            "/v2/user/info/", params={"fields": "union_id"}, headers={"Authorization": f"Bearer {tok}"}
        ).json()["data"]["user"]["union_id"]

    assert union(desk["access_token"]) == union(web["access_token"])
