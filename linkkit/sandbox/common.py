"""Small pieces every service backend shares: the sandbox clock, the id counter, URL and base64 helpers.

Example:
    >>> c = Clock(0.0)
    >>> c.advance(60)
    >>> c.offset
    60.0
"""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass


class Clock:
    """Sandbox time: real time plus an offset that the ``/_sandbox/clock`` control advances."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = float(offset)

    def now(self) -> float:
        """Sandbox time as unix seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward by ``seconds``."""
        self.offset += float(seconds)


class Ids:
    """Sequential ids (``inv000001``, ``lkg000002`` …), one counter for the whole sandbox."""

    def __init__(self) -> None:
        self._counter = 0

    def next(self, prefix: str) -> str:
        """The next id with ``prefix``."""
        self._counter += 1
        return f"{prefix}{self._counter:06d}"


@dataclass
class IssuedToken:
    """An access or refresh token and the grant behind it."""

    token: str
    grant_id: str
    expires_at: float
    superseded: bool = False


def b64url(raw: bytes) -> str:
    """Unpadded base64url (RFC 7636's encoding)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def append_query(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` (``None`` values dropped) appended to its query string."""
    pairs = [(k, v) for k, v in params.items() if v is not None]
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(pairs)


__all__ = ["Clock", "Ids", "IssuedToken", "append_query", "b64url"]
