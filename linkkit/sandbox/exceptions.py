"""Errors raised by the sandbox model, one class per TikTok error vocabulary.

``models.py`` raises these; ``responses.py`` turns each into the exact body and HTTP status that the
matching TikTok API family answers with (like moto's ``exceptions.py``)::

    SandboxError
     ├── PageError         authorize pages: TikTok shows an HTML error page naming the parameter
     ├── ConsentError      the consent form itself refused the submission (wrong password …)
     ├── OAuthError        Login Kit /v2/oauth/*: {"error", "error_description", "log_id"}
     ├── ApiError          Login Kit /v2/user/*: {"data": {}, "error": {"code", "message", "log_id"}}
     └── ShopError         TikTok Shop and emulated Seller Center: {"code", "message", "data", "request_id"}
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Base class of every error the sandbox model raises."""


class PageError(SandboxError):
    """An authorize request TikTok refuses with an error page (no redirect)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class ConsentError(SandboxError):
    """The consent form was submitted but refused (the page is shown again with the error)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message


class OAuthError(SandboxError):
    """Login Kit OAuth endpoint error: ``{"error", "error_description", "log_id"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class ApiError(SandboxError):
    """Login Kit v2 API error, e.g. ``access_token_invalid`` (401)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class ShopError(SandboxError):
    """TikTok Shop (and emulated Seller Center) error: a non-zero ``code`` in the envelope."""

    def __init__(self, code: int, message: str, status: int = 200, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.data = data
