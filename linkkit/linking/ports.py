"""The ports one service runs on, chosen once by the composition root, and the lookups every part shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linkkit import rules
from linkkit.clock import Clock
from linkkit.errors import AccessDenied, LinkError, LinkkitError, ProviderError
from linkkit.linking.tokens import TokenKeeper
from linkkit.models import Link, Provider, Role, Shop
from linkkit.seller_center.base import SellerCenter
from linkkit.store import Store, StoredToken
from linkkit.tiktok.clients import TikTokClients
from linkkit.tiktok.login_kit import LoginKitFlow
from linkkit.tiktok.shop import ShopClient

__all__ = ["Ports"]


class _NoSellerToken(LinkkitError):
    """linkkit holds no seller token for the shop (internal: ``shop_access_token`` answers ``None``)."""


@dataclass
class Ports:
    """Clock, registry, TikTok clients and Seller Center, plus the acting identity.

    Attributes:
        clock: The one clock (the registry is stamped by it too).
        registry: The registry (today's :class:`~linkkit.store.Store`).
        clients: Login Kit and TikTok Shop clients over one HTTP session.
        seller_center: Manual (live) or emulated (sandbox) Seller Center.
        keeper: Token refresh for both providers.
        actor: Recorded on every event; the principal whose shops this service may act on.
        system: A deployment component (:data:`linkkit.identity.SYSTEM_PRINCIPALS`) acting on every shop.
    """

    clock: Clock
    registry: Store
    clients: TikTokClients
    seller_center: SellerCenter
    keeper: TokenKeeper
    actor: str
    system: bool = False

    # --- access -------------------------------------------------------------------------------------------

    def check_access(self, shop_id: str) -> None:
        """Refuse (``not_your_shop``) unless the principal owns the shop or was granted it."""
        if not self.system and self.registry.access_role(shop_id, self.actor) is None:
            raise AccessDenied("This shop belongs to another owner: linkkit shows and changes it only for its "
                               "owners and the people they gave access.", reason="not_your_shop")

    def visible(self, shop_id: str | None) -> bool:
        """Whether the principal may see a record of ``shop_id`` (``None``: a record of no shop)."""
        return self.system or (shop_id is not None and self.registry.access_role(shop_id, self.actor) is not None)

    # --- records ------------------------------------------------------------------------------------------

    def shop(self, shop_id: str) -> Shop:
        shop = self.registry.shop(shop_id)
        if shop is None:
            raise LinkError("This shop is not connected to linkkit yet. Connect Seller Center first.",
                            reason="shop_not_connected")
        self.check_access(shop_id)
        return shop

    def link(self, link_id: int, *, with_checks: bool = True) -> Link:
        link = self.registry.link(link_id, with_checks=with_checks)
        if link is None:
            raise LinkError(f"There is no link #{link_id}.", reason="link_not_found")
        self.check_access(link.shop_id)
        return link

    def links(self, shop_id: str | None = None, *, include_unlinked: bool = False,
              open_id: str | None = None) -> list[Link]:
        return self.registry.links(shop_id, include_unlinked=include_unlinked, open_id=open_id)

    def event(self, kind: str, *, conn: Any = None, actor: str | None = None, **fields: Any) -> None:
        """Append an audit event, recorded under the acting identity."""
        self.registry.add_event(kind, actor=actor or self.actor, conn=conn, **fields)

    # --- TikTok access ------------------------------------------------------------------------------------

    def login_flow(self, role: Role) -> LoginKitFlow:
        return self.clients.login([need.scope for need in rules.scopes_for(role)])

    def login_token(self, open_id: str, *, force: bool = False) -> tuple[StoredToken, bool]:
        """A usable Login Kit token for ``open_id`` (refreshed first when about to expire)."""
        link = next(iter(self.registry.links(open_id=open_id, include_unlinked=True)), None)
        flow = self.login_flow(link.role if link else Role.MARKETING)

        def refreshed(conn: Any) -> None:
            self.event("refreshed", link_id=link.id if link else None, shop_id=link.shop_id if link else None,
                       username=link.account.username if link else "", conn=conn,
                       detail="TikTok access token refreshed (refresh token rotated)")

        return self.keeper.fresh(
            Provider.LOGIN_KIT, open_id, lambda rt: flow.refresh(rt, now=self.clock.now()), force=force,
            missing=lambda: ProviderError("linkkit holds no TikTok access for this account; repair the link.",
                                          reason="token_revoked"),
            on_refreshed=refreshed)

    def seller_token(self, shop: Shop) -> StoredToken:
        """The shop's seller token (TikTok Shop), refreshed first when about to expire."""
        return self._seller_token(shop, lambda: LinkError(
            "linkkit holds no Seller Center access for this shop; connect it again.", reason="shop_not_connected"))

    def _seller_token(self, shop: Shop, missing: Callable[[], LinkkitError]) -> StoredToken:
        token, _ = self.keeper.fresh(Provider.SHOP, shop.seller_open_id,
                                     lambda rt: self.clients.shop_auth().refresh(rt), missing=missing)
        return token

    def shop_client(self, shop: Shop) -> ShopClient:
        """A signed Shop API client with the shop's seller token."""
        return self.clients.shop(self.seller_token(shop).access_token)

    def shop_access_token(self, shop: Shop) -> str | None:
        """The shop's seller access token, or ``None`` when linkkit holds none."""
        try:  # one read of the token (not "is there one?" and then "give it to me")
            return self._seller_token(shop, lambda: _NoSellerToken("no seller token", reason="shop_not_connected")
                                      ).access_token
        except _NoSellerToken:
            return None
