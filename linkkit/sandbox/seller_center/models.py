"""The emulated Seller Center "Linked TikTok accounts" page: link state, invitations and the linking rules.

TikTok has no public API for this (see COVERAGE.md); the rules are the ones Seller Center documents. No HTTP
here.

Example:
    >>> import datetime
    >>> from linkkit.sandbox.common import Clock, Ids
    >>> from linkkit.sandbox.shop_auth.models import ShopAuthBackend
    >>> from linkkit.sandbox.world import build_world
    >>> world, clock, ids = build_world(7, datetime.date(2025, 1, 1)), Clock(), Ids()
    >>> sc = SellerCenterBackend(world, clock, ids, ShopAuthBackend(world, clock, ids))
    >>> sc.account_type_at("7494100000000000101", "nobody", 0)
    'AFFILIATE'
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from ..common import Clock, Ids
from ..exceptions import ShopError
from ..shop_auth.models import ShopAuthBackend
from ..world import DAY, Account, Shop, Video, World

INVITATION_TTL = 48 * 3600  # third-party (xingkuajing): 48 h to respond — UNCONFIRMED
MARKETING_RELINK_WINDOW = 180 * DAY
MARKETING_RELINK_MAX = 10
MARKETING_MAX = 4
UNLINK_MIN_AGE = 24 * 3600


@dataclass
class Link:
    shop_id: str
    username: str
    role: str
    linked_at: int
    unlinked_at: int | None = None
    source: str = "seed"

    def active_at(self, t: float) -> bool:
        return self.linked_at <= t and (self.unlinked_at is None or t < self.unlinked_at)


@dataclass
class Invitation:
    id: str
    shop_id: str
    username: str
    role: str
    created_at: int
    status: str = "pending"  # pending | accepted | expired
    responded_at: int | None = None


@dataclass
class Violation:
    rule: str
    message: str


class SellerCenterBackend:
    """Link history, invitations and the shoppable videos new links add, per shop."""

    def __init__(self, world: World, clock: Clock, ids: Ids, shop_auth: ShopAuthBackend) -> None:
        self.world = world
        self.clock = clock
        self.ids = ids
        self.shop_auth = shop_auth
        self.links: list[Link] = [
            Link(s.shop_id, s.username, s.role, s.linked_at, s.unlinked_at, "seed") for s in world.seed_links
        ]
        self.invitations: dict[str, Invitation] = {}
        self.extra_videos: list[Video] = []

    def now(self) -> float:
        return self.clock.now()

    def account_type_at(self, shop_id: str, username: str, t: float) -> str:
        """OFFICIAL / MARKETING / AFFILIATE for content posted at ``t``, from Seller Center's link state."""
        for link in self.links:
            if link.shop_id == shop_id and link.username == username and link.active_at(t):
                return link.role.upper()
        return "AFFILIATE"

    def shop(self, access_token: str | None, shop_id: object) -> Shop:
        """The shop ``shop_id`` names, if the access token's seller owns it."""
        grant = self.shop_auth.access_grant(access_token)
        if not shop_id:
            raise ShopError(40001, "invalid params: shop_id is required")
        if not isinstance(shop_id, str):
            raise ShopError(40001, "invalid params: shop_id must be a string")
        shop = self.world.shops.get(shop_id)
        if shop is None:
            raise ShopError(40403, "shop not found")
        if shop.seller != grant.seller:
            raise ShopError(101000, "Invalid query or header. The `x-tts-access-token` header does not match the shop.")
        return shop

    def active_links(self, shop_id: str, at: float | None = None) -> list[Link]:
        t = self.now() if at is None else at
        return [link for link in self.links if link.shop_id == shop_id and link.active_at(t)]

    def invitation_status(self, inv: Invitation) -> str:
        if inv.status == "pending" and self.now() >= inv.created_at + INVITATION_TTL:
            inv.status = "expired"
        return inv.status

    def account(self, username: str) -> Account:
        account = self.world.accounts.get(username)
        if account is None:
            raise ShopError(40401, "account not found", data={"username": username})
        return account

    def check_link_rules(self, shop: Shop, account: Account, role: str) -> list[Violation]:
        """The Seller Center linking rules for inviting ``account`` as ``role`` into ``shop`` now."""
        now = self.now()
        out: list[Violation] = []
        here = self.active_links(shop.id)
        mine = [link for link in here if link.username == account.username]
        # SELLER-US-IDV / KEYOUYUN-CN: identity verification required; personal accounts without it refused.
        if account.account_type == "personal" and not account.identity_verified:
            out.append(
                Violation(
                    "eligible_account",
                    "Personal accounts must complete identity verification before they can be linked.",
                )
            )
        # SELLER-US-LINK: "The account region must equal the shop region."
        if account.region != shop.region:
            out.append(
                Violation(
                    "same_region", f"The account is registered in {account.region}; this shop sells in {shop.region}."
                )
            )
        if any(link.role == role for link in mine):
            out.append(Violation("already_linked", f"This account is already the shop's {role} account."))
        # SELLER-US-LINK: the same account cannot be both the official and a marketing account of one shop.
        if any(link.role != role for link in mine):
            other = "marketing" if role == "official" else "official"
            out.append(
                Violation(
                    "not_both_roles",
                    f"This account is already linked to this shop as {other}; an account cannot hold both roles.",
                )
            )
        if role == "official":
            # SELLER-US-OA-RULES: "Only 1 official account per shop".
            if any(link.role == "official" and link.username != account.username for link in here):
                out.append(
                    Violation("one_official", "This shop already has an Official account; unlink it first (replace).")
                )
            # SELLER-US-LINK: an Official account is linked to one shop at a time.
            if any(
                link.role == "official"
                and link.shop_id != shop.id
                and link.active_at(now)
                and link.username == account.username
                for link in self.links
            ):
                out.append(
                    Violation("official_one_shop", "This account is already the Official account of another shop.")
                )
        else:
            # SELLER-US-LINK / TTS-TSP-PLAYBOOK: at most 4 Marketing accounts per shop.
            if (
                sum(1 for link in here if link.role == "marketing" and link.username != account.username)
                >= MARKETING_MAX
            ):
                out.append(Violation("marketing_max_four", "This shop already has 4 Marketing accounts."))
            # SELLER-US-LINK: a Marketing account can be linked up to 10 times within 180 days, across shops.
            recent = [
                link
                for link in self.links
                if link.username == account.username
                and link.role == "marketing"
                and link.linked_at > now - MARKETING_RELINK_WINDOW
            ]
            if len(recent) >= MARKETING_RELINK_MAX:
                out.append(
                    Violation(
                        "marketing_relink_limit",
                        "This account has been linked as a Marketing account 10 times in the last 180 days.",
                    )
                )
        return out

    def invite(self, shop: Shop, username: str, role: str) -> Invitation:
        account = self.account(username)
        violations = self.check_link_rules(shop, account, role)
        if violations:
            raise ShopError(40901, "link rules violated", data={"violations": violations})
        inv = Invitation(self.ids.next("inv"), shop.id, account.username, role, int(self.now()))
        self.invitations[inv.id] = inv
        return inv

    def accept(self, invitation_id: str, username: str, password: str) -> Link:
        inv = self.invitations.get(invitation_id)
        if inv is None:
            raise ShopError(40402, "invitation not found")
        account = self.world.accounts.get(username)
        if account is None or not hmac.compare_digest(account.password, password):
            raise ShopError(40301, "incorrect username or password")
        if inv.username != account.username:
            raise ShopError(40302, "this invitation was sent to another TikTok account")
        status = self.invitation_status(inv)
        if status != "pending":
            raise ShopError(40902, f"invitation is {status}", data={"status": status})
        shop = self.world.shops[inv.shop_id]
        violations = self.check_link_rules(shop, account, inv.role)
        if violations:
            raise ShopError(40901, "link rules violated", data={"violations": violations})
        now = int(self.now())
        inv.status, inv.responded_at = "accepted", now
        link = Link(shop.id, account.username, inv.role, now, None, "invitation")
        self.links.append(link)
        # Sandbox convenience (COVERAGE.md): the new account's "first shoppable video", so that the shop's
        # analytics show the account under OFFICIAL/MARKETING straight away.
        product = shop.products[0]
        self.extra_videos.append(
            Video(
                id=f"79{int(hashlib.sha256(f'{inv.id}:{now}'.encode()).hexdigest(), 16) % 10**17:017d}",
                shop_id=shop.id,
                username=account.username,
                title=f"First shoppable video · {product.name}",
                post_time=now,
                views=0,
                click_through_rate="0.0000",
                product_ids=(product.id,),
            )
        )
        return link

    def unlink(self, shop: Shop, username: str) -> Link:
        link = next((x for x in self.active_links(shop.id) if x.username == username), None)
        if link is None:
            raise ShopError(40903, "this account is not linked to this shop")
        now = int(self.now())
        if now - link.linked_at < UNLINK_MIN_AGE:  # SELLER-US-LINK: unlinking only 24 h after linking
            raise ShopError(
                40901,
                "link rules violated",
                data={
                    "violations": [
                        Violation("unlink_after_24h", "An account can only be unlinked 24 hours after it was linked.")
                    ]
                },
            )
        link.unlinked_at = now
        return link


__all__ = ["INVITATION_TTL", "UNLINK_MIN_AGE", "Invitation", "Link", "SellerCenterBackend", "Violation"]
