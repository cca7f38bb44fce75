"""Junk in, an answer out: hypothesis throws malformed requests at every sandbox route and asserts that
none ends in a 5xx unless it was an injected fault (``X-Sandbox-Fault``).

Inputs mix the right names with wrong types (lists, objects, ``null``, bools, huge and negative integers,
non-finite floats, deep nesting, non-UTF-8 bytes), wrong content types and wrong methods. Bounded for CI:
``LINKKIT_FUZZ_EXAMPLES`` (default 150 per test, six tests) raises it for a longer run.
"""

from __future__ import annotations

import json
import os
import string
from collections import Counter
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import TIMEOUT, tts_sign

from linkkit.sandbox import SandboxServer, urls

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("LINKKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TALLY: Counter[str] = Counter()

# Every name any route or control reads, so junk lands where the code looks.
NAMES = [
    "seller",
    "seed",
    "advance_seconds",
    "kind",
    "count",
    "latency_ms",
    "path_prefix",
    "withhold",
    "url",
    "retry_scale",
    "match",
    "phase",
    "timeout_seconds",
    "client_key",
    "redirect_uris",
    "app_key",
    "redirect_url",
    "authorize_url",
    "username",
    "password",
    "decision",
    "scopes",
    "shop_id",
    "role",
    "grant_type",
    "code",
    "code_verifier",
    "client_secret",
    "refresh_token",
    "token",
    "fields",
    "app_secret",
    "auth_code",
    "timestamp",
    "sign",
    "shop_cipher",
    "page_size",
    "page_token",
    "sort_field",
    "sort_order",
    "create_time_ge",
    "create_time_lt",
    "update_time_ge",
    "update_time_lt",
    "order_status",
    "buyer_user_id",
    "start_date_ge",
    "end_date_lt",
    "currency",
    "granularity",
    "with_comparison",
    "account_type",
    "service_id",
    "state",
    "response_type",
    "scope",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "action",
]
PATHS = sorted(
    {
        r.pattern.replace("(?P<invitation_id>[A-Za-z0-9_-]+)", "inv000001").replace(
            "(?P<hold_id>[A-Za-z0-9_-]+)", "hold000001"
        )
        for r in urls.ROUTES
    }
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, -1, 0, 2**31]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "maple_seller",
            "maple.official",
            "pass_good",
            "official",
            "http_500",
            "token_refresh",
            "7494100000000000101",
            "1e400",
            "-5",
            "",
            "null",
            "http://127.0.0.1:1/x",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=6)
query_text = st.text(alphabet=string.printable + "²٣é\u202e", max_size=20) | st.sampled_from(
    ["99999999999999999999999", "-1", "²", "0001-01-01", "9999-12-31", "1D", "USD"]
)
queries = st.dictionaries(st.sampled_from(NAMES), query_text, max_size=6)


def _body() -> st.SearchStrategy[tuple[str | None, bytes]]:
    return st.one_of(
        st.tuples(st.just("application/json"), objects.map(lambda o: json.dumps(o).encode())),
        st.tuples(st.just("application/json"), json_values.map(lambda o: json.dumps(o).encode())),
        st.tuples(
            st.just("application/json"),
            st.sampled_from([b"[" * 5000, b"{", b"\xff\xfe", b"1e999999", b'{"seed": ' + b"9" * 5000 + b"}"]),
        ),
        st.tuples(
            st.just("application/x-www-form-urlencoded"),
            queries.map(lambda q: "&".join(f"{k}={v}" for k, v in q.items()).encode("utf-8", "surrogatepass")),
        ),
        st.tuples(st.sampled_from([None, "text/plain", "multipart/form-data"]), st.binary(max_size=64)),
    )


@pytest.fixture(scope="module")
def fuzz_sandbox():
    server = SandboxServer(host="127.0.0.1", port=0)
    server.start()
    session = requests.Session()
    session.trust_env = False
    yield server, session
    server.stop()
    print(f"\nsandbox fuzz: {dict(sorted(TALLY.items()))}")


def _send(
    fuzz_sandbox: Any,
    method: str,
    path: str,
    query: dict[str, str],
    ctype: str | None,
    body: bytes,
    headers: dict[str, str],
) -> None:
    server, session = fuzz_sandbox
    if ctype:
        headers = {**headers, "Content-Type": ctype}
    r = session.request(
        method,
        server.url + path,
        params=query,
        data=body or None,
        headers=headers,
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    TALLY["requests"] += 1
    TALLY[f"{r.status_code // 100}xx"] += 1
    # Controls may arm a hold, a fault or a webhook URL: leave none behind for the next example.
    for control in (
        () if not path.startswith("/_sandbox/") else ("/_sandbox/holds", "/_sandbox/faults", "/_sandbox/webhooks")
    ):
        session.delete(server.url + control, timeout=TIMEOUT)
    if r.status_code >= 500 and "X-Sandbox-Fault" not in r.headers:
        TALLY["unhandled"] += 1
    assert r.status_code < 500 or "X-Sandbox-Fault" in r.headers, (method, path, query, body[:200], r.text[:300])


controls = [p for p in PATHS if p.startswith("/_sandbox/")]
tiktok = [p for p in PATHS if not p.startswith("/_sandbox/")]
methods = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH"])
headers = st.fixed_dictionaries(
    {},
    optional={
        "x-tts-access-token": st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=20),
        "Authorization": st.sampled_from(["Bearer ", "Bearer act.x", "Basic x", "Bearer " + "a" * 300]),
    },
)


@FUZZ
@given(path=st.sampled_from(controls), body=objects)
def test_controls_answer_junk_json_with_4xx(fuzz_sandbox, path, body):
    _send(fuzz_sandbox, "POST", path, {}, "application/json", json.dumps(body).encode(), {})


@FUZZ
@given(path=st.sampled_from(controls), method=methods, ctype_body=_body())
def test_controls_answer_any_body_and_method(fuzz_sandbox, path, method, ctype_body):
    _send(fuzz_sandbox, method, path, {}, ctype_body[0], ctype_body[1], {})


@FUZZ
@given(path=st.sampled_from(tiktok), method=methods, query=queries, ctype_body=_body(), hdrs=headers)
def test_tiktok_routes_answer_junk(fuzz_sandbox, path, method, query, ctype_body, hdrs):
    _send(fuzz_sandbox, method, path, query, ctype_body[0], ctype_body[1], hdrs)


shop_ids = st.sampled_from(["7494100000000000101", "7494100000000000201", "nope"]) | json_values
seller_center_bodies = st.fixed_dictionaries(
    {},
    optional={
        "shop_id": shop_ids,
        "username": st.sampled_from(["maple.deals", "maple.official", "jo.personal"]) | json_values,
        "role": st.sampled_from(["official", "marketing"]) | json_values,
        "password": st.just("pass_good") | json_values,
    },
)


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/seller-center/api/linked-accounts/eligibility",
            "/seller-center/api/invitations",
            "/seller-center/api/linked-accounts/unlink",
            "/seller-center/api/invitations/inv000001/accept",
        ]
    ),
    body=seller_center_bodies,
)
def test_seller_center_json_bodies(fuzz_sandbox, path, body):
    token = _shop_token(fuzz_sandbox)
    _send(fuzz_sandbox, "POST", path, {}, "application/json", json.dumps(body).encode(), {"x-tts-access-token": token})


SIGNED = {r.pattern: next(iter(r.methods)) for r in urls.ROUTES if "scope" in r.meta}
signed_params = st.dictionaries(
    st.sampled_from(
        [
            "page_size",
            "page_token",
            "sort_field",
            "sort_order",
            "start_date_ge",
            "end_date_lt",
            "currency",
            "granularity",
            "with_comparison",
            "account_type",
            "shop_cipher",
        ]
    ),
    query_text
    | st.sampled_from(
        [
            "10",
            "100",
            "0",
            "101",
            "ALL",
            "1D",
            "true",
            "gmv",
            "ASC",
            "LINKED_ACCOUNTS",
            "2026-01-01",
            "2026-02-01",
            "0001-01-01",
            "9999-12-31",
            "cGFnZV9udW1iZXI9Mg==",
        ]
    ),
    max_size=6,
)


@FUZZ
@given(path=st.sampled_from(sorted(SIGNED)), params=signed_params, body=st.none() | objects)
def test_signed_shop_calls_with_junk_parameters(fuzz_sandbox, path, params, body):
    """Correctly signed calls with a live token, so the junk reaches parameter parsing."""
    server, session = fuzz_sandbox
    token = _shop_token(fuzz_sandbox)
    world = _world(fuzz_sandbox)
    app = world["shop_app"]
    cipher = next(s["cipher"] for s in world["shops"] if s["id"] == "7494100000000000101")
    query = {
        "app_key": app["app_key"],
        "timestamp": str(int(session.get(server.url + "/_sandbox/clock", timeout=TIMEOUT).json()["now"])),
    }
    if path != "/authorization/202309/shops":
        query["shop_cipher"] = cipher
    query.update(params)
    raw = "" if body is None else json.dumps(body, separators=(",", ":"))
    query["sign"] = tts_sign(app["app_secret"], path, query, raw)
    _send(fuzz_sandbox, SIGNED[path], path, query, "application/json", raw.encode(), {"x-tts-access-token": token})


def _world(fuzz_sandbox: Any) -> dict[str, Any]:
    if "world" not in _WORLD:
        server, session = fuzz_sandbox
        _WORLD["world"] = session.get(server.url + "/_sandbox/world", timeout=TIMEOUT).json()
    return _WORLD["world"]


_WORLD: dict[str, Any] = {}


@FUZZ
@given(path=st.text(alphabet=string.ascii_letters + "/_-.%?", max_size=40), method=methods)
def test_unknown_paths(fuzz_sandbox, path, method):
    _send(fuzz_sandbox, method, "/" + path.lstrip("/"), {}, None, b"", {})


_TOKENS: dict[str, str] = {}


def _shop_token(fuzz_sandbox: Any) -> str:
    """A live shop access token (fetched once, again if a fuzzed control revoked it)."""
    server, session = fuzz_sandbox
    backend = server.backend
    token = _TOKENS.get("shop")
    with server.app.lock:
        issued = backend.shop_auth.access.get(token or "")
        grant = backend.shop_auth.grants.get(issued.grant_id) if issued else None
        alive = grant is not None and not grant.revoked and issued is not None and issued.expires_at > backend.now()
    if alive and token:
        return token
    world = session.get(server.url + "/_sandbox/world", timeout=TIMEOUT).json()
    app = world["shop_app"]
    url = f"{server.url}/open/authorize?service_id={app['service_id']}&state=s"
    consent = session.post(
        server.url + "/_sandbox/consent",
        json={"authorize_url": url, "username": "maple_seller", "password": "pass_good"},
        timeout=TIMEOUT,
    ).json()
    code = requests.utils.urlparse(consent["redirect_url"]).query.split("code=")[1].split("&")[0]
    data = session.get(
        server.url + "/api/v2/token/get",
        params={
            "app_key": app["app_key"],
            "app_secret": app["app_secret"],
            "auth_code": code,
            "grant_type": "authorized_code",
        },
        timeout=TIMEOUT,
    ).json()["data"]
    _TOKENS["shop"] = data["access_token"]
    return data["access_token"]
