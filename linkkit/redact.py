"""Keep secrets out of logs and tracebacks.

Redaction is pattern-based — OAuth parameters in URLs and bodies, bearer headers, TikTok token shapes
(``act.``, ``rft.``, ``TTP_``) — plus a bounded set of recently seen exact secrets (:func:`register`; the oldest
are forgotten first, so a kernel that lives for days does not grow without bound).

Nothing here runs at import time. Entry points (the CLI, the dashboard's app builders) call :func:`install`,
which redacts every log record — message, arguments, ``exc_info`` and ``stack_info`` — as it is created, for
every logger and handler in the process (linkkit's, requests-oauthlib's, urllib3's, tornado's).
:class:`RedactingFilter` does the same for one handler when an application prefers to attach it itself.

Example:
    >>> redact("GET /api/v2/token/get?app_key=k&app_secret=s3cret&auth_code=abc")
    'GET /api/v2/token/get?app_key=k&app_secret=[REDACTED]&auth_code=[REDACTED]'
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections import OrderedDict
from typing import Any

__all__ = ["MAX_RECENT_SECRETS", "RedactingFilter", "install", "redact", "redact_record", "register", "uninstall"]

#: How many exact secrets are remembered (least recently registered are forgotten first).
MAX_RECENT_SECRETS = 512

_SECRET_PARAMS = (
    "access_token|refresh_token|app_secret|client_secret|code|auth_code|code_verifier|code_challenge|state|"
    "sign|token|password|id_token"
)
_PATTERNS = (
    # key=value in query strings and form bodies
    re.compile(rf"(?i)(?<![A-Za-z_])((?:{_SECRET_PARAMS}))=([^&\s\"']+)"),
    # "key": "value" in JSON
    re.compile(rf"(?i)([\"'](?:{_SECRET_PARAMS}|x-tts-access-token)[\"']\s*:\s*[\"'])([^\"']+)"),
    # Authorization: Bearer xxx / x-tts-access-token: xxx
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]+)"),
    re.compile(r"(?i)(x-tts-access-token['\"]?\s*[:=]\s*['\"]?)([A-Za-z0-9._~+/=-]+)"),
)
_TOKEN_SHAPES = re.compile(r"\b(?:act|rft|cod)\.[A-Za-z0-9._~-]{8,}|\bTTP_[A-Za-z0-9_-]{8,}")

_recent: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()
_previous_factory: Any = None


def register(*secrets: str | None) -> None:
    """Redact these exact strings wherever they appear (tokens, app secrets). Short values are ignored."""
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= 8:
                _recent[secret] = None
                _recent.move_to_end(secret)
        while len(_recent) > MAX_RECENT_SECRETS:
            _recent.popitem(last=False)


def redact(text: str) -> str:
    """``text`` with every known secret and secret-looking value replaced by ``[REDACTED]``."""
    text = _PATTERNS[0].sub(r"\1=[REDACTED]", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(r"\1[REDACTED]", text)
    text = _TOKEN_SHAPES.sub("[REDACTED]", text)
    with _lock:
        known = sorted(_recent, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: message and arguments, the formatted exception and the stack."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error handling
        return record
    cleaned = redact(message)
    if cleaned != message or record.args:
        record.msg, record.args = cleaned, ()
    if record.exc_info:
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(formatted)
        record.exc_info = None  # formatters print exc_text; the live exception (and its locals) is dropped
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record (see :func:`redact_record`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Redact every log record in this process from now on (idempotent). For entry points only."""
    global _previous_factory
    with _lock:
        if _previous_factory is not None:
            return
        previous = logging.getLogRecordFactory()
        _previous_factory = previous

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    """Undo :func:`install` (tests)."""
    global _previous_factory
    with _lock:
        previous, _previous_factory = _previous_factory, None
    if previous is not None:
        logging.setLogRecordFactory(previous)
