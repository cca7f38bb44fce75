"""Keep secrets out of logs.

:func:`install` wraps the logging record factory so every record — linkkit's, requests-oauthlib's, urllib3's,
tornado's access log — is redacted when it is created: OAuth parameters in URLs and bodies, bearer headers,
TikTok token shapes (``act.``, ``rft.``, ``TTP_``) and every exact secret passed to :func:`register`.

Example:
    >>> redact("GET /api/v2/token/get?app_key=k&app_secret=s3cret&auth_code=abc")
    'GET /api/v2/token/get?app_key=k&app_secret=[REDACTED]&auth_code=[REDACTED]'
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

__all__ = ["install", "redact", "register"]

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

_known: set[str] = set()
_lock = threading.Lock()
_installed = False


def register(*secrets: str | None) -> None:
    """Redact these exact strings wherever they appear (tokens, app secrets). Short values are ignored."""
    with _lock:
        _known.update(s for s in secrets if s and len(s) >= 8)


def redact(text: str) -> str:
    """``text`` with every known secret and secret-looking value replaced by ``[REDACTED]``."""
    text = _PATTERNS[0].sub(r"\1=[REDACTED]", text)
    for pattern in _PATTERNS[1:]:
        text = pattern.sub(r"\1[REDACTED]", text)
    text = _TOKEN_SHAPES.sub("[REDACTED]", text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(factory)
