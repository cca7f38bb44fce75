"""Seller Center's linking rules as data, and pure checks that return reason codes.

Every rule names its source (keys listed with public addresses in ``docs/tiktok-contracts.md``). The checks
take plain records and return :class:`Violation` values — no I/O — so the UI can show them *before* consent and
:class:`~linkkit.linking.LinkService` can refuse a link before anything is stored.

Example:
    >>> from linkkit.models import Role, Shop
    >>> shop = Shop(id="1", name="Maple & Co", region="US", seller_type="LOCAL", cipher="c")
    >>> [v.reason for v in can_add(shop, [], Role.MARKETING)]
    []
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from linkkit.models import Link, Role, Shop, TikTokAccount

__all__ = [
    "MARKETING_LIMIT",
    "RULES",
    "SELLER_CENTER_RULE_REASONS",
    "UNLINK_AFTER",
    "Rule",
    "ScopeNeed",
    "Violation",
    "can_add",
    "check_candidate",
    "check_unlink",
    "missing_scopes",
    "scopes_for",
]

MARKETING_LIMIT = 4
UNLINK_AFTER = timedelta(hours=24)
MARKETING_RELINKS_PER_180_DAYS = 10


@dataclass(frozen=True)
class Rule:
    """One Seller Center linking rule."""

    id: str  # the id the (emulated) Seller Center reports, e.g. "one_official"
    reason: str  # linkkit's reason code when it is broken
    title: str
    text: str
    source: str


@dataclass(frozen=True)
class Violation:
    """A broken rule, with words for the seller."""

    rule: str
    reason: str
    message: str


RULES: tuple[Rule, ...] = (
    Rule("one_official", "official_limit_reached", "One Official account per shop",
         "A shop has exactly one Official account. Linking another one means replacing it.",
         "SELLER-US-LINK; SELLER-US-OA-RULES; TTS-TSP-PLAYBOOK"),
    Rule("marketing_max_four", "marketing_limit_reached", "At most four Marketing accounts",
         f"A shop can have up to {MARKETING_LIMIT} Marketing accounts at once.",
         "SELLER-US-LINK; TTS-TSP-PLAYBOOK ('1 Official Account + 4 Marketing Account')"),
    Rule("same_region", "region_mismatch", "Same region as the shop",
         "The TikTok account must be registered in the shop's region (a US shop needs a US account).",
         "SELLER-US-LINK (common rules)"),
    Rule("not_both_roles", "both_roles", "Never both roles in one shop",
         "One TikTok account cannot be the Official and a Marketing account of the same shop.",
         "SELLER-US-LINK (common rules)"),
    Rule("official_one_shop", "already_linked_elsewhere", "An Official account serves one shop",
         "An Official account is linked to one shop at a time; unlink it there first.",
         "SELLER-US-LINK (linking across shops)"),
    Rule("marketing_relink_limit", "relink_limit_reached", "Marketing relinks are limited",
         f"A Marketing account can be linked at most {MARKETING_RELINKS_PER_180_DAYS} times in 180 days, "
         "across all shops.", "SELLER-US-LINK (linking across shops)"),
    Rule("unlink_after_24h", "unlink_too_early", "Unlink only after 24 hours",
         "A linked account can be unlinked only 24 hours after it was linked.", "SELLER-US-LINK"),
    Rule("eligible_account", "account_ineligible", "An eligible account",
         "The account must pass TikTok's eligibility check: 18 or older, identity verified, no e-commerce "
         "ban. Personal accounts that have not verified their identity are refused; linked accounts become "
         "Business accounts.", "SELLER-US-IDV; KEYOUYUN-CN (third-party, UNCONFIRMED details)"),
    Rule("already_linked", "already_linked", "Not linked twice",
         "The account already holds this role in this shop.", "linkkit (registry constraint)"),
)

#: The emulated Seller Center reports rule ids; this is how they become linkkit reason codes.
SELLER_CENTER_RULE_REASONS: dict[str, str] = {rule.id: rule.reason for rule in RULES}
_BY_ID = {rule.id: rule for rule in RULES}
# Rules about taking a new slot; Seller Center reports them for an account that is already linked here.
_CAPACITY_RULES = frozenset({"already_linked", "one_official", "marketing_max_four", "marketing_relink_limit",
                             "official_one_shop"})


@dataclass(frozen=True)
class ScopeNeed:
    """A TikTok Login Kit scope a link type asks for."""

    scope: str
    required: bool
    why: str


# Login Kit scopes (docs/tiktok-contracts.md §1 [TT-SCOPE-MIG]): `username` needs user.info.profile since
# 2024-02-29, and the username is how the shop's analytics name the account, so it is required for both roles.
_SCOPES: dict[Role, tuple[ScopeNeed, ...]] = {
    Role.OFFICIAL: (
        ScopeNeed("user.info.basic", True, "Confirms which TikTok account you signed in with (name and picture)."),
        ScopeNeed("user.info.profile", True, "Reads the account's @username, which Seller Center and the shop's "
                                            "analytics use to recognise it."),
        ScopeNeed("user.info.stats", False, "Follower and video counts, shown on the linked-accounts panel."),
        ScopeNeed("video.list", False, "Lists the account's public videos so analytics can show what it sells."),
    ),
    Role.MARKETING: (
        ScopeNeed("user.info.basic", True, "Confirms which TikTok account you signed in with (name and picture)."),
        ScopeNeed("user.info.profile", True, "Reads the account's @username, which Seller Center and the shop's "
                                            "analytics use to recognise it."),
        ScopeNeed("video.list", False, "Lists the account's public videos so analytics can show what it sells."),
    ),
}


def scopes_for(role: Role) -> list[ScopeNeed]:
    """The scopes a link of ``role`` asks for, required first."""
    return sorted(_SCOPES[role], key=lambda need: not need.required)


def missing_scopes(role: Role, granted: Iterable[str]) -> list[str]:
    """Required scopes of ``role`` that are not in ``granted``."""
    have = set(granted)
    return [need.scope for need in _SCOPES[role] if need.required and need.scope not in have]


def _violation(rule_id: str, message: str | None = None) -> Violation:
    rule = _BY_ID[rule_id]
    return Violation(rule.id, rule.reason, message or rule.text)


def can_add(shop: Shop, active_links: Sequence[Link], role: Role, *, replace: bool = False) -> list[Violation]:
    """Rules that already refuse a new link of ``role`` in ``shop``, before anyone signs in."""
    mine = [link for link in active_links if link.shop_id == shop.id and link.active]
    if role is Role.OFFICIAL and not replace and any(link.role is Role.OFFICIAL for link in mine):
        return [_violation("one_official", "This shop already has an Official account. Choose "
                                           "'Replace the Official account' to change it.")]
    if role is Role.MARKETING and sum(link.role is Role.MARKETING for link in mine) >= MARKETING_LIMIT:
        return [_violation("marketing_max_four", f"This shop already has {MARKETING_LIMIT} Marketing "
                                                 "accounts. Unlink one (24 hours after it was linked) first.")]
    return []


def check_candidate(
    shop: Shop,
    active_links: Sequence[Link],
    account: TikTokAccount,
    role: Role,
    *,
    replace: bool = False,
    repair_link_id: int | None = None,
    seller_center_rules: Iterable[str] = (),
) -> list[Violation]:
    """Every rule the signed-in ``account`` would break as ``role`` of ``shop``.

    Args:
        shop: The shop being linked.
        active_links: Active links known to the registry (all shops: an Official serves one shop).
        account: The account that just authorized, with ``region``/``account_type`` when known.
        role: The requested role.
        replace: Whether this Official link replaces the current one.
        repair_link_id: The link being re-authorized, which does not count against its own limits.
        seller_center_rules: Rule ids Seller Center's eligibility check reported (sandbox; live: none).
    """
    others = [link for link in active_links if link.id != repair_link_id and link.active]
    in_shop = [link for link in others if link.shop_id == shop.id]
    found: list[Violation] = []
    if repair_link_id is None:
        found += can_add(shop, in_shop, role, replace=replace)
    same_account = [link for link in in_shop if link.account.open_id == account.open_id]
    if any(link.role is role for link in same_account):
        found.append(_violation("already_linked"))
    elif same_account:
        found.append(_violation("not_both_roles"))
    if account.region and account.region.upper() != shop.region.upper():
        found.append(_violation("same_region", f"This account is registered in {account.region}, but the shop "
                                               f"sells in {shop.region}. Use an account from {shop.region}."))
    if account.account_type == "personal":
        found.append(_violation("eligible_account"))
    if role is Role.OFFICIAL and any(
        link.role is Role.OFFICIAL and link.account.open_id == account.open_id and link.shop_id != shop.id
        for link in others
    ):
        found.append(_violation("official_one_shop"))
    for rule_id in seller_center_rules:
        if rule_id not in _BY_ID or any(v.rule == rule_id for v in found):
            continue
        if repair_link_id is not None and rule_id in _CAPACITY_RULES:
            continue  # re-authorizing an existing link takes no new slot
        if replace and rule_id == "one_official":
            continue
        found.append(_violation(rule_id))
    return found


def check_unlink(link: Link, now: datetime) -> list[Violation]:
    """Whether ``link`` may be unlinked at ``now`` (only 24 h after Seller Center bound it).

    A link Seller Center never bound (authorized in linkkit only) is not linked there, so the rule does not apply.
    """
    since = link.linked_at
    if since is not None and now - since < UNLINK_AFTER:
        left = UNLINK_AFTER - (now - since)
        hours = max(1, round(left.total_seconds() / 3600))
        return [_violation("unlink_after_24h", f"This account was linked less than 24 hours ago. You can unlink "
                                               f"it in about {hours} hour{'s' if hours != 1 else ''}.")]
    return []
