"""How the dashboard reports failures: one decorator, one problem record, one log.

Voila swallows exceptions raised in widget callbacks (ipywidgets #2612), so every callback and every
background task goes through :func:`on_error`. A :class:`~linkkit.errors.LinkkitError` becomes a
:class:`Problem` carrying its troubleshooting entry (what it means, likely causes, steps, retryable); any other
exception is a bug and is logged in full. The :class:`Reporter` holds the current problem and the log; the
views in :mod:`linkkit.ui.components` render them. Nothing here is a widget, so the logic is testable alone.

Example:
    >>> from linkkit.errors import AuthorizationDenied
    >>> class Thing:
    ...     def __init__(self):
    ...         self.reporter = Reporter()
    ...     @on_error
    ...     def act(self):
    ...         raise AuthorizationDenied("You pressed Cancel on TikTok.")
    >>> thing = Thing()
    >>> thing.act()
    >>> thing.reporter.problem.code
    'consent_denied'
"""

from __future__ import annotations

import functools
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import traitlets

from linkkit.errors import LinkkitError
from linkkit.redact import redact as _core_redact

__all__ = ["Problem", "Reporter", "guarded", "on_error", "redact"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

def redact(text: str) -> str:
    """Mask every secret in ``text`` (delegates to :mod:`linkkit.redact`, the one owner of redaction)."""
    return _core_redact(text)


@dataclass(frozen=True)
class Problem:
    """A failure as the seller sees it.

    Attributes:
        code: The reason code (``"consent_denied"``), or ``"internal_error"`` for a bug.
        title: One line.
        message: What happened this time, in plain words (the error's own message).
        meaning: What the code means in general.
        causes: Likely causes.
        steps: What to do, in order.
        retryable: Whether trying again can succeed.
        context: What the dashboard was doing ("Checking the link").
        error_id: A short id that also appears in the log, to find the traceback.
    """

    code: str
    title: str
    message: str
    meaning: str = ""
    causes: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    retryable: bool = False
    context: str = ""
    error_id: str = ""
    violations: tuple[str, ...] = field(default=())


def _entry_for(exc: LinkkitError) -> Any:
    try:
        from linkkit import troubleshoot
    except ImportError:  # pragma: no cover - the catalogue is part of the package
        return None
    try:
        explain = getattr(troubleshoot, "explain", None)
        if explain is not None:
            return explain(exc)
        return troubleshoot.entry(exc.reason)
    except Exception:  # a missing entry must not hide the original failure
        log.exception("no troubleshooting entry for %s", exc.reason)
        return None


def _texts(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def problem_from(exc: BaseException, *, context: str = "", error_id: str = "") -> Problem:
    """Turn an exception into the :class:`Problem` the seller reads."""
    if isinstance(exc, LinkkitError):
        entry = _entry_for(exc)
        violations = tuple(
            redact(str(getattr(v, "message", None) or getattr(v, "text", None) or v))
            for v in getattr(exc, "violations", ())
        )
        retryable = bool(getattr(entry, "retryable", False) or getattr(exc, "retryable", False))
        return Problem(
            code=exc.reason,
            title=str(getattr(entry, "title", "") or "Something went wrong"),
            message=redact(exc.message),
            meaning=str(getattr(entry, "meaning", "") or ""),
            causes=_texts(getattr(entry, "causes", ())),
            steps=_texts(getattr(entry, "steps", ())),
            retryable=retryable,
            context=context,
            error_id=error_id,
            violations=violations,
        )
    return Problem(
        code="internal_error",
        title="linkkit hit an unexpected problem",
        message="This is a fault in linkkit, not something you did. Nothing was changed by the failed step.",
        meaning="An unexpected error happened inside the dashboard.",
        steps=(
            "Try the step again.",
            "If it happens again, open the activity log below and send the entry marked "
            f"{error_id or 'with this error'} to whoever runs this dashboard.",
        ),
        retryable=True,
        context=context,
        error_id=error_id,
    )


class Reporter(traitlets.HasTraits):
    """The current problem and the activity log of one view.

    ``problem`` is ``None`` when all is well. ``lines`` is the log, newest last, already redacted.
    """

    problem = traitlets.Any(None, allow_none=True)
    lines = traitlets.List(traitlets.Unicode())
    max_lines = 400

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._count = 0
        self.retry_action: Callable[[], None] | None = None

    def note(self, message: str) -> None:
        """Append one line to the activity log."""
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        with self._lock:
            self.lines = [*self.lines, f"{stamp}  {redact(message)}"][-self.max_lines :]

    def report(self, exc: BaseException, *, context: str = "", retry: Callable[[], None] | None = None) -> Problem:
        """Record ``exc`` as the current problem and log its traceback (never a secret)."""
        with self._lock:
            self._count += 1
            error_id = f"E{self._count:03d}"
        trace = redact("".join(traceback.format_exception(exc)))
        if isinstance(exc, LinkkitError):
            self.note(f"[{error_id}] {context or 'action'} failed: {exc.reason}: {exc.message}")
            for line in trace.rstrip().splitlines():
                self.note(f"[{error_id}]   {line}")
            log.info("%s failed: %s", context or "action", exc.reason)
        else:
            self.note(f"[{error_id}] BUG in {context or 'action'}: {type(exc).__name__}: {exc}")
            for line in trace.rstrip().splitlines():
                self.note(f"[{error_id}]   {line}")
            log.error("unexpected error in %s", context or "action", exc_info=exc)
        self.retry_action = retry
        problem = problem_from(exc, context=context, error_id=error_id)
        self.problem = problem
        return problem

    def clear(self) -> None:
        """Forget the current problem (the log stays)."""
        self.retry_action = None
        self.problem = None


def on_error(func: Callable[P, R]) -> Callable[P, R | None]:
    """Decorate a callback or task so no exception escapes silently.

    The first argument must have a ``reporter`` attribute (a :class:`Reporter`). A ``LinkkitError`` shows its
    troubleshooting entry; anything else is logged in full and shown as an internal error. The decorated
    function returns ``None`` when it failed.
    """

    doc = (func.__doc__ or "").strip()
    context = doc.splitlines()[0].rstrip(".") if doc else func.__name__

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        owner = args[0] if args else None
        return guarded(getattr(owner, "reporter", None), func, context, *args, **kwargs)

    return wrapper


def guarded(
    reporter: Reporter | None, func: Callable[..., R], context: str, *args: Any, **kwargs: Any
) -> R | None:
    """Call ``func``; report any exception to ``reporter`` (or the log) instead of raising it.

    This is what :func:`on_error` does; background tasks call it directly.
    """
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        if reporter is None:  # still never silent
            log.exception("unhandled error in %s", context)
            return None
        reporter.report(exc, context=context)
        return None
