"""Slow work and polling off the kernel's main thread, shared by every view.

- :class:`BackgroundTasks` (mixin): ``launch`` one task in a daemon thread with ``busy`` set; ``wait`` for it.
- :class:`Watcher`: call a ``tick`` every ``interval`` seconds in a thread until it says done or is stopped.
- :func:`pending_outcome`: the one reading of a pending authorization a tab polls — under way, or over with an
  outcome — with a bounded grace for a callback another process is still finishing.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> from linkkit.models import PendingAuthorization, Provider
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> p = PendingAuthorization(1, Provider.LOGIN_KIT, "1", None, "https://x/cb", now, now + timedelta(minutes=10),
    ...                          used_at=None)
    >>> pending_outcome(p, now=now) is None
    True
    >>> pending_outcome(p, now=now + timedelta(minutes=11)).reason
    'authorization_expired'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkkit.models import PendingAuthorization
    from linkkit.ui.errors import Reporter

__all__ = ["CLAIM_GRACE", "BackgroundTasks", "Outcome", "Watcher", "pending_outcome"]

#: How long a claimed authorization may stay without an outcome (the other tab still exchanging the code)
#: before the tab stops waiting and says TikTok did not answer.
CLAIM_GRACE = timedelta(minutes=2)


class BackgroundTasks:
    """Mixin: ``launch`` a task in a thread (or inline), ``wait`` for it."""

    busy: str
    _task: threading.Thread | None = None

    def launch(self, label: str, target: Callable[[], None], *, background: bool = True) -> None:
        """Set ``busy`` to ``label`` and run ``target`` (which must clear ``busy`` when done)."""
        self.busy = label
        if not background:
            target()
            return
        thread = threading.Thread(target=target, name=f"linkkit-{label}", daemon=True)
        self._task = thread
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the running task finished and ``busy`` is clear (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while True:
            task = self._task
            if task is not None:
                task.join(max(0.0, deadline - time.monotonic()))
            if (task is None or not task.is_alive()) and not self.busy:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{type(self).__name__} still busy: {self.busy!r}")
            time.sleep(0.01)


@dataclass(frozen=True)
class Outcome:
    """How a pending authorization ended, as a polling tab reads it.

    Attributes:
        reason: ``"ok"`` or a reason code.
        link_id: The link an ok Login Kit authorization produced.
    """

    reason: str
    link_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def pending_outcome(pending: PendingAuthorization, *, now: datetime, grace: timedelta = CLAIM_GRACE
                    ) -> Outcome | None:
    """``None`` while the authorization is under way; its :class:`Outcome` once it is over.

    Over means: completed (ok or refused), expired unused, or claimed but silent for longer than ``grace`` after
    its expiry (the process finishing it died or TikTok never answered: ``provider_unavailable``).
    """
    if pending.used_at is not None:
        if pending.outcome is not None:
            return Outcome(pending.outcome, pending.result_link_id)
        if pending.expires_at + grace > now:
            return None
        return Outcome("provider_unavailable")
    if pending.expires_at <= now:
        return Outcome("authorization_expired")
    return None


class Watcher:
    """Calls ``tick()`` every ``interval`` seconds in a daemon thread until it returns True or :meth:`stop`.

    An exception from ``tick`` ends the watch and goes to ``reporter`` (never silent).
    """

    def __init__(self, reporter: Reporter, interval: float = 1.0) -> None:
        self.reporter = reporter
        self.interval = interval
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, name: str, tick: Callable[[], bool]) -> None:
        """Stop any running watch and start watching ``tick``."""
        self.stop()
        stop = self._stop

        def loop() -> None:
            while not stop.is_set():
                try:
                    if tick():
                        return
                except Exception as exc:
                    self.reporter.report(exc, context=name)
                    return
                stop.wait(self.interval)

        thread = threading.Thread(target=loop, name=f"linkkit-watch-{name}", daemon=True)
        self.thread = thread
        thread.start()

    def stop(self) -> None:
        """Stop the running watch (it ends after its current tick)."""
        self._stop.set()
        self._stop = threading.Event()
        self.thread = None
