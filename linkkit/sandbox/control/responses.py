"""The ``/_sandbox/`` controls over HTTP: world, apps, consent, reset, clock, faults, holds, recorded
requests, scopes, deauthorization and webhooks.

Every control answers a JSON object. Bad input (not a JSON object, wrong types, out-of-range numbers)
answers 400 ``{"error", "message"}`` — never a 5xx.

Example:
    >>> from linkkit.sandbox.control.urls import ROUTES
    >>> ROUTES[0].pattern
    '/_sandbox/world'
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..exceptions import ConsentError, PageError
from ..wire import SandboxRequest, SandboxResponse, control_error, json_response
from ..world_data import LOGIN_SCOPES, SHOP_SCOPES
from .models import FAULT_KINDS, HOLD_MATCHES, HOLD_PHASES, HOLD_TIMEOUT_MAX, Fault, redact_value

if TYPE_CHECKING:
    from ..backend import SandboxBackend

CLOCK_STEP_MAX = 100 * 366 * 86400.0  # one advance moves at most a century
CLOCK_OFFSET_MAX = 200 * 366 * 86400.0  # and the clock never runs past two
LATENCY_MAX_MS = 60_000
RETRY_AFTER_MAX = 3600
COUNT_MAX = 1_000_000
SEED_MAX = 2**63 - 1
RETRY_SCALE_MIN = 1e-6


class BadRequest(ValueError):
    """A control's input was refused; ``error`` is the code in the 400 body."""

    def __init__(self, message: str, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.error = error


def _body(req: SandboxRequest) -> dict[str, Any]:
    try:
        body = req.json() if req.body.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _int(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(f"{key} must be an integer between {lo} and {hi}.")
    return value


def _number(body: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{key} must be a number.")
    try:
        number = float(value)
    except OverflowError as exc:
        raise BadRequest(f"{key} must be between {lo:g} and {hi:g}.") from exc
    if not math.isfinite(number) or not lo <= number <= hi:
        raise BadRequest(f"{key} must be between {lo:g} and {hi:g}.")
    return number


def _str(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise BadRequest(f"{key} must be a string.")
    return value


def _control(handler: Any) -> Any:
    """Turn ``BadRequest`` into the control's 400 body."""

    def wrapped(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
        try:
            response: SandboxResponse = handler(backend, req)
        except BadRequest as exc:
            return control_error(str(exc), exc.error)
        return response

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


@_control
def world(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    w = backend.world
    apps = {
        app.kind: {
            "name": app.name,
            "client_key": app.client_key,
            "client_secret": app.client_secret,
            "redirect_uris": list(app.redirect_uris),
            "pkce": app.pkce,
        }
        for app in backend.login_kit.apps.values()
    }
    sa = backend.shop_auth.app
    return json_response(
        {
            "seed": w.seed,
            "start_day": w.start_day.isoformat(),
            "login_kit": apps,
            "shop_app": {
                "name": sa.name,
                "app_key": sa.app_key,
                "app_secret": sa.app_secret,
                "service_id": sa.service_id,
                "redirect_url": sa.redirect_url,
                "scopes": list(sa.scopes),
                "withheld_scopes": sorted(backend.shop_auth.withheld_scopes),
            },
            "sellers": [
                {
                    "username": s.username,
                    "password": s.password,
                    "name": s.name,
                    "seller_type": s.seller_type,
                    "base_region": s.base_region,
                    "shop_ids": list(s.shop_ids),
                }
                for s in w.sellers.values()
            ],
            "shops": [
                {
                    "id": s.id,
                    "name": s.name,
                    "region": s.region,
                    "seller_type": s.seller_type,
                    "cipher": s.cipher,
                    "code": s.code,
                    "currency": s.currency,
                    "seller": s.seller,
                }
                for s in w.shops.values()
            ],
            "tiktok_accounts": [
                {
                    "username": a.username,
                    "password": a.password,
                    "display_name": a.display_name,
                    "region": a.region,
                    "account_type": a.account_type,
                    "identity_verified": a.identity_verified,
                    "affiliate": a.affiliate,
                    "note": a.hint,
                }
                for a in w.accounts.values()
            ],
            "scopes": {"login_kit": LOGIN_SCOPES, "shop": SHOP_SCOPES},
        }
    )


@_control
def apps(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    body = _body(req)
    try:
        if "client_key" in body:
            uris = body.get("redirect_uris")
            if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                raise BadRequest("redirect_uris must be a list of strings.")
            app = backend.login_kit.set_redirects(_str(body, "client_key"), uris)
            return json_response({"client_key": app.client_key, "redirect_uris": list(app.redirect_uris)})
        if "app_key" in body:
            if not isinstance(body.get("redirect_url"), str):
                raise BadRequest("redirect_url must be a string.")
            shop_app = backend.shop_auth.set_redirect(_str(body, "app_key"), body["redirect_url"])
            return json_response({"app_key": shop_app.app_key, "redirect_url": shop_app.redirect_url})
    except KeyError as exc:
        raise BadRequest("No such app.", "unknown_app") from exc
    raise BadRequest("Give client_key + redirect_uris or app_key + redirect_url.")


@_control
def consent(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    body = _body(req)
    url = urllib.parse.urlsplit(_str(body, "authorize_url"))
    params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
    decision = _str(body, "decision", "allow")
    username, password = _str(body, "username"), _str(body, "password")
    try:
        if url.path == "/v2/auth/authorize/":
            auth = backend.login_kit.validate_authorize(params)
            scopes = body.get("scopes")
            if isinstance(scopes, str):
                scopes = [s for s in scopes.split(",") if s]
            if scopes is not None and (not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes)):
                raise BadRequest("scopes must be a list of scope names or a comma-separated string.")
            redirect_url = backend.login_kit.consent(auth, username, password, decision, scopes)
        elif url.path == "/open/authorize":
            redirect_url = backend.shop_auth.consent(params, username, password, decision)
        else:
            raise BadRequest(
                "authorize_url must be a Login Kit (/v2/auth/authorize/) or TikTok Shop "
                "(/open/authorize) authorize URL.",
                "unknown_authorize_url",
            )
    except PageError as exc:
        return json_response(
            {"error": f"invalid_{exc.parameter}", "parameter": exc.parameter, "message": exc.message}, 400
        )
    except ConsentError as exc:
        return json_response({"error": exc.error, "message": exc.message}, 400)
    return json_response({"redirect_url": redirect_url})


@_control
def reset(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    body = _body(req)
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX):
        raise BadRequest("seed must be an integer.")
    backend.reset(seed)
    return json_response({"ok": True, "seed": backend.world.seed, "start_day": backend.world.start_day.isoformat()})


def _clock_json(backend: SandboxBackend) -> dict[str, float]:
    return {"now": backend.now(), "offset": backend.clock.offset}


@_control
def clock_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return json_response(_clock_json(backend))


@_control
def clock_post(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    body = _body(req)
    raw = body.get("advance_seconds", 0)
    if isinstance(raw, str):  # accepted before: "3600" as well as 3600
        try:
            raw = float(raw)
        except ValueError as exc:
            raise BadRequest("advance_seconds must be a number.") from exc
        body = {**body, "advance_seconds": raw}
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw < 0:
        raise BadRequest("The sandbox clock only moves forward.")
    seconds = _number(body, "advance_seconds", 0, 0, CLOCK_STEP_MAX)
    if backend.clock.offset + seconds > CLOCK_OFFSET_MAX:
        raise BadRequest("The sandbox clock cannot run more than two centuries ahead.")
    backend.clock.advance(seconds)
    return json_response(_clock_json(backend))


def _faults_json(backend: SandboxBackend) -> dict[str, Any]:
    return {"faults": [asdict(f) for f in backend.control.faults]}


@_control
def faults_post(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    body = _body(req)
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in FAULT_KINDS:
        raise BadRequest("kind must be latency, http_429, http_500, http_503 or malformed.")
    try:
        count = _int(body, "count", 1, 1, COUNT_MAX)
        latency = _int(body, "latency_ms", 0, 0, LATENCY_MAX_MS)
        prefix = _str(body, "path_prefix")
        retry_after = _int(body, "retry_after", 0, 0, RETRY_AFTER_MAX)
    except BadRequest as exc:
        raise BadRequest(
            "count must be a positive integer, latency_ms a non-negative integer "
            f"(at most {LATENCY_MAX_MS}), path_prefix a string, retry_after seconds (0 to {RETRY_AFTER_MAX})."
        ) from exc
    backend.control.add_fault(Fault(kind, count, latency, prefix, retry_after))
    return json_response(_faults_json(backend))


@_control
def faults_delete(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    backend.control.faults.clear()
    return json_response(_faults_json(backend))


@_control
def requests_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Recorded requests, secrets replaced by markers (``control.models.redact``)."""
    return json_response({"requests": [asdict(r) for r in backend.control.requests]})


@_control
def grants_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Login Kit grants, each token shown only as the fingerprint marker recorded requests carry.

    A test that saw ``token: [redacted sha256:…]`` in a revoke request finds here whether that grant is dead,
    without any secret crossing the wire.
    """
    kit = backend.login_kit
    tokens: dict[str, list[str]] = {}
    for name, issued_map in (("access_token", kit.access), ("refresh_token", kit.refresh)):
        for value, issued in issued_map.items():
            tokens.setdefault(issued.grant_id, []).append(redact_value(name, value))
    grants = [{"id": g.id, "client_key": g.client_key, "username": g.username, "revoked": g.revoked,
               "tokens": sorted(tokens.get(g.id, []))} for g in kit.grants.values()]
    return json_response({"grants": grants})


@_control
def requests_delete(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    backend.control.requests.clear()
    return json_response({"requests": []})


def _scopes_json(backend: SandboxBackend) -> dict[str, Any]:
    return {
        "app_key": backend.shop_auth.app.app_key,
        "scopes": list(backend.shop_auth.app.scopes),
        "withheld": sorted(backend.shop_auth.withheld_scopes),
        "granted": backend.shop_auth.granted_scopes(),
    }


@_control
def scopes_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return json_response(_scopes_json(backend))


@_control
def scopes_post(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    withhold = _body(req).get("withhold")
    if not isinstance(withhold, list) or any(not isinstance(s, str) or s not in SHOP_SCOPES for s in withhold):
        raise BadRequest(f"withhold must be a list of scope keys from {sorted(SHOP_SCOPES)}.")
    backend.shop_auth.withheld_scopes = set(withhold)
    return json_response(_scopes_json(backend))


@_control
def deauthorize(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """The seller removes the app in Seller Center: grants revoked, a type-6 webhook per shop."""
    seller = _body(req).get("seller")
    if not isinstance(seller, str) or seller not in backend.world.sellers:
        raise BadRequest("seller must be a demo seller username.")
    return json_response({"revoked": backend.deauthorize_seller(seller)})


# --- holds --------------------------------------------------------------------------------------------
@_control
def holds_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return json_response({"holds": [h.json() for h in backend.control.holds]})


@_control
def holds_post(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Arm a hold: the next matching request waits at the sandbox until released or timed out."""
    body = _body(req)
    match = _str(body, "match", "token_refresh")
    phase = _str(body, "phase", "before")
    if match not in HOLD_MATCHES:
        raise BadRequest(f"match must be one of {list(HOLD_MATCHES)}.")
    if phase not in HOLD_PHASES:
        raise BadRequest(f"phase must be one of {list(HOLD_PHASES)}.")
    timeout = _number(body, "timeout_seconds", 30.0, 0.1, HOLD_TIMEOUT_MAX)
    return json_response({"hold": backend.control.arm_hold(match, phase, timeout).json()})


@_control
def holds_delete(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Release every held request and forget all holds."""
    backend.control.release_all()
    return json_response({"holds": []})


@_control
def hold_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        hold = backend.control.hold(req.path_params["hold_id"])
    except KeyError as exc:
        raise BadRequest("No such hold.", "unknown_hold") from exc
    return json_response({"hold": hold.json()})


@_control
def hold_release(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    try:
        hold = backend.control.release(req.path_params["hold_id"])
    except KeyError as exc:
        raise BadRequest("No such hold.", "unknown_hold") from exc
    return json_response({"hold": hold.json()})


# --- webhooks -------------------------------------------------------------------------------------------
def _webhooks_json(backend: SandboxBackend) -> dict[str, Any]:
    hooks = backend.webhooks
    return {
        "url": hooks.url,
        "retry_scale": hooks.retry_scale,
        "deliveries": [d.json() for d in hooks.deliveries],
    }


@_control
def webhooks_get(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    return json_response(_webhooks_json(backend))


@_control
def webhooks_post(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Set where webhooks go (``url``; ``null`` stops them) and how much retry delays shrink."""
    body = _body(req)
    url = body.get("url")
    if url is not None:
        if not isinstance(url, str) or len(url) > 2000:
            raise BadRequest("url must be an http(s) URL or null.")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest("url must be an http(s) URL or null.")
    scale = _number(body, "retry_scale", backend.webhooks.retry_scale, RETRY_SCALE_MIN, 1.0)
    backend.webhooks.configure(url, scale)
    return json_response(_webhooks_json(backend))


@_control
def webhooks_delete(backend: SandboxBackend, req: SandboxRequest) -> SandboxResponse:
    """Forget the URL and every delivery."""
    backend.webhooks.configure(None, 1.0)
    backend.webhooks.deliveries.clear()
    return json_response(_webhooks_json(backend))


__all__ = ["BadRequest", "world"]
