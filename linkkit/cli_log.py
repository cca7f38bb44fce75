"""Logging for one ``linkkit`` command: held until a one-shot command succeeds, live for serving commands."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HeldRecords", "command_logging"]


class HeldRecords(logging.Handler):
    """Holds a one-shot command's log records: shown after it succeeds, dropped when it fails.

    A failure is reported in one line (what went wrong and what to do); the warnings that led to it (retries,
    an unreachable sandbox) would bury that line, and ``--debug`` shows them all as they happen.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self) -> None:
        shown = logging.StreamHandler(sys.stderr)
        shown.setFormatter(logging.Formatter(logging.BASIC_FORMAT))
        for record in self.records:
            shown.handle(record)
        self.records.clear()


@contextmanager
def command_logging(level: int, *, hold: bool) -> Iterator[HeldRecords | None]:
    """Log at ``level`` to stderr for the command's duration (held until success when ``hold``)."""
    root = logging.getLogger()
    handler: logging.Handler = HeldRecords() if hold else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(logging.BASIC_FORMAT))  # no level of its own: a logger set louder
    old_level = root.level
    root.addHandler(handler)  # (``linkkit sandbox`` sets its logger to INFO) is heard, as with basicConfig
    root.setLevel(level)
    try:
        yield handler if isinstance(handler, HeldRecords) else None
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
