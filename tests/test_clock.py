"""The Clock port: the sandbox clock follows the sandbox's offset, re-read on sync()."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from linkkit.clock import Clock, FixedClock, SandboxClock, WallClock


class _Source:
    def __init__(self) -> None:
        self.offset = 0.0
        self.reads = 0

    def clock(self) -> dict[str, Any]:
        self.reads += 1
        return {"offset": self.offset}


def test_sandbox_clock_reads_the_offset_once_until_synced() -> None:
    source = _Source()
    source.offset = 25 * 3600
    clock = SandboxClock(source)
    assert abs(clock.timestamp() - (time.time() + 25 * 3600)) < 5
    source.offset = 0
    clock.now()
    assert source.reads == 1, "no HTTP call per timestamp"
    clock.sync()
    assert abs(clock.timestamp() - time.time()) < 5 and source.reads == 2
    assert clock.now().tzinfo is UTC


def test_every_clock_is_a_clock() -> None:
    fixed = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    fixed.advance(3600)
    assert fixed.now() == datetime(2026, 1, 1, 1, tzinfo=UTC)
    assert all(isinstance(c, Clock) for c in (fixed, WallClock(), SandboxClock(_Source())))
