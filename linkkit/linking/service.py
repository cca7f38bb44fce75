"""``LinkService``: the façade the UI, the CLI and notebooks call (design §1, §2).

It composes :class:`~linkkit.linking.authorizer.Authorizer` (steps 1 and 3),
:class:`~linkkit.linking.verifier.Verifier` (step 5, evidence, reconciliation) and
:class:`~linkkit.linking.tokens.TokenKeeper` over the ports chosen once by
:func:`~linkkit.linking.compose.build_ports`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import requests

from linkkit import guide
from linkkit.clock import Clock
from linkkit.config import Settings, data_dir
from linkkit.crypto import TokenBox, load_or_create_key
from linkkit.errors import InvalidInput, LinkkitError
from linkkit.linking import boundary as check
from linkkit.linking.access import AccessControl
from linkkit.linking.authorizer import Authorizer
from linkkit.linking.compose import build_ports
from linkkit.linking.health import ShopRecords, health_report
from linkkit.linking.reconcile import reconcile
from linkkit.linking.types import AuthorizationResult, AuthorizationStart, ShopOverview
from linkkit.linking.verifier import Verifier
from linkkit.models import EVIDENCE_IMPORTED, Link, LinkEvent, PendingAuthorization, Role, Shop
from linkkit.seller_center.base import SellerCenter
from linkkit.store import MEMBER, OWNER, ShopAccess, Store
from linkkit.tiktok.shop import ShopClient

if TYPE_CHECKING:
    from linkkit.analytics.dataset import AnalyticsData

__all__ = ["LinkService"]

log = logging.getLogger(__name__)

#: Pending authorizations (finished or expired) are kept this long after their expiry, then purged.
PENDING_RETENTION = dt.timedelta(days=1)


class LinkService:
    """Links a shop to TikTok accounts, verifies, repairs and unlinks them.

    Args:
        settings: Mode, endpoints and app credentials.
        store: The registry (given the service's clock unless it has one).
        clock: Override the clock (tests); the mode's clock otherwise.
        session: The HTTP session for every TikTok call (keep-alive, retries); one is made when ``None``.
        actor: Who acts; see :func:`linkkit.identity.current_actor`. The *principal*: every operation that
            names a shop or a link refuses a shop it neither owns nor was granted (``not_your_shop``, nothing
            changed), and listings show only its shops.
        system: Act on every shop: only for a deployment component named in
            :data:`linkkit.identity.SYSTEM_PRINCIPALS` (the monitor), never for a dashboard.

    Every argument is validated first (:mod:`linkkit.linking.boundary`): a bad one raises
    :class:`~linkkit.errors.InvalidInput` (``invalid_input``) and nothing is stored.
    """

    def __init__(self, settings: Settings, store: Store, *, clock: Clock | None = None,
                 session: requests.Session | None = None, actor: str | None = None, system: bool = False) -> None:
        self.settings = settings
        if actor is not None:
            actor = check.principal(actor)
        self._ports, self.sandbox = build_ports(settings, store, clock=clock, session=session, actor=actor,
                                                system=system)
        self._authorizer = Authorizer(self._ports, self._reconcile)
        self._verifier = Verifier(self._ports, self._reconcile)
        self._access = AccessControl(self._ports, self.shop)
        try:  # a process that died mid-flow left work: revoke its grants, end its claims, purge old rows
            self.recover()
        except (LinkkitError, requests.RequestException) as exc:  # e.g. the sandbox's clock is not up yet
            log.warning("Recovery at start did not finish (%s); the next drain retries.",
                        getattr(exc, "reason", type(exc).__name__))

    def __repr__(self) -> str:
        return f"LinkService(mode={self.settings.mode!r}, store={self.store!r})"

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **ports: Any) -> LinkService:
        """Open the registry named by ``settings`` (loaded from the environment when ``None``), stamped by the
        mode's clock, and choose the ports (the composition root)."""
        settings = settings or Settings.load()
        key = settings.secret_key or load_or_create_key(data_dir() / "secret.key")
        return cls(settings, Store(settings.resolved_database_url, TokenBox(key)), **ports)

    # --- ports and capabilities ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The registry (for tests and maintenance; the UI and CLI use the methods below)."""
        return self._ports.registry

    @property
    def seller_center(self) -> SellerCenter:
        """The Seller Center port; ``seller_center.automated`` says whether step 4 can be done from here."""
        return self._ports.seller_center

    @property
    def actor(self) -> str:
        """The principal this service acts for."""
        return self._ports.actor

    @property
    def system(self) -> bool:
        """Whether this service acts on every shop (a deployment component such as the monitor)."""
        return self._ports.system

    # --- owners and members (linkkit.linking.access) -------------------------------------------------------

    def access(self, shop_id: str) -> list[ShopAccess]:
        """Who may act on the shop (owners first); for its owners and members."""
        return self._access.members(shop_id)

    def grant_access(self, shop_id: str, principal: str, *, role: str = MEMBER) -> bool:
        """Let ``principal`` act on the shop (an owner's action; ``role="owner"`` lets them grant too); returns
        whether anything changed."""
        return self._access.grant(shop_id, principal, role)

    def revoke_access(self, shop_id: str, principal: str) -> bool:
        """Take ``principal``'s access to the shop away (an owner's action; the last owner stays)."""
        return self._access.revoke(shop_id, principal)

    def now(self) -> dt.datetime:
        return self._ports.clock.now()

    # --- steps 1 and 3: authorize -------------------------------------------------------------------------

    def begin_shop_authorization(self) -> AuthorizationStart:
        """Start TikTok Shop seller authorization; returns the URL to open."""
        return self._authorizer.begin_shop()

    def begin_authorization(self, shop_id: str, role: Role, *, replace: bool = False,
                            expected_username: str | None = None, link_id: int | None = None
                            ) -> AuthorizationStart:
        """Start Login Kit consent for ``role`` (``replace`` the Official, or repair ``link_id``).

        Raises:
            RuleViolation: The role is refused before consent (limits, 24 h rule for replace).
        """
        shop_id, role = check.shop_id(shop_id), check.role(role)
        replace = check.flag(replace, "replace")
        if expected_username is not None:
            expected_username = check.text(expected_username, "The expected username", max_length=256)
        if link_id is not None:
            link_id = check.link_id(link_id)
        return self._authorizer.begin_login(self.shop(shop_id), role, replace=replace,
                                            expected_username=expected_username, link_id=link_id)

    def replace_official(self, shop_id: str, *, expected_username: str | None = None) -> AuthorizationStart:
        """Start replacing the shop's Official account (the old link ends when the new one is authorized)."""
        return self.begin_authorization(shop_id, Role.OFFICIAL, replace=True, expected_username=expected_username)

    def pending(self, pending_id: int) -> PendingAuthorization:
        """The pending authorization, for a tab that polls until another tab completes it."""
        record = self._authorizer.pending(check.link_id(pending_id, "A pending authorization id"))
        if record.shop_id is not None:
            self._ports.check_access(record.shop_id)
        return record

    def complete_authorization(self, callback_url: str) -> AuthorizationResult:
        """Finish an authorization from the URL TikTok redirected to (any process, exactly once)."""
        return self._authorizer.complete(check.text(callback_url, "The callback URL"))

    # --- shops and links ----------------------------------------------------------------------------------

    def connected_shops(self) -> list[Shop]:
        """Shops the seller already authorized linkkit on (no network)."""
        visible = self._access.visible_ids()
        return [shop for shop in self.store.shops() if visible is None or shop.id in visible]

    def sync_shops(self) -> list[Shop]:
        """Re-read the authorized shops with the stored seller tokens (the principal's shops; a shop found
        for the first time gets the principal as its owner)."""
        for shop in {s.seller_open_id: s for s in self.connected_shops() if s.seller_open_id}.values():
            client = self._ports.shop_client(shop)
            for found in client.authorized_shops(seller_name=shop.seller_name, seller_open_id=shop.seller_open_id):
                with self.store.transaction() as conn:
                    self.store.upsert_shop(found, conn=conn)
                    if not self.system and not self.store.access_list(found.id, conn=conn):
                        self.store.add_access(found.id, self.actor, OWNER, self.actor, conn=conn)
        return self.connected_shops()

    def shop(self, shop_id: str) -> Shop:
        return self._ports.shop(check.shop_id(shop_id))

    def overview(self, shop_id: str) -> ShopOverview:
        shop = self.shop(shop_id)
        shop_id = shop.id
        active = self._ports.links(shop_id)
        official = next((link for link in active if link.role is Role.OFFICIAL), None)
        return ShopOverview(shop, official, tuple(link for link in active if link.role is Role.MARKETING),
                            self.now())

    def links(self, shop_id: str | None = None, *, include_unlinked: bool = False) -> list[Link]:
        include_unlinked = check.flag(include_unlinked, "include_unlinked")
        if shop_id is not None:
            shop_id = self.shop(shop_id).id
        visible = self._access.visible_ids()
        return [link for link in self._ports.links(shop_id, include_unlinked=include_unlinked)
                if visible is None or link.shop_id in visible]

    def link(self, link_id: int) -> Link:
        return self._ports.link(check.link_id(link_id))

    def events(self, shop_id: str | None = None, *, kinds: Sequence[str] | None = None,
               link_id: int | None = None, limit: int = 200) -> list[LinkEvent]:
        """The registry's events, newest first: the principal's shops', and its own events of no shop."""
        if shop_id is not None:
            shop_id = self.shop(shop_id).id
        if link_id is not None:
            link_id = self.link(link_id).id
        if kinds is not None and (not isinstance(kinds, list | tuple | set | frozenset)
                                  or not all(isinstance(k, str) for k in kinds)):
            raise InvalidInput("kinds must be a list of event kinds.", reason="invalid_input")
        found = self.store.events(shop_id, kinds=kinds, link_id=link_id, limit=check.limit(limit))
        return found if shop_id is not None else self._access.events(found)

    def link_intervals(self, shop_id: str | None = None) -> list[dict[str, Any]]:
        """When each link was active (for analytics and exports; the principal's shops)."""
        if shop_id is not None:
            shop_id = self.shop(shop_id).id
        visible = self._access.visible_ids()
        return [row for row in self.store.link_intervals(shop_id)
                if visible is None or row.get("shop_id") in visible]

    # --- step 4: Seller Center ----------------------------------------------------------------------------

    def seller_center_steps(self, link_id: int) -> list[str]:
        """The exact clicks that bind the account in Seller Center (TikTok has no API for it)."""
        link = self.link(link_id)
        replacing = link.role is Role.OFFICIAL and any(e.kind == "replaced" for e in self.events(link.shop_id))
        return guide.seller_center_steps(link.role, link.account.username, replacing=replacing)

    def seller_center_url(self, shop_id: str) -> str | None:
        """Where the seller does step 4."""
        return self.seller_center.url(self.shop(shop_id).id)

    def confirm_binding(self, link_id: int, *, actor: str | None = None) -> Link:
        """Record the seller's claim that Seller Center shows the link (awaiting evidence until seen)."""
        return self._verifier.confirm_binding(self.link(link_id).id)

    # --- step 5 and the panel -----------------------------------------------------------------------------

    def verify(self, link_id: int) -> Link:
        """Run every check on a link, store them, and return the link with its derived status."""
        return self._verifier.verify(self.link(link_id).id)

    def verify_all(self, shop_id: str | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> list[Link]:
        """Verify every active link (of one shop, or all the principal's), reporting ``progress(done, total)``."""
        if progress is not None and not callable(progress):
            raise InvalidInput("progress must be a function or None.", reason="invalid_input")
        if shop_id is not None or self.system:
            return self._verifier.verify_all(self.shop(shop_id).id if shop_id is not None else None, progress)
        verified: list[Link] = []
        for shop in self.connected_shops():
            verified += self._verifier.verify_all(shop.id, progress)
        return verified

    def unlink(self, link_id: int, *, actor: str | None = None) -> Link:
        """Unlink (refused inside 24 h of linking); revokes linkkit's TikTok grant when no link needs it."""
        if actor is not None:
            actor = check.principal(actor)
        return self._authorizer.unlink(self.link(link_id).id, actor=actor)

    def drain_outbox(self) -> int:
        """Revoke every grant the outbox says is due (retries with backoff); returns how many TikTok confirmed.

        Called after each transaction that ends a grant and on service start; the monitor may call it too.
        """
        return self._authorizer.revoker.drain()

    def recover(self) -> dict[str, int]:
        """After a crash (run on start): end dead claims from what was stored, drain the outbox, and purge
        pending authorizations that ended more than :data:`PENDING_RETENTION` ago."""
        resolved = self._authorizer.resolve_dead_claims()
        revoked = self.drain_outbox()
        purged = self.store.purge_pending(self.now() - PENDING_RETENTION)
        return {"resolved": resolved, "revoked": revoked, "purged": purged}

    def refresh_tokens(self, link_id: int | None = None, *, force: bool = False) -> int:
        """Refresh Login Kit tokens that expire soon (all, or one link's); returns how many were refreshed."""
        force = check.flag(force, "force")
        targets = [self.link(link_id)] if link_id is not None else self.links()
        open_ids = dict.fromkeys(link.account.open_id for link in targets
                                 if link.binding_evidence != EVIDENCE_IMPORTED)
        return sum(int(self._ports.login_token(open_id, force=force)[1]) for open_id in open_ids)

    def shop_client(self, shop_id: str) -> ShopClient:
        """A signed TikTok Shop client for ``shop_id`` (for analysts' notebooks; the UI uses analytics_data)."""
        return self._ports.shop_client(self.shop(shop_id))

    def analytics_data(self, shop_id: str, start: dt.date, end: dt.date, *,
                       progress: Any = None) -> AnalyticsData:
        """The shop's links, events, performance, content and orders for ``[start, end)`` (one shop only)."""
        from linkkit.analytics.dataset import ShopSource, load_analytics_data

        shop = self.shop(shop_id)
        start, end = check.date(start, "start"), check.date(end, "end")
        return load_analytics_data(ShopRecords(self.store, shop_id), self._ports.shop_client(shop),
                                   [ShopSource(shop.id, shop.cipher, name=shop.name)], start=start, end=end,
                                   progress=progress)

    def shop_webhook_signature(self, raw_body: bytes) -> str:
        """The signature TikTok Shop puts on a webhook with ``raw_body`` for this app (the receiver compares)."""
        from linkkit.tiktok.signing import webhook_signature

        if not isinstance(raw_body, bytes):
            raise InvalidInput("The webhook body must be bytes.", reason="invalid_input")
        app = self._ports.clients.app
        return webhook_signature(app.app_key, app.app_secret, raw_body)

    def health(self) -> dict[str, Any]:
        """Mode, registry, links by status, tokens expiring within 7 days — for ``linkkit status``."""
        report = health_report(self.settings.mode, self.store, self.links(), self.now(), self.sandbox)
        report["shops"] = len(self.connected_shops())  # the principal's
        return report

    def _reconcile(self, shop: Shop) -> list[Link]:
        return reconcile(self._ports, shop)
