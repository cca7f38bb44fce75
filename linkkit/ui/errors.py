"""How the dashboard reports failures: one decorator, one problem record, one log.

Voila swallows exceptions raised in widget callbacks (ipywidgets #2612), so every callback and every
background task goes through :func:`on_error`, which takes an explicit label — ``@on_error("Checking the link")``
— never a docstring (``python -OO`` strips those). A :class:`~linkkit.errors.LinkkitError` becomes a
:class:`Problem` carrying its troubleshooting entry (what it means, likely causes, steps, retryable); any other
exception is a bug and is logged in full. The :class:`Reporter` holds the current problem and the log; the
views in :mod:`linkkit.ui.components` render them. Nothing here is a widget, so the logic is testable alone.

Example:
    >>> from linkkit.errors import AuthorizationDenied
    >>> class Thing:
    ...     def __init__(self):
    ...         self.reporter = Reporter()
    ...     @on_error("Linking the account")
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
from typing import Any, ParamSpec, TypeVar, overload

import traitlets

from linkkit.errors import LinkkitError
from linkkit.redact import redact as _core_redact

__all__ = ["Problem", "Reporter", "guarded", "on_error", "redact", "seller_text"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

def redact(text: str) -> str:
    """Mask every secret in ``text`` (delegates to :mod:`linkkit.redact`, the one owner of redaction)."""
    return _core_redact(text)


def seller_text(text: str) -> str:
    """``text`` made fit for a seller: secrets masked without showing the internal ``[REDACTED]`` marker."""
    return redact(text).replace("[REDACTED]", "…")


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
            seller_text(str(getattr(v, "message", None) or getattr(v, "text", None) or v))
            for v in getattr(exc, "violations", ())
        )
        retryable = bool(getattr(entry, "retryable", False) or getattr(exc, "retryable", False))
        return Problem(
            code=exc.reason,
            title=str(getattr(entry, "title", "") or "Something went wrong"),
            message=seller_text(exc.message),
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
            "If it happens again, tell whoever runs this dashboard the reference "
            f"{error_id or 'shown below'}: the server's log has the details.",
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
        """Record ``exc`` as the current problem; the traceback goes to the server's log, never to the page.

        The activity log (seller-facing) gets one plain line with the reference, so the person running the
        dashboard can find the traceback in the server log.
        """
        with self._lock:
            self._count += 1
            error_id = f"{datetime.now(UTC).strftime('%H%M%S')}-{self._count:03d}"
        if isinstance(exc, LinkkitError):
            self.note(f"{context or 'Action'}: {seller_text(exc.message)} (reason {exc.reason}, ref {error_id})")
            log.info("[%s] %s failed: %s\n%s", error_id, context or "action", exc.reason,
                     redact("".join(traceback.format_exception(exc))))
        else:
            self.note(f"{context or 'Action'} hit an unexpected problem in linkkit (ref {error_id}).")
            log.error("[%s] unexpected error in %s", error_id, context or "action", exc_info=exc)
        self.retry_action = retry
        problem = problem_from(exc, context=context, error_id=error_id)
        self.problem = problem
        return problem

    def clear(self) -> None:
        """Forget the current problem (the log stays)."""
        self.retry_action = None
        self.problem = None


@overload
def on_error(label: str) -> Callable[[Callable[P, R]], Callable[P, R | None]]: ...


@overload
def on_error(label: Callable[P, R]) -> Callable[P, R | None]: ...


def on_error(label: str | Callable[P, R]) -> Any:
    """Decorate a callback or task so no exception escapes silently: ``@on_error("Checking the link")``.

    ``label`` says what the dashboard was doing; the seller reads it. The first argument of the decorated
    function must have a ``reporter`` attribute (a :class:`Reporter`). A ``LinkkitError`` shows its
    troubleshooting entry; anything else is logged in full and shown as an internal error. The decorated
    function returns ``None`` when it failed. (Bare ``@on_error`` still works for older views and uses the
    function's name, never its docstring.)
    """
    if callable(label):
        func = label
        return _guard(func, func.__name__.removeprefix("on_").replace("_", " ").capitalize())

    def decorate(func: Callable[P, R]) -> Callable[P, R | None]:
        return _guard(func, label)

    return decorate


def _guard(func: Callable[P, R], context: str) -> Callable[P, R | None]:
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
