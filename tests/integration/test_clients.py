"""The TikTok clients against the sandbox: the failures LinkService never provokes on its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from linkkit.errors import LinkkitError
from linkkit.tiktok.callback import parse_callback
from linkkit.tiktok.endpoints import Endpoints
from linkkit.tiktok.login_kit import LoginKitFlow
from linkkit.tiktok.shop import ShopAuth, ShopClient
from linkkit.tiktok.signing import new_code_verifier

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
def world(sandbox_server: Any) -> dict[str, Any]:
    requests.post(f"{sandbox_server.url}/_sandbox/reset", json={}, timeout=10).raise_for_status()
    return requests.get(f"{sandbox_server.url}/_sandbox/world", timeout=10).json()


def flow(sandbox_server: Any, world: dict[str, Any], redirect: str = "http://127.0.0.1:8866/callback/",
         encoding: str = "hex", app: str = "desktop") -> LoginKitFlow:
    creds = world["login_kit"][app]
    return LoginKitFlow(Endpoints.sandbox(sandbox_server.url), client_key=creds["client_key"],
                        client_secret=creds["client_secret"], redirect_uri=redirect, pkce_encoding=encoding,
                        scopes=["user.info.basic", "user.info.profile"], max_retries=1, backoff=0.01)


def consent(sandbox_server: Any, url: str, username: str = "maple.deals") -> str:
    response = requests.post(f"{sandbox_server.url}/_sandbox/consent", timeout=10, json={
        "authorize_url": url, "username": username, "password": "pass_good", "decision": "allow"})
    response.raise_for_status()
    return str(response.json()["redirect_url"])


def code_for(sandbox_server: Any, login: LoginKitFlow, verifier: str) -> str:
    callback = parse_callback(consent(sandbox_server, login.authorization_url(state="s", code_verifier=verifier)))
    assert callback.code is not None
    return callback.code


def test_exchange_refresh_rotation_and_user_info(sandbox_server: Any, world: dict[str, Any]) -> None:
    login = flow(sandbox_server, world)
    verifier = new_code_verifier()
    tokens = login.exchange_code(code_for(sandbox_server, login, verifier), code_verifier=verifier, now=NOW)
    assert tokens.access_token.startswith("act.") and tokens.expires_at > NOW
    assert "act." not in repr(tokens)
    user = login.user_info(tokens.access_token, granted=tokens.scopes)
    assert user["username"] == "maple.deals" and user["open_id"] == tokens.open_id
    rotated = login.refresh(tokens.refresh_token, now=NOW)
    assert rotated.refresh_token != tokens.refresh_token
    with pytest.raises(LinkkitError) as caught:
        login.refresh(tokens.refresh_token, now=NOW)
    assert caught.value.reason == "refresh_token_invalid"


def test_code_is_single_use(sandbox_server: Any, world: dict[str, Any]) -> None:
    login = flow(sandbox_server, world)
    verifier = new_code_verifier()
    code = code_for(sandbox_server, login, verifier)
    login.exchange_code(code, code_verifier=verifier, now=NOW)
    with pytest.raises(LinkkitError) as caught:
        login.exchange_code(code, code_verifier=verifier, now=NOW)
    assert caught.value.reason == "code_invalid"


def test_pkce_mismatch_burns_the_code(sandbox_server: Any, world: dict[str, Any]) -> None:
    login = flow(sandbox_server, world)
    verifier = new_code_verifier()
    code = code_for(sandbox_server, login, verifier)
    with pytest.raises(LinkkitError) as caught:
        login.exchange_code(code, code_verifier=new_code_verifier(), now=NOW)
    assert caught.value.reason == "pkce_mismatch"
    with pytest.raises(LinkkitError) as again:
        login.exchange_code(code, code_verifier=verifier, now=NOW)
    assert again.value.reason == "code_invalid"


def test_base64url_pkce_for_web_apps(sandbox_server: Any, world: dict[str, Any]) -> None:
    login = flow(sandbox_server, world, redirect="https://linkkit.example/callback/", encoding="base64url",
                 app="web")
    verifier = new_code_verifier()
    tokens = login.exchange_code(code_for(sandbox_server, login, verifier), code_verifier=verifier, now=NOW)
    assert tokens.open_id


def test_redirect_uri_must_match_exactly(sandbox_server: Any, world: dict[str, Any]) -> None:
    login = flow(sandbox_server, world)
    verifier = new_code_verifier()
    code = code_for(sandbox_server, login, verifier)
    other = flow(sandbox_server, world, redirect="http://127.0.0.1:9999/callback/")
    with pytest.raises(LinkkitError) as caught:
        other.exchange_code(code, code_verifier=verifier, now=NOW)
    assert caught.value.reason == "redirect_uri_mismatch"


def shop_client(sandbox_server: Any, world: dict[str, Any], **kwargs: Any) -> tuple[ShopClient, str]:
    app = world["shop_app"]
    auth = ShopAuth(Endpoints.sandbox(sandbox_server.url), app_key=app["app_key"], app_secret=app["app_secret"],
                    service_id=app["service_id"])
    callback = parse_callback(consent(sandbox_server, auth.authorization_url(state="st"), "maple_seller"))
    assert callback.code is not None
    token = auth.get_token(callback.code)
    with pytest.raises(LinkkitError) as caught:
        auth.get_token(callback.code)
    assert caught.value.reason == "code_invalid", "a Shop auth code is single use too"
    options = {"app_key": app["app_key"], "app_secret": app["app_secret"], "access_token": token.access_token,
               **kwargs}
    return ShopClient(Endpoints.sandbox(sandbox_server.url), max_retries=1, backoff=0.01, **options), token.refresh_token


def test_signed_calls_and_pagination(sandbox_server: Any, world: dict[str, Any]) -> None:
    client, _ = shop_client(sandbox_server, world)
    shops = client.authorized_shops()
    assert [s.name for s in shops] == ["Maple & Co"]
    pages = list(client.search_orders(shops[0].cipher, page_size=100))
    assert len(pages) > 1 and all(len(p) <= 100 for p in pages)
    ids = [order["id"] for page in pages for order in page]
    assert len(ids) == len(set(ids))


def test_bad_signature(sandbox_server: Any, world: dict[str, Any]) -> None:
    client, _ = shop_client(sandbox_server, world, app_secret="not-the-secret")
    with pytest.raises(LinkkitError) as caught:
        client.authorized_shops()
    assert caught.value.reason == "signature_invalid"


def test_clock_skew(sandbox_server: Any, world: dict[str, Any]) -> None:
    client, _ = shop_client(sandbox_server, world, clock=lambda: NOW.timestamp() - 3600)
    with pytest.raises(LinkkitError) as caught:
        client.authorized_shops()
    assert caught.value.reason == "clock_skew"


def test_shop_refresh(sandbox_server: Any, world: dict[str, Any]) -> None:
    _, refresh_token = shop_client(sandbox_server, world)
    app = world["shop_app"]
    auth = ShopAuth(Endpoints.sandbox(sandbox_server.url), app_key=app["app_key"], app_secret=app["app_secret"],
                    service_id=app["service_id"])
    assert auth.refresh(refresh_token).access_token.startswith("TTP_")
    with pytest.raises(LinkkitError) as caught:
        auth.refresh("not-a-refresh-token")
    assert caught.value.reason == "refresh_token_invalid"


def test_every_call_goes_through_the_injected_session_and_reuses_its_connection(
        sandbox_server: Any, world: dict[str, Any]) -> None:
    """TikTokClients takes a session the way httpx takes a transport; token calls included, over one connection."""
    from requests.adapters import HTTPAdapter

    from linkkit.tiktok.clients import AppConfig, TikTokClients
    from linkkit.tiktok.http import make_session

    sent: list[str] = []

    class Recording(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            sent.append(f"{request.method} {(request.url or '').split('?')[0]}")
            return super().send(request, **kwargs)

    session = make_session(max_retries=1)
    adapter = Recording()
    session.mount("http://", adapter)
    creds = world["login_kit"]["desktop"]
    app = AppConfig(client_key=creds["client_key"], client_secret=creds["client_secret"],
                    app_key=world["shop_app"]["app_key"], app_secret=world["shop_app"]["app_secret"],
                    service_id=world["shop_app"]["service_id"], redirect_uri="http://127.0.0.1:8866/callback/",
                    max_retries=1, backoff=0.01)
    clients = TikTokClients(Endpoints.sandbox(sandbox_server.url), lambda: app, session=session)
    login = clients.login(["user.info.basic", "user.info.profile"])
    verifier = new_code_verifier()
    tokens = login.exchange_code(code_for(sandbox_server, login, verifier), code_verifier=verifier, now=NOW)
    login.user_info(tokens.access_token, granted=tokens.scopes)
    rotated = login.refresh(tokens.refresh_token, now=NOW)
    login.revoke(rotated.access_token)
    paths = [entry.split(" ", 1)[1].removeprefix(sandbox_server.url) for entry in sent]
    assert paths == ["/v2/oauth/token/", "/v2/user/info/", "/v2/oauth/token/", "/v2/oauth/revoke/"]
    assert all(entry.startswith(("POST http://", "GET http://")) for entry in sent), "loopback sent as plain http"
    pools = adapter.poolmanager.pools
    pool = pools[next(iter(pools.keys()))]
    assert len(pools) == 1 and pool.num_connections == 1, "one keep-alive connection for four calls"
