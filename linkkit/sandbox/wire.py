"""What travels over HTTP, shared by every service: the request and response records, each API family's
error body, fault bodies, the HTML page renderer and the ``Route`` record that the ``urls.py`` tables use.

Example:
    >>> json_response({"ok": True}).body
    '{"ok": true}'
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import tornado.template

from .exceptions import ShopError

if TYPE_CHECKING:
    from .backend import SandboxBackend

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
HTML_HEADERS = {
    # No external assets; inline CSS only. No form-action: the consent POST must be free to redirect away.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOADER = tornado.template.Loader(TEMPLATES, autoescape="xhtml_escape")


def log_id() -> str:
    """A TikTok-style log id: UTC timestamp then hex, e.g. ``20250101093000A1B2C3D4E5F6A7B8C9``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


@dataclass
class SandboxRequest:
    """One HTTP request as the handlers see it (query values are the first of each name)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def form_lists(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.body_text, keep_blank_values=True)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in self.form_lists().items()}

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` for anything that is not (including absurdly deep nesting)."""
        try:
            return json.loads(self.body_text or "null")
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


@dataclass
class SandboxResponse:
    """A status, a body and its headers."""

    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["SandboxBackend", SandboxRequest], SandboxResponse]


@dataclass(frozen=True)
class Route:
    """One row of a route table: path pattern, a handler per HTTP method, the API family (which decides
    error and fault shapes), and for signed TikTok Shop calls the scope key and the ``shop_cipher`` rule."""

    pattern: str
    methods: Mapping[str, Handler]
    family: str
    meta: Mapping[str, str] = field(default_factory=dict)

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(f"^{self.pattern}$")


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(status, json.dumps(payload, ensure_ascii=False), "application/json", dict(headers or {}))


def redirect(url: str) -> SandboxResponse:
    return SandboxResponse(302, "", "text/plain", {"Location": url})


def render(name: str, status: int = 200, **kwargs: Any) -> SandboxResponse:
    """An HTML page from ``templates/`` (autoescaped), with the sandbox's strict page headers."""
    html = _LOADER.load(name).generate(**kwargs).decode("utf-8")
    return SandboxResponse(status, html, "text/html; charset=utf-8", dict(HTML_HEADERS))


# --- family-specific error bodies -----------------------------------------------------------------------
def oauth_error(error: str, description: str, status: int) -> SandboxResponse:
    """Login Kit ``/v2/oauth/*`` error: ``{"error", "error_description", "log_id"}``."""
    lid = log_id()
    return json_response({"error": error, "error_description": description, "log_id": lid}, status, {"X-Tt-Logid": lid})


def api_error(code: str, message: str, status: int) -> SandboxResponse:
    """Login Kit v2 API error: ``{"data": {}, "error": {"code", "message", "log_id"}}``."""
    lid = log_id()
    return json_response(
        {"data": {}, "error": {"code": code, "message": message, "log_id": lid}}, status, {"X-Tt-Logid": lid}
    )


def shop_envelope(data: Any = None, code: int = 0, message: str = "Success", status: int = 200) -> SandboxResponse:
    """TikTok Shop's envelope: ``{"code", "message", "request_id", "data"}``."""
    rid = log_id()
    body: dict[str, Any] = {"code": code, "message": message, "request_id": rid}
    body["data"] = {} if data is None else data
    return json_response(body, status, {"X-Tt-Logid": rid})


def shop_error(exc: ShopError) -> SandboxResponse:
    data = exc.data
    if isinstance(data, dict) and "violations" in data:
        data = {
            **data,
            "violations": [v if isinstance(v, dict) else asdict(v) for v in data["violations"]],
        }
    return shop_envelope(data, exc.code, exc.message, exc.status)


def control_error(message: str, error: str = "invalid_request", status: int = 400) -> SandboxResponse:
    """A ``/_sandbox/`` control error: ``{"error", "message"}``."""
    return json_response({"error": error, "message": message}, status)


def fault_response(family: str, kind: str) -> SandboxResponse:
    """The body a fault answers with, in the shape of the API family of the path."""
    status = {"http_429": 429, "http_500": 500, "http_503": 503}.get(kind, 200)
    if kind == "malformed":
        return SandboxResponse(200, '{"code":0,"data":{"shops":[{"id":', "application/json")
    if family == "login_kit_oauth":
        error = "temporarily_unavailable" if status in (429, 503) else "server_error"
        return oauth_error(error, "Injected sandbox fault.", status)
    if family == "login_kit_api":
        code = "rate_limit_exceeded" if status == 429 else "internal_error"
        return api_error(code, "Injected sandbox fault.", status)
    if family.endswith("_page"):
        return SandboxResponse(
            status,
            f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>",
            "text/html; charset=utf-8",
            dict(HTML_HEADERS),
        )
    if status == 429:
        return shop_envelope(
            None, 36009002, "Too many requests. You've made too many requests in a short period of time.", 429
        )
    return shop_envelope(
        None,
        36009003,
        "Internal error. Please try again. If the issue persists after multiple "
        "attempts, please contact platform support.",
        status,
    )


def not_found(family: str, method: str, path: str) -> SandboxResponse:
    if family == "control":
        return json_response({"error": "not_found", "message": f"No sandbox control at {path}."}, 404)
    if family in ("login_kit_api", "login_kit_oauth"):
        return api_error("invalid_params", f"No API at {path}.", 404)
    return shop_envelope(None, 36009009, "Invalid path. The specified path does not match any available endpoint.", 404)


def method_not_allowed(family: str, method: str, path: str) -> SandboxResponse:
    if family == "control":
        return json_response({"error": "method_not_allowed", "message": f"{method} is not allowed here."}, 405)
    if family == "login_kit_oauth":
        return oauth_error("invalid_request", f"{method} is not supported; use POST.", 405)
    if family == "login_kit_api":
        return api_error("invalid_params", f"{method} is not supported.", 405)
    if family.endswith("_page"):
        return SandboxResponse(
            405,
            "<!doctype html><title>405</title><h1>Method not allowed</h1>",
            "text/html; charset=utf-8",
            dict(HTML_HEADERS),
        )
    return shop_envelope(None, 36009010, "Invalid method. The HTTP method used is not supported by this endpoint.", 405)


__all__ = [
    "HTML_HEADERS",
    "Handler",
    "Route",
    "SandboxRequest",
    "SandboxResponse",
    "api_error",
    "control_error",
    "fault_response",
    "json_response",
    "log_id",
    "method_not_allowed",
    "not_found",
    "oauth_error",
    "redirect",
    "render",
    "shop_envelope",
    "shop_error",
]
