"""The ``SellerCenter`` port: what linkkit needs from Seller Center, whoever provides it.

TikTok offers no public API that binds an account to a shop: the seller invites the account in Seller Center
(My account › Linked TikTok accounts) and the account accepts in the TikTok app. So the port is small:

- ``automated`` — can step 4 be done from linkkit (the sandbox's emulated page), or is it click-by-click;
- ``eligibility`` — Seller Center's own verdict on an account (region, type, links elsewhere), when known;
- ``find_binding`` — *evidence* that a binding exists: the shop's own data (LIVEs and videos of that
  username under ``OFFICIAL_ACCOUNTS`` / ``MARKETING_ACCOUNTS``) or, in the sandbox, the emulated page;
- ``existing_links`` — the bindings Seller Center already holds, for reconciliation;
- ``unlink`` — remove a binding there when linkkit unlinks (only where that can be automated).

A seller saying "it is linked" is never evidence; :mod:`linkkit.linking` records it as a claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from linkkit.models import Role, Shop

__all__ = [
    "BINDING_LOOKBACK",
    "BindingEvidence",
    "Eligibility",
    "SellerCenter",
    "SellerCenterLink",
    "ShopDataReader",
    "evidence_from_shop_data",
    "links_from_shop_data",
]

#: How far back the shop's analytics are searched for an account's content.
BINDING_LOOKBACK = timedelta(days=30)

#: Shop API ``account_type`` filter of the LIVE list, per role.
LIVE_ACCOUNT_TYPES = {Role.OFFICIAL: "OFFICIAL_ACCOUNTS", Role.MARKETING: "MARKETING_ACCOUNTS"}


@dataclass(frozen=True)
class SellerCenterLink:
    """A binding Seller Center holds (or held): who, in which role, since and until when (when known)."""

    username: str
    role: Role
    linked_at: datetime | None
    unlinked_at: datetime | None = None
    display_name: str = ""
    source: str = "seller_center"  # "seller_center" (the page itself) | "shop_analytics" (content seen)


@dataclass(frozen=True)
class Eligibility:
    """Seller Center's verdict on an account for a role: what it knows that Login Kit does not."""

    region: str | None
    account_type: str | None
    rules: tuple[str, ...] = ()  # Seller Center's rule names that refuse the account (empty = eligible)


@dataclass(frozen=True)
class BindingEvidence:
    """Evidence that Seller Center holds a binding."""

    source: str  # "shop_analytics" | "seller_center"
    detail: str


class ShopDataReader(Protocol):
    """The part of :class:`linkkit.tiktok.shop.ShopClient` the adapters read."""

    def shop_lives(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                   account_type: str = ..., page_size: int = ...) -> Iterable[list[dict[str, Any]]]: ...

    def shop_videos(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                    account_type: str = ..., page_size: int = ...) -> Iterable[list[dict[str, Any]]]: ...


class SellerCenter(Protocol):
    """The Seller Center port (see the module docstring)."""

    @property
    def automated(self) -> bool:
        """Whether linkkit can send and accept the invitation itself (the sandbox's emulation)."""
        ...

    def url(self, shop_id: str) -> str:
        """Where the seller does step 4."""
        ...

    def eligibility(self, shop: Shop, username: str, role: Role) -> Eligibility | None:
        """Seller Center's verdict on ``username`` for ``role``, or ``None`` when it cannot be asked."""
        ...

    def find_binding(self, shop: Shop, username: str, role: Role, now: datetime) -> BindingEvidence | None:
        """Evidence that ``username`` is bound as ``role``; ``None`` when none is seen.

        Raises:
            LinkkitError: The shop's data could not be read (the check could not be made).
        """
        ...

    def existing_links(self, shop: Shop, now: datetime) -> list[SellerCenterLink]:
        """The bindings Seller Center holds (and, where it shows them, held) for ``shop``."""
        ...

    def unlink(self, shop: Shop, username: str) -> bool:
        """Remove ``username``'s binding in Seller Center if it can be done from here; ``True`` if done."""
        ...


def _usernames(pages: Iterable[list[dict[str, Any]]]) -> dict[str, datetime | None]:
    """``{username: earliest start time seen}`` over a paged list."""
    seen: dict[str, datetime | None] = {}
    for page in pages:
        for row in page:
            name = str(row.get("username", "")).lstrip("@").lower()
            if not name:
                continue
            raw = row.get("start_time") or row.get("create_time")
            try:
                at: datetime | None = datetime.fromtimestamp(int(raw), UTC) if raw is not None else None
            except (TypeError, ValueError):
                at = None
            before = seen.get(name)
            seen[name] = at if before is None or (at is not None and at < before) else before
    return seen


def evidence_from_shop_data(client: ShopDataReader, shop: Shop, username: str, role: Role,
                            now: datetime) -> BindingEvidence | None:
    """Evidence from the shop's own analytics: the account's LIVEs under its role, or its linked-account videos.

    TikTok files a linked account's LIVEs under ``OFFICIAL_ACCOUNTS`` / ``MARKETING_ACCOUNTS`` and its
    videos under ``LINKED_ACCOUNTS`` in the shop's performance lists; an account that is not bound never
    appears there.
    """
    since, until = (now - BINDING_LOOKBACK).date(), now.date() + timedelta(days=1)
    name = username.lstrip("@").lower()
    lives = client.shop_lives(shop.cipher, start_date_ge=since, end_date_lt=until,
                              account_type=LIVE_ACCOUNT_TYPES[role])
    if name in _usernames(lives):
        return BindingEvidence("shop_analytics",
                               f"The shop's analytics list @{username}'s content under {role.label} accounts.")
    videos = client.shop_videos(shop.cipher, start_date_ge=since, end_date_lt=until, account_type="LINKED_ACCOUNTS")
    if name in _usernames(videos):
        return BindingEvidence("shop_analytics",
                               f"The shop's analytics list @{username}'s content under {role.label} accounts.")
    return None


def links_from_shop_data(client: ShopDataReader, shop: Shop, now: datetime) -> list[SellerCenterLink]:
    """Accounts the shop's LIVE list files under Official or Marketing accounts (first LIVE seen = since)."""
    since, until = (now - BINDING_LOOKBACK).date(), now.date() + timedelta(days=1)
    found: list[SellerCenterLink] = []
    for role, account_type in LIVE_ACCOUNT_TYPES.items():
        seen = _usernames(client.shop_lives(shop.cipher, start_date_ge=since, end_date_lt=until,
                                            account_type=account_type))
        found += [SellerCenterLink(name, role, at, source="shop_analytics") for name, at in sorted(seen.items())]
    return found


ShopClientFor = Callable[[Shop], ShopDataReader]
