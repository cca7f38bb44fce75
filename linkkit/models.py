"""The records linkkit works with: frozen dataclasses and the enums they use.

Records are nouns; they hold no secrets (tokens live encrypted in the registry and are only ever handed to
:mod:`linkkit.tiktok` clients). Times are timezone-aware UTC ``datetime`` values.

Example:
    >>> from linkkit.models import Role
    >>> Role("official").label
    'Official'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "EVENT_CHECK_UNAVAILABLE",
    "EVIDENCE_CLAIMED",
    "EVIDENCE_IMPORTED",
    "CheckName",
    "Link",
    "LinkCheck",
    "LinkEvent",
    "LinkStatus",
    "PendingAuthorization",
    "Provider",
    "Role",
    "Shop",
    "TikTokAccount",
    "derive_status",
]

#: ``Link.binding_evidence`` of a link the seller says is bound (a claim, not evidence).
EVIDENCE_CLAIMED = "seller_confirmed"
#: ``Link.binding_evidence`` of a link imported from Seller Center and not authorized in linkkit.
EVIDENCE_IMPORTED = "seller_center_import"
#: Event kind of a verification that could not check (TikTok unreachable); its detail starts with the reason code.
EVENT_CHECK_UNAVAILABLE = "check_unavailable"


class Role(enum.StrEnum):
    """How a TikTok account is linked to a shop in Seller Center."""

    OFFICIAL = "official"
    MARKETING = "marketing"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LinkStatus(enum.StrEnum):
    """A link's status, always derived from its latest checks (design §3.2), never set by hand."""

    PENDING = "pending"
    AWAITING_SELLER_CENTER = "awaiting_seller_center"
    AWAITING_EVIDENCE = "awaiting_evidence"  # the seller says it is linked; no evidence seen yet
    FOUND_IN_SELLER_CENTER = "found_in_seller_center"  # bound in Seller Center, not authorized in linkkit
    CONNECTED = "connected"
    NEEDS_ATTENTION = "needs_attention"
    UNLINKED = "unlinked"

    @property
    def label(self) -> str:
        return {
            "pending": "Pending",
            "awaiting_seller_center": "Awaiting Seller Center",
            "awaiting_evidence": "Awaiting evidence",
            "found_in_seller_center": "Found in Seller Center",
            "connected": "Connected",
            "needs_attention": "Needs attention",
            "unlinked": "Unlinked",
        }[self.value]


class Provider(enum.StrEnum):
    """Which authorization a pending record belongs to."""

    SHOP = "shop"  # TikTok Shop seller authorization (Partner Center app on the seller's shops)
    LOGIN_KIT = "login_kit"  # TikTok Login Kit (the TikTok account to be linked)


class CheckName(enum.StrEnum):
    """The checks :meth:`linkkit.linking.LinkService.verify` runs, in the order shown to the seller."""

    TOKEN_WORKS = "token_works"
    IDENTITY_MATCHES = "identity_matches"
    SCOPES_GRANTED = "scopes_granted"
    RULES_HOLD = "rules_hold"
    SELLER_CENTER_BINDING = "seller_center_binding"

    @property
    def label(self) -> str:
        return {
            "token_works": "TikTok access works",
            "identity_matches": "The same TikTok account is signed in",
            "scopes_granted": "All required permissions granted",
            "rules_hold": "Seller Center rules are met (region, limits, roles)",
            "seller_center_binding": "Seller Center shows the account as linked",
        }[self.value]


@dataclass(frozen=True)
class Shop:
    """A TikTok Shop the seller authorized linkkit on."""

    id: str
    name: str
    region: str
    seller_type: str  # "LOCAL" | "CROSS_BORDER", as TikTok spells it
    cipher: str
    code: str = ""
    seller_name: str = ""
    seller_open_id: str = ""


@dataclass(frozen=True)
class TikTokAccount:
    """A TikTok account as Login Kit describes it (``open_id`` is per app)."""

    open_id: str
    display_name: str
    username: str = ""
    avatar_url: str = ""
    union_id: str = ""
    is_verified: bool = False
    follower_count: int | None = None
    region: str | None = None  # not in Login Kit; filled from Seller Center's eligibility check when known
    account_type: str | None = None  # "business" | "personal" | None when unknown


@dataclass(frozen=True)
class LinkCheck:
    """One check of one link at one moment."""

    link_id: int
    name: CheckName
    ok: bool
    reason: str | None
    detail: str
    checked_at: datetime


@dataclass(frozen=True)
class Link:
    """A shop ↔ TikTok account link, with its derived status."""

    id: int
    shop_id: str
    account: TikTokAccount
    role: Role
    status: LinkStatus
    created_at: datetime
    linked_at: datetime | None  # when Seller Center's binding was first seen
    unlinked_at: datetime | None
    last_verified_at: datetime | None
    token_expires_at: datetime | None  # when linkkit's access ends unless re-authorized (refresh-token expiry)
    access_expires_at: datetime | None  # the current access token (refreshed automatically before then)
    scopes: tuple[str, ...] = ()
    #: How the binding is known: "shop_analytics" | "seller_center" (evidence), "seller_confirmed" (the seller's
    #: claim only, never evidence) or "seller_center_import" (found in Seller Center, not authorized in linkkit).
    binding_evidence: str | None = None
    checks: tuple[LinkCheck, ...] = field(default=())
    #: When the latest verification could not check at all (TikTok unreachable), if that is newer than the
    #: last completed one; the status and checks above are then still the previous run's.
    last_check_failed_at: datetime | None = None
    last_check_failed_reason: str | None = None  # the reason code of that failed check (provider_unavailable, …)

    @property
    def active(self) -> bool:
        return self.status is not LinkStatus.UNLINKED

    @property
    def failing_check(self) -> LinkCheck | None:
        return next((check for check in self.checks if not check.ok), None)


@dataclass(frozen=True)
class LinkEvent:
    """One row of the append-only audit log: who did what, when. Never a secret."""

    id: int
    at: datetime
    kind: str  # authorized, linked, verified, check_failed, refreshed, unlinked, replaced, repaired, ...
    shop_id: str | None
    link_id: int | None
    actor: str
    detail: str
    username: str = ""
    role: str = ""


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization under way, persisted so another kernel can complete it (design §3.1).

    The ``state`` is stored hashed and the PKCE verifier encrypted; neither appears here.
    """

    id: int
    provider: Provider
    shop_id: str | None
    role: Role | None
    redirect_uri: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    link_id: int | None = None  # set when repairing an existing link
    expected_username: str | None = None
    outcome: str | None = None  # "ok" or a reason code, once completed
    result_link_id: int | None = None


def derive_status(
    *, unlinked_at: datetime | None, linked_at: datetime | None, checks: tuple[LinkCheck, ...],
    binding_evidence: str | None = None,
) -> LinkStatus:
    """A link's status from its latest verification run (design §3.2).

    - ``unlinked`` once unlinked;
    - ``found_in_seller_center`` for a binding imported from Seller Center that linkkit holds no grant for;
    - ``awaiting_evidence`` while the seller's claim that it is linked is not backed by evidence;
    - ``awaiting_seller_center`` before any verification ran (authorized, binding not yet seen);
    - ``connected`` when every check of the latest run passed;
    - ``awaiting_seller_center`` when only the Seller Center binding is missing and it was never seen;
    - ``needs_attention`` otherwise (a token, scope or rule check fails, or a binding seen before is gone).
    """
    if unlinked_at is not None:
        return LinkStatus.UNLINKED
    if binding_evidence == EVIDENCE_IMPORTED:
        return LinkStatus.FOUND_IN_SELLER_CENTER
    claimed = binding_evidence == EVIDENCE_CLAIMED
    if not checks:
        if claimed:
            return LinkStatus.AWAITING_EVIDENCE
        return LinkStatus.AWAITING_SELLER_CENTER if linked_at is None else LinkStatus.NEEDS_ATTENTION
    failing = [check for check in checks if not check.ok]
    if not failing:
        return LinkStatus.CONNECTED
    if linked_at is None and all(check.name is CheckName.SELLER_CENTER_BINDING for check in failing):
        return LinkStatus.AWAITING_EVIDENCE if claimed else LinkStatus.AWAITING_SELLER_CENTER
    return LinkStatus.NEEDS_ATTENTION
