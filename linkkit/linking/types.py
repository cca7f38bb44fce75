"""The values the linking façade hands out: authorization starts and results, shop overviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkkit import rules
from linkkit.models import Link, Provider, Role, Shop

__all__ = ["AuthorizationResult", "AuthorizationStart", "ShopOverview"]


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the person, and the pending record that waits for them."""

    provider: Provider
    url: str = field(repr=False)  # carries state: never logged
    pending_id: int
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationResult:
    """What a completed callback produced."""

    provider: Provider
    pending_id: int
    shops: tuple[Shop, ...] = ()
    link: Link | None = None


@dataclass(frozen=True)
class ShopOverview:
    """A shop and its active links (authorized here or found in Seller Center), with the rules before consent."""

    shop: Shop
    official: Link | None
    marketing: tuple[Link, ...]
    now: datetime

    @property
    def links(self) -> tuple[Link, ...]:
        return ((self.official,) if self.official else ()) + self.marketing

    def can_add(self, role: Role, *, replace: bool = False) -> list[rules.Violation]:
        """Violations that refuse a new ``role`` link before anyone signs in (empty = allowed)."""
        found = rules.can_add(self.shop, self.links, role, replace=replace)
        if role is Role.OFFICIAL and replace and self.official is not None:
            found += rules.check_unlink(self.official, self.now)
        return found
