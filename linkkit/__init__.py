"""linkkit: link a TikTok Shop to its TikTok accounts, prove the links work, fix them, chart what they sell.

Example:
    >>> import linkkit
    >>> linkkit.Role.OFFICIAL.label
    'Official'
"""

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
from linkkit.linking import AuthorizationResult, AuthorizationStart, LinkService, ShopOverview
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

__version__ = "0.1.0"

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
