"""The ``Clock`` port: what time it is, for every record linkkit writes (design §2).

One clock is chosen in the composition root (:meth:`linkkit.linking.LinkService.from_settings`) and handed to
the registry and the service, so events, links, checks and token expiries are stamped by the same clock:

- :class:`WallClock` — the machine's UTC time (live mode);
- :class:`SandboxClock` — the sandbox's time: real time plus the offset its ``/_sandbox/clock`` control sets,
  so ``advance_clock(25 h)`` there is seen by every rule here.

Example:
    >>> from datetime import UTC, datetime
    >>> WallClock().now().tzinfo is UTC
    True
    >>> FixedClock(datetime(2026, 1, 1, tzinfo=UTC)).timestamp()
    1767225600.0
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

__all__ = ["Clock", "FixedClock", "OffsetSource", "SandboxClock", "WallClock"]


@runtime_checkable
class Clock(Protocol):
    """Current time as a timezone-aware UTC ``datetime``."""

    def now(self) -> datetime:
        """The current time (UTC)."""
        ...

    def timestamp(self) -> float:
        """The current time as seconds since the epoch."""
        ...

    def sync(self) -> None:
        """Re-read the clock's source (no-op for clocks without one)."""
        ...


class WallClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return time.time()

    def sync(self) -> None:
        return None

    def __repr__(self) -> str:
        return "WallClock()"


class FixedClock:
    """A clock that stands still until moved (tests, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def timestamp(self) -> float:
        return self._at.timestamp()

    def sync(self) -> None:
        return None

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._at = datetime.fromtimestamp(self._at.timestamp() + seconds, UTC)


class OffsetSource(Protocol):
    """Anything that answers ``clock()`` with ``{"offset": seconds}`` (the sandbox's control client)."""

    def clock(self) -> dict[str, Any]: ...


class SandboxClock:
    """The sandbox's clock: real time plus the offset read from ``GET /_sandbox/clock``.

    The offset is read once and again after :meth:`sync` (called after advancing the sandbox clock and when
    TikTok Shop reports a skewed timestamp).
    """

    def __init__(self, source: OffsetSource) -> None:
        self._source = source
        self._offset: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SandboxClock(offset={self._offset!r})"

    def sync(self) -> None:
        offset = float(self._source.clock().get("offset", 0.0))
        with self._lock:
            self._offset = offset

    def timestamp(self) -> float:
        if self._offset is None:
            self.sync()
        return time.time() + (self._offset or 0.0)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)
