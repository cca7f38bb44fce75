"""State of the test controls under ``/_sandbox/``: injected faults, held requests and recorded requests.

Recorded requests never keep a secret: every value whose name carries one (``app_secret``,
``client_secret``, tokens, codes, ``code_verifier``, passwords …) is replaced by a marker. High-entropy
secrets keep a short SHA-256 fingerprint so a test can tell *which* token a request carried without the
sandbox ever handing the token back; passwords get a bare marker.

Example:
    >>> redact({"client_key": "k", "code_verifier": "v" * 43, "password": "pass_good"})["password"]
    '[redacted]'
    >>> redact({"code": "abc"})["code"]
    '[redacted sha256:ba7816bf8f01]'
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from ..common import Ids

#: Names whose values are secrets, wherever they appear (query, form or JSON body, any depth).
SECRET_NAMES = frozenset(
    {
        "access_token",
        "app_secret",
        "auth_code",
        "client_secret",
        "code",
        "code_verifier",
        "password",
        "refresh_token",
        "token",
        "x-tts-access-token",
    }
)
#: Low-entropy secrets: a fingerprint would be guessable, so they get a bare marker.
_NO_FINGERPRINT = frozenset({"password"})
RECORD_LIMIT = 2000
FAULT_KINDS = ("latency", "http_429", "http_500", "http_503", "malformed")
HOLD_MATCHES = ("token_refresh",)
HOLD_PHASES = ("before", "after")
HOLD_TIMEOUT_MAX = 300.0


def redact_value(name: str, value: Any) -> Any:
    """The marker that replaces ``value`` when ``name`` is a secret's name, else ``value`` (recursively)."""
    if name.lower() in SECRET_NAMES:
        if isinstance(value, str) and value and name.lower() not in _NO_FINGERPRINT:
            return f"[redacted sha256:{hashlib.sha256(value.encode()).hexdigest()[:12]}]"
        return "[redacted]"
    return redact(value)


def redact(value: Any) -> Any:
    """A copy of a query/form/JSON value with every secret-named entry replaced by a marker."""
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class Fault:
    kind: str
    remaining: int
    latency_ms: int = 0
    path_prefix: str = ""
    retry_after: int = 0  # seconds sent as ``Retry-After`` with an injected 429/503 (0: no header)


@dataclass
class RecordedRequest:
    """One request TikTok's side saw, already redacted."""

    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int = 0


@dataclass
class Hold:
    """A request held at the sandbox until a test releases it (or ``timeout_seconds`` pass).

    ``state``: ``armed`` (waiting for a matching request) → ``holding`` → ``released`` or ``timed_out``.
    ``phase``: hold ``before`` the sandbox processes the request, or ``after`` (processed, reply withheld).
    """

    id: str
    match: str
    phase: str
    timeout_seconds: float
    state: str = "armed"
    path: str | None = None

    def json(self) -> dict[str, Any]:
        return asdict(self)


def is_token_refresh(method: str, path: str, grant_type: str | None) -> bool:
    """Whether a request is a token refresh: Login Kit's refresh grant or TikTok Shop's refresh GET."""
    if path == "/api/v2/token/refresh":
        return method == "GET"
    return method == "POST" and path == "/v2/oauth/token/" and grant_type == "refresh_token"


class ControlBackend:
    """Faults, holds and the recorded-request log."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.holds: list[Hold] = []

    # --- faults --------------------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """The first fault whose prefix matches ``path``, counted down (and dropped when spent)."""
        for fault in self.faults:
            if fault.remaining > 0 and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- recorded requests -----------------------------------------------------------------------------
    def record(self, method: str, path: str, query: dict[str, str], body: Any, status: int) -> None:
        """Keep a redacted copy of a request (the newest ``RECORD_LIMIT``)."""
        self.requests.append(RecordedRequest(method, path, redact(query), redact(body), status))
        del self.requests[:-RECORD_LIMIT]

    # --- holds ---------------------------------------------------------------------------------------
    def arm_hold(self, match: str, phase: str, timeout_seconds: float) -> Hold:
        hold = Hold(self.ids.next("hold"), match, phase, timeout_seconds)
        self.holds.append(hold)
        return hold

    def take_hold(self, method: str, path: str, grant_type: str | None) -> Hold | None:
        """The first armed hold this request matches, now ``holding`` it."""
        if not is_token_refresh(method, path, grant_type):
            return None
        hold = next((h for h in self.holds if h.state == "armed" and h.match == "token_refresh"), None)
        if hold is not None:
            hold.state, hold.path = "holding", path
        return hold

    def hold(self, hold_id: str) -> Hold:
        hold = next((h for h in self.holds if h.id == hold_id), None)
        if hold is None:
            raise KeyError(hold_id)
        return hold

    def release(self, hold_id: str) -> Hold:
        """Let a held request go on (an armed hold is disarmed)."""
        hold = self.hold(hold_id)
        if hold.state in ("armed", "holding"):
            hold.state = "released"
        return hold

    def release_all(self) -> None:
        for hold in self.holds:
            if hold.state in ("armed", "holding"):
                hold.state = "released"
        self.holds.clear()


__all__ = [
    "FAULT_KINDS",
    "HOLD_MATCHES",
    "HOLD_PHASES",
    "ControlBackend",
    "Fault",
    "Hold",
    "RecordedRequest",
    "is_token_refresh",
    "redact",
]
