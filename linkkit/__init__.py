"""linkkit: link a TikTok Shop to its TikTok accounts, prove the links work, fix them, chart what they sell.

Example:
    >>> import linkkit
    >>> linkkit.Role.OFFICIAL.label
    'Official'
"""

from typing import TYPE_CHECKING, Any

from linkkit.config import Settings
from linkkit.errors import (
    AuthorizationDenied,
    AuthorizationError,
    ConfigError,
    DataFormatError,
    LinkError,
    LinkkitError,
    ProviderError,
    RegistryError,
    RuleViolation,
    StateMismatch,
    TokenExchangeError,
)
from linkkit.models import (
    CheckName,
    Link,
    LinkCheck,
    LinkEvent,
    LinkStatus,
    PendingAuthorization,
    Provider,
    Role,
    Shop,
    TikTokAccount,
)

if TYPE_CHECKING:
    from linkkit.linking import AuthorizationResult, AuthorizationStart, LinkService, ShopOverview

__version__ = "0.1.0"

#: Names served from :mod:`linkkit.linking` on first use: importing it loads the registry (SQLAlchemy) and the
#: HTTP clients, which ``import linkkit`` (and so every dashboard kernel's first line) should not pay for.
_LAZY = {"AuthorizationResult", "AuthorizationStart", "LinkService", "ShopOverview"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from linkkit import linking

        value = getattr(linking, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'linkkit' has no attribute {name!r}")

__all__ = [
    "AuthorizationDenied",
    "AuthorizationError",
    "AuthorizationResult",
    "AuthorizationStart",
    "CheckName",
    "ConfigError",
    "DataFormatError",
    "Link",
    "LinkCheck",
    "LinkError",
    "LinkEvent",
    "LinkService",
    "LinkStatus",
    "LinkkitError",
    "PendingAuthorization",
    "Provider",
    "ProviderError",
    "RegistryError",
    "Role",
    "RuleViolation",
    "Settings",
    "Shop",
    "ShopOverview",
    "StateMismatch",
    "TikTokAccount",
    "TokenExchangeError",
]
