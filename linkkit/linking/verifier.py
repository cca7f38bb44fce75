"""``Verifier``: step 5 — run every check on a link, store them, derive its status (design §3.2).

A run that could not ask TikTok (unreachable, timing out, 5xx, rate-limited) is no verdict: the link keeps
its previous status and checks, and shows that its last check failed.

"Connected" needs evidence that Seller Center holds the binding (the Seller Center port finds it in the
shop's own data or, in the sandbox, on the emulated page). A seller's "it is linked" is recorded as a claim
and shown as *awaiting evidence* until the port finds the binding; it never passes a check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from linkkit import rules
from linkkit.errors import COULD_NOT_CHECK_REASONS, LinkkitError
from linkkit.linking.authorizer import account_from_user
from linkkit.linking.ports import Ports
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
from linkkit.store import StoredToken

__all__ = ["Verifier"]

log = logging.getLogger(__name__)


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
        shops = [self._p.shop(shop_id)] if shop_id is not None else self._p.registry.shops()
        for shop in shops:
            self._reconcile(shop)
        targets = [link for link in self._p.links(shop_id) if link.binding_evidence != EVIDENCE_IMPORTED]
        results = []
        for done, link in enumerate(targets, start=1):
            results.append(self._verify(link))
            if progress is not None:
                progress(done, len(targets))
        return results

    def verify(self, link_id: int) -> Link:
        link = self._p.link(link_id)
        if not link.active:
            return link
        self._reconcile(self._p.shop(link.shop_id))
        if link.binding_evidence == EVIDENCE_IMPORTED:
            return self._p.link(link_id)  # nothing of ours to check until it is authorized in linkkit
        return self._verify(link)

    def _verify(self, link: Link) -> Link:
        p = self._p
        now = p.clock.now()
        checks: list[LinkCheck] = []

        def check(name: CheckName, ok: bool, reason: str | None, detail: str) -> None:
            checks.append(LinkCheck(link.id, name, ok, None if ok else reason, detail, now))

        shop = p.shop(link.shop_id)
        user: dict[str, Any] | None = None
        token: StoredToken | None = None
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
                p.registry.upsert_account(TikTokAccount(**{**account_from_user(user).__dict__,
                                                          "region": link.account.region,
                                                          "account_type": link.account.account_type}))
        else:
            check(CheckName.IDENTITY_MATCHES, False, "token_expired", "Skipped: TikTok access does not work.")
        granted = token.scopes if token else link.scopes
        missing = rules.missing_scopes(link.role, granted)
        check(CheckName.SCOPES_GRANTED, not missing, "scopes_missing",
              "All required permissions are granted." if not missing else f"Missing: {', '.join(missing)}.")
        others = p.links(shop.id) + [x for x in p.links(open_id=link.account.open_id) if x.shop_id != shop.id]
        violations = rules.check_candidate(shop, others, link.account, link.role, repair_link_id=link.id)
        check(CheckName.RULES_HOLD, not violations, violations[0].reason if violations else None,
              violations[0].message if violations else "Region, limits and roles are within Seller Center's rules.")
        bound_by, detail, reason = self._binding_evidence(shop, link)
        check(CheckName.SELLER_CENTER_BINDING, bound_by is not None, reason, detail)
        unchecked = next((c for c in checks if not c.ok and c.reason in COULD_NOT_CHECK_REASONS), None)
        if unchecked is not None:
            # TikTok could not be asked: this run says nothing about the link, so it keeps its previous
            # status and checks; the event carries the note ("last check failed") until a run completes.
            p.event(EVENT_CHECK_UNAVAILABLE, shop_id=link.shop_id, link_id=link.id, username=link.account.username,
                    role=link.role.value, detail=f"{unchecked.reason}: {unchecked.name.value} could not be checked")
            return p.link(link.id)
        with p.registry.transaction() as conn:
            p.registry.record_checks(link.id, checks, conn=conn)
            values: dict[str, Any] = {"last_verified_at": now}
            if bound_by is not None:
                values["binding_evidence"] = bound_by
                if link.linked_at is None:
                    values["linked_at"] = now
            p.registry.update_link(link.id, conn=conn, **values)
            failing = next((c for c in checks if not c.ok), None)
            p.event("verified" if failing is None else "check_failed", shop_id=link.shop_id, link_id=link.id,
                    username=link.account.username, role=link.role.value, conn=conn,
                    detail="all checks passed" if failing is None else f"{failing.name.value}: {failing.reason}")
            if bound_by is not None and link.linked_at is None:
                p.event("linked", shop_id=link.shop_id, link_id=link.id, username=link.account.username,
                        role=link.role.value, conn=conn, detail=f"Seller Center binding seen ({bound_by})")
        return p.link(link.id)

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

    def _binding_evidence(self, shop: Shop, link: Link) -> tuple[str | None, str, str]:
        """(evidence source, detail, reason-if-missing) for the Seller Center binding check."""
        username = link.account.username
        claimed = link.binding_evidence == EVIDENCE_CLAIMED
        try:
            found = self._p.seller_center.find_binding(shop, username, link.role, self._p.clock.now())
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
