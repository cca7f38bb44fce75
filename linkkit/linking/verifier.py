"""``Verifier``: step 5 — run every check on a link, store them, derive its status (design §3.2).

A run that could not ask TikTok (unreachable, timing out, 5xx, rate-limited) is no verdict: the link keeps
its previous status and checks, and shows that its last check failed.

"Connected" needs evidence that Seller Center holds the binding (the Seller Center port finds it in the
shop's own data or, in the sandbox, on the emulated page). A seller's "it is linked" is recorded as a claim
and shown as *awaiting evidence* until the port finds the binding; it never passes a check.

``verify_all`` reads each shop's Seller Center data once for all of its links (a :class:`ShopSnapshot`:
the linked-accounts list and the shop's LIVE and video lists), asks Login Kit once per link, and stores the
shop's checks in one transaction. So a pass over a shop with *n* links costs *n* user-info calls plus a
handful of shop-level reads, not several Seller Center reads per link.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from linkkit import rules
from linkkit.errors import COULD_NOT_CHECK_REASONS, LinkkitError
from linkkit.linking.authorizer import account_from_user
from linkkit.linking.ports import Ports
from linkkit.linking.reconcile import reconcile
from linkkit.models import (
    EVENT_CHECK_UNAVAILABLE,
    EVIDENCE_CLAIMED,
    EVIDENCE_IMPORTED,
    CheckName,
    Link,
    LinkCheck,
    Shop,
    TikTokAccount,
)
from linkkit.seller_center.base import (
    BindingEvidence,
    SellerCenter,
    SellerCenterLink,
    ShopDataReader,
    evidence_from_shop_data,
)
from linkkit.store import StoredToken

__all__ = ["ShopSnapshot", "Verifier"]

log = logging.getLogger(__name__)


class _Pages:
    """A shop's analytics lists read once: the same query asked again is answered from memory."""

    def __init__(self, reader: Callable[[], ShopDataReader]) -> None:
        self._reader = reader
        self._client: ShopDataReader | None = None
        self._pages: dict[tuple[Any, ...], list[list[dict[str, Any]]] | LinkkitError] = {}

    def _read(self, kind: str, shop_cipher: str, kwargs: dict[str, Any]) -> list[list[dict[str, Any]]]:
        key = (kind, shop_cipher, tuple(sorted(kwargs.items())))
        if key not in self._pages:
            try:
                if self._client is None:
                    self._client = self._reader()
                method = self._client.shop_lives if kind == "lives" else self._client.shop_videos
                self._pages[key] = list(method(shop_cipher, **kwargs))
            except LinkkitError as exc:
                self._pages[key] = exc  # a read that failed fails for the whole batch: not asked once per link
        found = self._pages[key]
        if isinstance(found, LinkkitError):
            raise found
        return found

    def shop_lives(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                   **kwargs: Any) -> Iterable[list[dict[str, Any]]]:
        return self._read("lives", shop_cipher, {"start_date_ge": start_date_ge, "end_date_lt": end_date_lt,
                                                 **kwargs})

    def shop_videos(self, shop_cipher: str, *, start_date_ge: date, end_date_lt: date,
                    **kwargs: Any) -> Iterable[list[dict[str, Any]]]:
        return self._read("videos", shop_cipher, {"start_date_ge": start_date_ge, "end_date_lt": end_date_lt,
                                                  **kwargs})


class ShopSnapshot:
    """One shop's Seller Center data, read at most once while a batch of its links is verified.

    It answers ``find_binding`` and ``existing_links`` like the port it wraps (the shop's analytics first;
    then, where Seller Center's page can be read, its list of linked accounts), but each underlying read —
    the linked-accounts list, a LIVE list per role, the linked-account video list — is made once per
    snapshot. Only what the verifier asks is delegated; anything else goes to the wrapped port.

    Args:
        port: The Seller Center port.
        reader: Makes the shop's Shop API client (called on the first analytics read).
    """

    def __init__(self, port: SellerCenter, reader: Callable[[], ShopDataReader]) -> None:
        self._port = port
        self._pages = _Pages(reader)
        self._links: dict[str, list[SellerCenterLink] | LinkkitError] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    def existing_links(self, shop: Shop, now: datetime) -> list[SellerCenterLink]:
        if shop.id not in self._links:
            try:
                self._links[shop.id] = self._port.existing_links(shop, now)
            except LinkkitError as exc:
                self._links[shop.id] = exc  # failed once, failed for the batch (see _Pages)
        found = self._links[shop.id]
        if isinstance(found, LinkkitError):
            raise found
        return found

    def find_binding(self, shop: Shop, username: str, role: Any, now: datetime) -> BindingEvidence | None:
        found = evidence_from_shop_data(self._pages, shop, username, role, now)
        if found is not None or not self._port.automated:
            return found  # without the page (live mode), the shop's analytics are all the evidence there is
        name = username.lstrip("@").lower()
        if any(link.username.lower() == name and link.role is role and link.unlinked_at is None
               for link in self.existing_links(shop, now)):
            return BindingEvidence("seller_center", f"Seller Center lists @{username} as a {role.label} account.")
        return None


@dataclass
class _Outcome:
    """One link's checks, made but not stored yet."""

    link: Link
    checks: list[LinkCheck]
    bound_by: str | None
    account: TikTokAccount | None
    unchecked: LinkCheck | None


class Verifier:
    """Checks links.

    Args:
        ports: Clock, registry, TikTok clients, Seller Center.
        reconcile: Imports the shop's Seller Center links the registry lacks (run before verifying).
    """

    def __init__(self, ports: Ports, reconcile: Callable[[Shop], object]) -> None:
        self._p = ports
        self._reconcile = reconcile

    def confirm_binding(self, link_id: int) -> Link:
        """Record the seller's claim that Seller Center shows the link, then look for evidence."""
        link = self._p.link(link_id)
        if link.binding_evidence not in ("shop_analytics", "seller_center"):
            self._p.registry.update_link(link.id, binding_evidence=EVIDENCE_CLAIMED)
        self._p.event("binding_confirmed", shop_id=link.shop_id, link_id=link.id, username=link.account.username,
                      role=link.role.value, detail="seller says Seller Center shows the link (a claim, not evidence)")
        return self.verify(link_id)

    def verify_all(self, shop_id: str | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> list[Link]:
        """Verify every active link (of one shop, or all), shop by shop; see the module docstring."""
        shops = [self._p.shop(shop_id)] if shop_id is not None else self._p.registry.shops()
        total = sum(len(self._targets(shop.id)) for shop in shops) if progress is not None else 0
        results: list[Link] = []
        for shop in shops:
            results += self._verify_shop(shop, progress=progress, done=len(results), total=total)
        return results

    def _targets(self, shop_id: str) -> list[Link]:
        return [link for link in self._p.links(shop_id) if link.binding_evidence != EVIDENCE_IMPORTED]

    def _verify_shop(self, shop: Shop, *, progress: Callable[[int, int], None] | None = None, done: int = 0,
                     total: int = 0) -> list[Link]:
        snapshot = ShopSnapshot(self._p.seller_center, lambda: self._p.shop_client(shop))
        ports = dataclasses.replace(self._p, seller_center=snapshot)
        reconcile(ports, shop)
        shop_links = self._p.links(shop.id)  # nothing is written until _record: one read serves the batch
        outcomes = []
        for link in [x for x in shop_links if x.binding_evidence != EVIDENCE_IMPORTED]:
            outcomes.append(self._check(link, ports, shop, shop_links))
            done += 1
            if progress is not None:
                progress(done, total)
        self._record(outcomes)
        after = {link.id: link for link in self._p.links(shop.id)}
        return [after.get(o.link.id) or self._p.link(o.link.id) for o in outcomes]

    def verify(self, link_id: int) -> Link:
        link = self._p.link(link_id)
        if not link.active:
            return link
        self._reconcile(self._p.shop(link.shop_id))
        if link.binding_evidence == EVIDENCE_IMPORTED:
            return self._p.link(link_id)  # nothing of ours to check until it is authorized in linkkit
        return self._verify(link)

    def _verify(self, link: Link) -> Link:
        self._record([self._check(link, self._p)])
        return self._p.link(link.id)

    def _check(self, link: Link, p: Ports, shop: Shop | None = None, shop_links: list[Link] | None = None
               ) -> _Outcome:
        """Run the checks of one link (TikTok and Seller Center calls; no registry writes).

        ``shop`` and ``shop_links`` (the shop's active links), when given, spare a registry read per link.
        """
        now = p.clock.now()
        checks: list[LinkCheck] = []

        def check(name: CheckName, ok: bool, reason: str | None, detail: str) -> None:
            checks.append(LinkCheck(link.id, name, ok, None if ok else reason, detail, now))

        shop = shop if shop is not None else p.shop(link.shop_id)
        user: dict[str, Any] | None = None
        token: StoredToken | None = None
        account: TikTokAccount | None = None
        try:
            token, _ = p.login_token(link.account.open_id)
            user = self._user_info(link, token)
            check(CheckName.TOKEN_WORKS, True, None, f"Access token valid until {token.expires_at:%Y-%m-%d %H:%M} UTC.")
        except LinkkitError as exc:
            check(CheckName.TOKEN_WORKS, False, exc.reason, exc.message)
        if user is not None:
            same = user.get("open_id") == link.account.open_id
            check(CheckName.IDENTITY_MATCHES, same, "wrong_account",
                  f"Signed in as {user.get('display_name', '')!s}." if same else
                  "TikTok returned a different account for this token.")
            if same:
                account = TikTokAccount(**{**account_from_user(user).__dict__, "region": link.account.region,
                                           "account_type": link.account.account_type})
        else:
            check(CheckName.IDENTITY_MATCHES, False, "token_expired", "Skipped: TikTok access does not work.")
        granted = token.scopes if token else link.scopes
        missing = rules.missing_scopes(link.role, granted)
        check(CheckName.SCOPES_GRANTED, not missing, "scopes_missing",
              "All required permissions are granted." if not missing else f"Missing: {', '.join(missing)}.")
        here = shop_links if shop_links is not None else p.links(shop.id)
        others = here + [x for x in p.links(open_id=link.account.open_id) if x.shop_id != shop.id]
        violations = rules.check_candidate(shop, others, link.account, link.role, repair_link_id=link.id)
        check(CheckName.RULES_HOLD, not violations, violations[0].reason if violations else None,
              violations[0].message if violations else "Region, limits and roles are within Seller Center's rules.")
        bound_by, detail, reason = self._binding_evidence(shop, link, p.seller_center)
        check(CheckName.SELLER_CENTER_BINDING, bound_by is not None, reason, detail)
        unchecked = next((c for c in checks if not c.ok and c.reason in COULD_NOT_CHECK_REASONS), None)
        return _Outcome(link, checks, bound_by, account, unchecked)

    def _record(self, outcomes: list[_Outcome]) -> None:
        """Store the outcomes of a batch in one transaction (a shop's links in a pass)."""
        p = self._p
        if not outcomes:
            return
        now = p.clock.now()
        with p.registry.transaction() as conn:
            for out in outcomes:
                link = out.link
                if out.account is not None:
                    p.registry.upsert_account(out.account, conn=conn)
                if out.unchecked is not None:
                    # TikTok could not be asked: this run says nothing about the link, so it keeps its previous
                    # status and checks; the event carries the note ("last check failed") until a run completes.
                    p.event(EVENT_CHECK_UNAVAILABLE, shop_id=link.shop_id, link_id=link.id, conn=conn,
                            username=link.account.username, role=link.role.value,
                            detail=f"{out.unchecked.reason}: {out.unchecked.name.value} could not be checked")
                    continue
                p.registry.record_checks(link.id, out.checks, conn=conn)
                values: dict[str, Any] = {"last_verified_at": out.checks[0].checked_at if out.checks else now}
                if out.bound_by is not None:
                    values["binding_evidence"] = out.bound_by
                    if link.linked_at is None:
                        values["linked_at"] = values["last_verified_at"]
                p.registry.update_link(link.id, conn=conn, **values)
                failing = next((c for c in out.checks if not c.ok), None)
                p.event("verified" if failing is None else "check_failed", shop_id=link.shop_id, link_id=link.id,
                        username=link.account.username, role=link.role.value, conn=conn,
                        detail="all checks passed" if failing is None else f"{failing.name.value}: {failing.reason}")
                if out.bound_by is not None and link.linked_at is None:
                    p.event("linked", shop_id=link.shop_id, link_id=link.id, username=link.account.username,
                            role=link.role.value, conn=conn, detail=f"Seller Center binding seen ({out.bound_by})")

    def _user_info(self, link: Link, token: StoredToken) -> dict[str, Any]:
        flow = self._p.login_flow(link.role)
        try:
            return flow.user_info(token.access_token, granted=token.scopes)
        except LinkkitError as exc:
            if exc.reason != "token_expired":
                raise
            # TikTok says the token is no longer valid before our clock does: refresh once and retry.
            fresh, _ = self._p.login_token(link.account.open_id, force=True)
            return flow.user_info(fresh.access_token, granted=fresh.scopes)

    def _binding_evidence(self, shop: Shop, link: Link, port: SellerCenter) -> tuple[str | None, str, str]:
        """(evidence source, detail, reason-if-missing) for the Seller Center binding check."""
        username = link.account.username
        claimed = link.binding_evidence == EVIDENCE_CLAIMED
        try:
            found = port.find_binding(shop, username, link.role, self._p.clock.now())
        except LinkkitError as exc:
            return None, f"Could not read the shop's data: {exc.message}", exc.reason
        if found is not None:
            return found.source, found.detail, ""
        if claimed:
            return None, (f"You said Seller Center shows @{username} as linked. linkkit is waiting for evidence: "
                          f"the account's content or LIVEs under the shop's {link.role.label} accounts, or Seller "
                          "Center listing it. It looks again each time the link is verified."), "binding_not_visible"
        if link.linked_at is not None:
            return None, (f"@{username} no longer shows as linked in Seller Center. It may have been unlinked "
                          "there."), "binding_not_visible"
        return None, (f"Seller Center does not show @{username} as linked yet. Send and accept the invitation, "
                      "then verify again."), "binding_not_visible"
