"""Slow work off the kernel's main thread, shared by the wizard and the accounts panel.

A controller that mixes in :class:`BackgroundTasks` has a ``busy`` trait (the label the view shows while work
runs) and a ``reporter``; :meth:`BackgroundTasks.launch` runs one task in a daemon thread and clears ``busy``
when it ends, and :meth:`BackgroundTasks.wait` lets tests and benchmarks block until it has.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["BackgroundTasks"]


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
