"""Validation at the public API's boundary: every argument a caller passes to ``LinkService`` is checked here
first, and a bad one is refused with :class:`~linkkit.errors.InvalidInput` (``invalid_input``) before anything
is read or stored — never ``OverflowError``, ``ValueError`` or ``TypeError`` from deeper down.

Example:
    >>> link_id(7)
    7
    >>> role("marketing")
    <Role.MARKETING: 'marketing'>
    >>> link_id(2**63)
    Traceback (most recent call last):
    ...
    linkkit.errors.InvalidInput: A link id must be a whole number from 1 to 9223372036854775807.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linkkit.errors import InvalidInput
from linkkit.models import Role

__all__ = ["MAX_ID", "MAX_TEXT", "date", "flag", "limit", "link_id", "optional_text", "principal", "role",
           "shop_id", "text"]

#: Ids are 64-bit signed integers in both registries.
MAX_ID = 2**63 - 1
#: The longest string argument accepted (a callback URL with its query is far shorter).
MAX_TEXT = 8192


def link_id(value: Any, what: str = "A link id") -> int:
    """A positive int below 2^63 (not a bool, not a float, not a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{what} must be a whole number from 1 to {MAX_ID}.", reason="invalid_input")
    return int(value)


def limit(value: Any) -> int:
    return link_id(value, "A limit")


def text(value: Any, what: str, *, max_length: int = MAX_TEXT) -> str:
    """A non-empty str without NUL characters (PostgreSQL refuses them) of at most ``max_length``."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value) > max_length:
        raise InvalidInput(f"{what} must be non-empty text of at most {max_length} characters.",
                           reason="invalid_input")
    return value


def optional_text(value: Any, what: str) -> str | None:
    return None if value is None else text(value, what) if value != "" else ""


def shop_id(value: Any) -> str:
    return text(value, "A shop id", max_length=256)


def principal(value: Any) -> str:
    return text(value, "A user name", max_length=256).strip()


def role(value: Any) -> Role:
    """A :class:`Role` or its string value (``"official"``, ``"marketing"``)."""
    if isinstance(value, Role):
        return value
    if isinstance(value, str):
        for member in Role:
            if value == member.value:
                return member
    raise InvalidInput("A role must be 'official' or 'marketing'.", reason="invalid_input")


def flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be True or False.", reason="invalid_input")
    return value


def date(value: Any, what: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise InvalidInput(f"{what} must be a date.", reason="invalid_input")
    return value
