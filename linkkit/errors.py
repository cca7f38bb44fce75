"""Errors raised by linkkit.

Every failure carries a stable ``reason`` code: a ``lower_snake`` string that never changes once shipped and
that :mod:`linkkit.troubleshoot` explains to a person (what it means, likely causes, steps, retryable).

The tree::

    LinkkitError
    ├── ConfigError                  settings are missing or invalid
    ├── AuthorizationError           the OAuth round trip failed before we hold a token
    │   ├── AuthorizationDenied      the person pressed Cancel / TikTok answered error=access_denied
    │   ├── StateMismatch            unknown, expired or already-used ``state`` (stale tab, replay)
    │   └── TokenExchangeError       the code could not be exchanged (expired, reused, PKCE, redirect URI)
    ├── ProviderError                TikTok answered with an error (carries TikTok's code and log id)
    ├── RuleViolation                a Seller Center linking rule forbids this link (carries every violation)
    ├── LinkError                    a link operation cannot proceed (not found, wrong account, not visible yet)
    ├── AccessDenied                 the shop or link belongs to another owner (``not_your_shop``)
    ├── InvalidInput                 an argument of the public API is not of the accepted kind (``invalid_input``)
    ├── DataFormatError              an export or data file is not what we expected (file, row, column)
    └── RegistryError                the registry database failed or holds inconsistent data

Example:
    >>> from linkkit.errors import RuleViolation
    >>> err = RuleViolation("This shop already has an Official account.", reason="official_limit_reached")
    >>> err.reason
    'official_limit_reached'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "COULD_NOT_CHECK_REASONS",
    "REASON_CODES",
    "AccessDenied",
    "AuthorizationDenied",
    "AuthorizationError",
    "ConfigError",
    "DataFormatError",
    "InvalidInput",
    "LinkError",
    "LinkkitError",
    "ProviderError",
    "RegistryError",
    "RuleViolation",
    "StateMismatch",
    "TokenExchangeError",
]

#: Every reason code linkkit can raise. ``troubleshoot.CATALOGUE`` has exactly one entry per code and a test
#: keeps the two in step. Never rename a code once shipped; add a new one instead.
REASON_CODES: frozenset[str] = frozenset(
    {
        # authorization round trip
        "consent_denied",
        "state_mismatch",
        "authorization_expired",
        "authorization_abandoned",
        "authorization_reused",
        "code_invalid",
        "pkce_mismatch",
        "redirect_uri_mismatch",
        "scopes_missing",
        "wrong_account",
        "app_credentials_invalid",
        # Seller Center rules
        "account_ineligible",
        "region_mismatch",
        "already_linked_elsewhere",
        "already_linked",
        "official_limit_reached",
        "marketing_limit_reached",
        "both_roles",
        "unlink_too_early",
        "relink_limit_reached",
        # tokens
        "token_expired",
        "token_revoked",
        "refresh_token_invalid",
        # TikTok answered badly
        "rate_limited",
        "provider_unavailable",
        "provider_bad_response",
        "signature_invalid",
        "clock_skew",
        "shop_scope_missing",
        "provider_error",
        # linking state
        "binding_not_visible",
        "shop_not_connected",
        "link_not_found",
        "not_your_shop",
        # local problems
        "invalid_input",
        "config_invalid",
        "data_format_invalid",
        "registry_error",
    }
)


#: Reasons that mean linkkit could not check at all (TikTok unreachable, timing out, 5xx, or limiting us): a
#: verification that ends in one of them says nothing about the link, so the link keeps its previous status.
COULD_NOT_CHECK_REASONS: frozenset[str] = frozenset({"provider_unavailable", "rate_limited"})

class LinkkitError(Exception):
    """Base class of every error linkkit raises on purpose.

    Args:
        message: What went wrong, in words a seller can read. Never contains a secret.
        reason: The stable reason code (one of :data:`REASON_CODES`).
    """

    default_reason = "provider_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        if self.reason not in REASON_CODES:  # a typo here would show the seller no guidance
            raise ValueError(f"unknown reason code {self.reason!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class ConfigError(LinkkitError):
    """Settings are missing or invalid (app keys, database URL, secret key)."""

    default_reason = "config_invalid"


class AuthorizationError(LinkkitError):
    """The OAuth round trip failed before linkkit held a token."""

    default_reason = "state_mismatch"


class AuthorizationDenied(AuthorizationError):
    """The person declined on TikTok's consent page (``error=access_denied`` / ``auth_denied``)."""

    default_reason = "consent_denied"


class StateMismatch(AuthorizationError):
    """The callback's ``state`` is unknown, expired or already used."""

    default_reason = "state_mismatch"


class TokenExchangeError(AuthorizationError):
    """TikTok refused to exchange the authorization code."""

    default_reason = "code_invalid"


class ProviderError(LinkkitError):
    """TikTok answered with an error.

    Attributes:
        provider_code: TikTok's own code (``"invalid_grant"``, ``"access_token_invalid"``, ``105002`` …).
        log_id: TikTok's ``log_id`` / ``request_id``, for a support ticket.
        status: The HTTP status, when there was a response.
        retryable: Whether trying again later can succeed.
    """

    default_reason = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        provider_code: str | int | None = None,
        log_id: str | None = None,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, reason=reason)
        self.provider_code = provider_code
        self.log_id = log_id
        self.status = status
        self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"ProviderError(reason={self.reason!r}, provider_code={self.provider_code!r}, "
            f"log_id={self.log_id!r}, status={self.status!r})"
        )


class RuleViolation(LinkkitError):
    """A Seller Center linking rule forbids the link.

    Attributes:
        violations: Every violated rule, most important first (``rules.Violation`` records).
    """

    default_reason = "account_ineligible"

    def __init__(self, message: str, *, reason: str | None = None, violations: Sequence[Any] = ()) -> None:
        super().__init__(message, reason=reason)
        self.violations = tuple(violations)


class LinkError(LinkkitError):
    """A link operation cannot proceed (no such link, wrong account signed in, binding not visible)."""

    default_reason = "link_not_found"


class AccessDenied(LinkkitError):
    """The acting principal is neither an owner nor a member of the shop it named (directly or by a link)."""

    default_reason = "not_your_shop"


class InvalidInput(LinkkitError):
    """An argument of the public API is out of range or of the wrong kind (nothing was stored)."""

    default_reason = "invalid_input"


class DataFormatError(LinkkitError):
    """A data file is not what linkkit expected.

    Args:
        message: What is wrong and what was expected.
        file: The file's name, when known.
        row: The 1-based row in the file (header = row 1), when known.
        column: The column's header, when known.
        expected: What a valid value looks like.
    """

    default_reason = "data_format_invalid"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        full = f"{message} ({where})" if where else message
        if expected:
            full = f"{full}. Expected {expected}."
        super().__init__(full, reason=reason)
        self.file = file
        self.row = row
        self.column = column
        self.expected = expected


class RegistryError(LinkkitError):
    """The registry database failed or holds inconsistent data."""

    default_reason = "registry_error"
