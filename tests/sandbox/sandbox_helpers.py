"""Test-side helpers for talking to the sandbox. Deliberately independent of linkkit.sandbox's code:
signing and PKCE are re-implemented here from TikTok's documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
from typing import Any

import requests

TIMEOUT = 10
MAPLE = "7494100000000000101"
NOVA_UK = "7494100000000000201"
NOVA_MX = "7494100000000000202"
BATIK = "7494100000000000301"
CEDAR = "7494100000000000401"


def tts_sign(secret: str, path: str, params: dict[str, str], body: str = "") -> str:
    """TikTok Shop signature, written from the doc's step-by-step (sign-your-api-request)."""
    keys = sorted(k for k in params if k not in ("sign", "access_token"))
    base = path + "".join(k + str(params[k]) for k in keys) + body
    return hmac.new(secret.encode(), (secret + base + secret).encode(), hashlib.sha256).hexdigest()


def challenge_for(verifier: str, kind: str) -> str:
    """PKCE challenge: ``hex`` (TikTok desktop) or RFC 7636 S256 base64url without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    if kind == "hex":
        return digest.hex()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def pkce_pair(kind: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    return verifier, challenge_for(verifier, kind)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True).items()}


class SandboxClient:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False
        self._world: dict[str, Any] | None = None

    # --- controls --------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self._url(path), timeout=TIMEOUT, allow_redirects=False, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.http.post(self._url(path), timeout=TIMEOUT, allow_redirects=False, **kw)

    def reset(self) -> None:
        assert self.post("/_sandbox/reset").status_code == 200
        self._world = None

    @property
    def world(self) -> dict[str, Any]:
        if self._world is None:
            self._world = self.get("/_sandbox/world").json()
        return self._world

    def advance(self, seconds: float) -> dict[str, float]:
        return self.post("/_sandbox/clock", json={"advance_seconds": seconds}).json()

    def now(self) -> float:
        return self.get("/_sandbox/clock").json()["now"]

    def consent(
        self,
        authorize_url: str,
        username: str,
        password: str = "pass_good",
        decision: str = "allow",
        scopes: list[str] | None = None,
    ) -> requests.Response:
        body: dict[str, Any] = {
            "authorize_url": authorize_url,
            "username": username,
            "password": password,
            "decision": decision,
        }
        if scopes is not None:
            body["scopes"] = scopes
        return self.post("/_sandbox/consent", json=body)

    # --- Login Kit -------------------------------------------------------------------------------
    def app(self, kind: str = "desktop") -> dict[str, Any]:
        return self.world["login_kit"][kind]

    def authorize_url(
        self,
        kind: str = "desktop",
        scope: str = "user.info.basic,user.info.profile",
        redirect_uri: str = "http://127.0.0.1:5555/callback/",
        challenge: str | None = None,
        state: str = "st-123",
        **extra: str,
    ) -> str:
        params = {
            "client_key": self.app(kind)["client_key"],
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            **extra,
        }
        if challenge is not None:
            params["code_challenge"] = challenge
            params["code_challenge_method"] = "S256"
        return self.base + "/v2/auth/authorize/?" + urllib.parse.urlencode(params)

    def login_code(
        self,
        kind: str = "desktop",
        username: str = "maple.official",
        scope: str = "user.info.basic,user.info.profile,user.info.stats",
        redirect_uri: str | None = None,
        scopes: list[str] | None = None,
    ) -> dict[str, str]:
        redirect_uri = redirect_uri or (
            "http://127.0.0.1:5555/callback/" if kind == "desktop" else "https://linkkit.example/callback/"
        )
        verifier, challenge = pkce_pair("hex" if kind == "desktop" else "b64")
        url = self.authorize_url(kind, scope, redirect_uri, challenge)
        resp = self.consent(url, username, scopes=scopes)
        assert resp.status_code == 200, resp.text
        q = query_of(resp.json()["redirect_url"])
        return {
            "code": q["code"],
            "scopes": q["scopes"],
            "state": q["state"],
            "verifier": verifier,
            "redirect_uri": redirect_uri,
        }

    def token(self, kind: str = "desktop", **form: str) -> requests.Response:
        app = self.app(kind)
        data = {"client_key": app["client_key"], "client_secret": app["client_secret"], **form}
        return self.post("/v2/oauth/token/", data=data)

    def login_tokens(self, kind: str = "desktop", username: str = "maple.official", **kw: Any) -> dict[str, Any]:
        c = self.login_code(kind, username, **kw)
        resp = self.token(
            kind,
            grant_type="authorization_code",
            code=c["code"],
            redirect_uri=c["redirect_uri"],
            code_verifier=c["verifier"],
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    # --- TikTok Shop -----------------------------------------------------------------------------
    @property
    def shop_app(self) -> dict[str, Any]:
        return self.world["shop_app"]

    def shop_authorize_url(self, state: str = "shop-state") -> str:
        return f"{self.base}/open/authorize?service_id={self.shop_app['service_id']}&state={state}"

    def shop_code(self, seller: str = "maple_seller") -> str:
        resp = self.consent(self.shop_authorize_url(), seller)
        assert resp.status_code == 200, resp.text
        return query_of(resp.json()["redirect_url"])["code"]

    def shop_token_get(self, code: str, **override: str) -> requests.Response:
        params = {
            "app_key": self.shop_app["app_key"],
            "app_secret": self.shop_app["app_secret"],
            "auth_code": code,
            "grant_type": "authorized_code",
            **override,
        }
        return self.get("/api/v2/token/get", params=params)

    def shop_tokens(self, seller: str = "maple_seller") -> dict[str, Any]:
        body = self.shop_token_get(self.shop_code(seller)).json()
        assert body["code"] == 0, body
        return body["data"]

    def signed(
        self,
        method: str,
        path: str,
        token: str | None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        timestamp: int | None = None,
        secret: str | None = None,
        tamper: bool = False,
    ) -> requests.Response:
        query = {
            "app_key": self.shop_app["app_key"],
            "timestamp": str(int(self.now()) if timestamp is None else timestamp),
        }
        query.update({k: str(v) for k, v in (params or {}).items()})
        raw = "" if body is None else json.dumps(body, separators=(",", ":"))
        query["sign"] = tts_sign(secret or self.shop_app["app_secret"], path, query, raw)
        if tamper:
            query["sign"] = query["sign"][:-1] + ("0" if query["sign"][-1] != "0" else "1")
        headers = {"content-type": "application/json"}
        if token is not None:
            headers["x-tts-access-token"] = token
        return self.http.request(
            method, self.base + path, params=query, data=raw.encode() if raw else None, headers=headers, timeout=TIMEOUT
        )

    def cipher(self, shop_id: str) -> str:
        return next(s["cipher"] for s in self.world["shops"] if s["id"] == shop_id)

    # --- Seller Center ---------------------------------------------------------------------------
    def sc(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.post("/seller-center/api" + path, json=body, headers={"x-tts-access-token": token}).json()

    def link(self, token: str, shop_id: str, username: str, role: str) -> dict[str, Any]:
        inv = self.sc("/invitations", token, {"shop_id": shop_id, "username": username, "role": role})
        assert inv["code"] == 0, inv
        acc = self.sc(
            f"/invitations/{inv['data']['id']}/accept", token, {"username": username, "password": "pass_good"}
        )
        assert acc["code"] == 0, acc
        return acc["data"]

    def linked(self, token: str, shop_id: str) -> dict[str, Any]:
        return self.get(
            "/seller-center/api/linked-accounts", params={"shop_id": shop_id}, headers={"x-tts-access-token": token}
        ).json()


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
