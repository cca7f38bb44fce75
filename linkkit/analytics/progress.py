"""Progress reporting for slow analytics work (large exports, many API pages).

Loaders take ``progress``: ``None`` (silent), a callable ``(done, total, message)`` or ``True`` for a
progress bar that shows in Jupyter and Voila (an ``ipywidgets.FloatProgress`` displayed on first use) and
falls back to log lines outside a kernel.

Example:
    >>> from linkkit.analytics.progress import resolve_progress
    >>> seen = []
    >>> report = resolve_progress(lambda done, total, message: seen.append((done, total)))
    >>> report(1, 4, "reading")
    >>> seen
    [(1, 4)]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeAlias

__all__ = ["ProgressCallback", "WidgetProgress", "resolve_progress"]

log = logging.getLogger(__name__)

#: ``(done, total, message)``; ``total`` is ``None`` while unknown (e.g. API pages before the last one).
ProgressCallback: TypeAlias = Callable[[int, int | None, str], None]


def _silent(done: int, total: int | None, message: str) -> None:
    return None


class WidgetProgress:
    """A progress bar for notebooks and Voila; logs instead when no kernel is running.

    Args:
        description: The label shown left of the bar.
    """

    def __init__(self, description: str = "Loading") -> None:
        self._description = description
        self._bar: Any = None
        self._label: Any = None

    def _ensure_bar(self) -> bool:
        if self._bar is not None:
            return True
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython ships with the notebook stack
            return False
        if get_ipython() is None:
            return False
        import ipywidgets as widgets

        self._bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=self._description)
        self._label = widgets.Label()
        display(widgets.HBox([self._bar, self._label]))
        return True

    def __call__(self, done: int, total: int | None, message: str) -> None:
        if not self._ensure_bar():
            log.info("%s: %s (%s/%s)", self._description, message, done, total if total else "?")
            return
        if total:
            self._bar.value = min(1.0, done / total)
        self._label.value = message


def resolve_progress(progress: ProgressCallback | bool | None, description: str = "Loading") -> ProgressCallback:
    """Turn a loader's ``progress`` argument into a callable."""
    if progress is True:
        return WidgetProgress(description)
    if progress is None or progress is False:
        return _silent
    return progress
