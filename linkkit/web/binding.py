"""Binding an authorization's ``state`` to the browser that began it (RFC 9700 §2.1, §4.7.1).

The page that begins an authorization (``/linkkit/authorize``) records a hash of its ``state`` in a signed,
HttpOnly, SameSite=Lax cookie; the callback (``/linkkit/callback``) completes only a ``state`` whose hash that
browser's cookie holds. A callback opened in another browser is refused *before* the pending authorization is
touched, so it cannot burn the seller's authorization either. The cookie holds hashes only, never a ``state``,
and at most :data:`MAX_BINDINGS` of them (a seller may press Authorize in two tabs).

Signing is tornado's (``set_signed_cookie`` with the server's ``cookie_secret``); this module is the pure part:
what the cookie holds and how it is read.

Example:
    >>> value = add_binding("", "state-1", expires_at=2_000.0, now=1_000.0)
    >>> is_bound(value, "state-1", now=1_500.0), is_bound(value, "state-2", now=1_500.0)
    (True, False)
    >>> is_bound(value, "state-1", now=2_500.0)  # expired
    False
"""

from __future__ import annotations

import hashlib
import json

__all__ = ["COOKIE_NAME", "MAX_BINDINGS", "add_binding", "drop_binding", "is_bound", "state_hash"]

#: The cookie's name.
COOKIE_NAME = "linkkit_oauth"
#: How many authorizations one browser may have under way at once (newest kept).
MAX_BINDINGS = 5


def state_hash(state: str) -> str:
    """The SHA-256 of a ``state``, as the cookie stores it."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _entries(value: str | bytes | None, now: float) -> list[tuple[str, float]]:
    if not value:
        return []
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    try:
        raw = json.loads(value)
    except ValueError:
        return []
    out: list[tuple[str, float]] = []
    if not isinstance(raw, list):
        return []
    for item in raw:
        if (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], int | float) and item[1] > now):
            out.append((item[0], float(item[1])))
    return out


def _dump(entries: list[tuple[str, float]]) -> str:
    return json.dumps([[h, round(t)] for h, t in entries[-MAX_BINDINGS:]], separators=(",", ":"))


def add_binding(value: str | bytes | None, state: str, *, expires_at: float, now: float) -> str:
    """The cookie value with ``state`` added (expired entries and the oldest beyond the limit dropped)."""
    digest = state_hash(state)
    entries = [e for e in _entries(value, now) if e[0] != digest]
    entries.append((digest, expires_at))
    return _dump(entries)


def drop_binding(value: str | bytes | None, state: str, *, now: float) -> str:
    """The cookie value without ``state`` (it was used)."""
    digest = state_hash(state)
    return _dump([e for e in _entries(value, now) if e[0] != digest])


def is_bound(value: str | bytes | None, state: str, *, now: float) -> bool:
    """Whether the cookie ``value`` holds ``state`` and it has not expired."""
    digest = state_hash(state)
    return any(h == digest for h, _ in _entries(value, now))
